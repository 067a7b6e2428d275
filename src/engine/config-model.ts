// Finds the model configs in a parsed config.json: the root and every nested sub-config, each with
// the family that reads it (declared `model_type`, the parent's sub-config table, or `architectures`).
import type { Node } from "jsonc-parser";
import { type Family, family, familiesForArchitecture } from "./knowledge/index";
import { escapePointerSegment, type JsonDocument, properties, property } from "./parsers/json";

/** One model config object: the root, or a nested sub-config such as `text_config`. */
export interface ConfigScope {
  /** JSON pointer of the object ("" for the root). */
  pointer: string;
  node: Node;
  /** Dotted path for messages ("text_config"), "" for the root. */
  path: string;
  modelType?: string;
  modelTypeNode?: Node;
  family?: Family;
  /** How the family was found when the object does not name it. */
  inferredFrom?: "architectures" | "parent";
  parent?: ConfigScope;
}

export interface ConfigFile {
  doc: JsonDocument;
  scopes: ConfigScope[];
}

const MAX_SUB_DEPTH = 4;

function stringValue(node: Node | undefined): string | undefined {
  return node?.type === "string" ? (node.value as string) : undefined;
}

/** Families the `architectures` list points at, in order, without duplicates. */
export function architectureFamilies(obj: Node): string[] {
  const arch = property(obj, "architectures")?.valueNode;
  const out: string[] = [];
  for (const item of arch?.type === "array" ? arch.children ?? [] : []) {
    const name = stringValue(item);
    if (!name) continue;
    for (const t of familiesForArchitecture(name)) if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** True when this object is a model config: it names a model type or known architectures. */
export function isModelConfig(root: Node | undefined): boolean {
  if (root?.type !== "object") return false;
  if (property(root, "model_type")) return true;
  return architectureFamilies(root).length > 0;
}

export function buildConfigFile(doc: JsonDocument): ConfigFile {
  const scopes: ConfigScope[] = [];
  if (doc.root?.type !== "object") return { doc, scopes };
  const visit = (node: Node, pointer: string, path: string, parent: ConfigScope | undefined, subKey: string | undefined, depth: number) => {
    const mt = property(node, "model_type");
    // An empty model_type is what transformers wrote for a sub-config whose class named none
    // (facebook/sam-vit-huge, 4.29): the parent's class decides that sub-config, as with no key.
    const modelType = stringValue(mt?.valueNode) || undefined;
    // A sub-config that repeats an ancestor's model_type (qwen2_vl's vision config) is not that family.
    let ancestor = parent;
    while (ancestor && ancestor.modelType !== modelType) ancestor = ancestor.parent;
    let fam: Family | undefined = modelType !== undefined && !ancestor ? family(modelType) : undefined;
    let inferredFrom: ConfigScope["inferredFrom"];
    if (!fam && modelType === undefined) {
      const fromParent = parent?.family?.sub?.[subKey ?? ""];
      if (fromParent) {
        fam = family(fromParent);
        inferredFrom = fam ? "parent" : undefined;
      }
      if (!fam) {
        const [first] = architectureFamilies(node);
        if (first) {
          fam = family(first);
          inferredFrom = "architectures";
        }
      }
    }
    const scope: ConfigScope = { pointer, node, path, modelType, modelTypeNode: modelType === undefined ? undefined : mt?.valueNode, family: fam, inferredFrom, parent };
    scopes.push(scope);
    if (depth >= MAX_SUB_DEPTH) return;
    for (const p of properties(node)) {
      if (p.valueNode.type !== "object") continue;
      const isSub = fam?.sub?.[p.key] !== undefined || /_config$/.test(p.key) || property(p.valueNode, "model_type") !== undefined;
      if (!isSub) continue;
      visit(p.valueNode, `${pointer}/${escapePointerSegment(p.key)}`, path ? `${path}.${p.key}` : p.key, scope, p.key, depth + 1);
    }
  };
  visit(doc.root, "", "", undefined, undefined, 0);
  return { doc, scopes };
}
