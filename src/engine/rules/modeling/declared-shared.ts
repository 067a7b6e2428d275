// What the knowledge base expects of a declaration, and the words the declared-* rules share. A
// declaration is held to the class at its slot or patch target when the knowledge base names
// one, otherwise to the family's main norm.
import type { Declaration, Serves } from "../../analysis/declared-types";
import { type Cast, describeNorm, type Family, type NormClass } from "../../knowledge/index";

export interface Expected {
  family: Family;
  cls?: NormClass;
  offset: boolean;
  kind?: "rms" | "layer";
  cast: Cast;
  init: "ones" | "zeros" | "none";
}

function classAtPath(f: Family, path: string[]): NormClass | undefined {
  const classes = (f.classes ?? []).filter((c) => c.init !== "none" || c.kind !== "other");
  for (let n = 1; n <= Math.min(3, path.length); n++) {
    const tail = path.slice(-n).join(".");
    const hits = classes.filter((c) => c.at.some((a) => a.replace(/\.\{N\}/g, "").endsWith(`.${tail}`) || a === tail));
    if (hits.length === 1) return hits[0];
    if (hits.length === 0) return undefined;
  }
  return undefined;
}

const kindOf = (k: string): "rms" | "layer" | undefined => (k === "rms" || k === "rms-gated" ? "rms" : k === "layer" ? "layer" : undefined);

export function expected(d: Pick<Declaration, "patchTarget" | "slotPath">, f: Family): Expected {
  const cls = d.patchTarget ? f.classes?.find((c) => c.name === d.patchTarget) : d.slotPath ? classAtPath(f, d.slotPath) : undefined;
  if (cls) return { family: f, cls, offset: cls.offset, kind: kindOf(cls.kind), cast: cls.cast, init: cls.init };
  return { family: f, offset: f.offset, kind: kindOf(f.norm), cast: f.cast, init: f.init };
}

/** "gemma3n (`Gemma3nArchitectureAdapter`)": the family and the evidence that the code serves it. */
export function servedLabel(f: Family, s: Serves | undefined): string {
  if (!s) return f.modelType;
  const how: Record<Serves["via"], string> = {
    branch: "in the branch",
    decorator: "registered by",
    table: "mapped by",
    entry: "the entry",
    attribute: "declared by",
    function: "named by",
    class: "named by",
    patch: "patched into",
    file: "by",
    path: "by",
  };
  return `${f.modelType} (${how[s.via]} ${s.detail})`;
}

/** The knowledge-base source of a family's norm facts: its modeling file, else its first citation. */
export function factSource(f: Family, about: "modeling" | "gguf" = "modeling"): string {
  if (about === "gguf") return f.src.find((s) => /convert_hf_to_gguf|llama\.cpp/.test(s)) ?? f.src[0] ?? "the knowledge base";
  return f.src.find((s) => /modeling_/.test(s)) ?? f.src[0] ?? "the knowledge base";
}

/** "`Gemma3nRMSNorm` scales by `weight` (RMSNorm, no offset)". */
export function offsetFact(e: Expected): string {
  const who = e.cls && /^[A-Z]/.test(e.cls.name) ? `\`${e.cls.name}\`` : `its ${describeNorm(e.family).split(",")[0]}`;
  return `${who} scales by \`${e.offset ? "1 + weight" : "weight"}\``;
}

export function scaleWords(offset: boolean): string {
  return offset ? "`1 + weight`" : "`weight`";
}

/** A literal with the quote style of the one it replaces. */
export function quoted(raw: string, value: string): string {
  const q = /^['"]/.test(raw) ? raw[0] : '"';
  return `${q}${value}${q}`;
}

/** Each family a declaration serves, with what the knowledge base expects there. */
export function servedFacts(d: Pick<Declaration, "patchTarget" | "slotPath" | "serves">): Expected[] {
  return (d.serves?.families ?? []).map((f) => expected(d, f));
}
