// "Ignore this rule here" for config.json, which cannot hold comments: an `ignore` entry in the
// nearest .normlint.json, `{ "path": "<file>#/json/pointer", "rules": ["<rule>"] }`, written with
// jsonc-parser's `modify` so the rest of the file (comments, order, indentation) stays as it was.
import { type FormattingOptions, findNodeAtOffset, getNodePath, modify, type Node, parseTree } from "jsonc-parser";
import type { TextEdit } from "../engine/types";

function escapePointerSegment(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * The JSON pointer of the smallest property (or array item) whose span holds `[start, end)`; "" for
 * the whole document. This is what the engine's ignore check compares findings against.
 */
export function pointerAt(text: string, start: number, end: number): string {
  const root = parseTree(text.replace(/^\uFEFF/, " "));
  if (!root) return "";
  let node: Node | undefined = findNodeAtOffset(root, start, true) ?? root;
  while (node && node !== root) {
    const span: Node = node.parent?.type === "property" ? node.parent : node;
    const holds = span.offset <= start && end <= span.offset + span.length;
    const isKey = node.parent?.type === "property" && node.parent.children?.[0] === node;
    if (holds && node.type !== "property" && !isKey) break;
    if (holds && isKey && node.parent?.children?.[1]) {
      node = node.parent.children[1];
      break;
    }
    if (holds && node.type === "property" && node.children?.[1]) {
      node = node.children[1];
      break;
    }
    node = node.parent;
  }
  if (!node || node === root) return "";
  return getNodePath(node).map((s) => `/${escapePointerSegment(String(s))}`).join("");
}

/** Node range at a pointer in a (possibly edited) text: used to re-anchor findings after typing. */
export function rangeAtPointer(text: string, pointer: string, key: boolean): { start: number; end: number } | undefined {
  const root = parseTree(text.replace(/^\uFEFF/, " "));
  if (!root) return undefined;
  if (pointer === "") return { start: root.offset, end: root.offset };
  let node: Node | undefined = root;
  for (const raw of pointer.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!node) return undefined;
    if (node.type === "object") {
      const props: Node[] = (node.children ?? []).filter((p) => p.children?.[0]?.value === seg);
      node = props[props.length - 1]?.children?.[1];
    } else if (node.type === "array" && /^\d+$/.test(seg)) node = node.children?.[Number(seg)];
    else return undefined;
  }
  if (!node) return undefined;
  const target = key && node.parent?.type === "property" ? node.parent.children![0] : node;
  return { start: target.offset, end: target.offset + target.length };
}

/** A path as a literal glob for the engine's matcher (same folder: `./name`, so it does not match at any depth). */
export function literalGlob(relPath: string): string {
  const escaped = relPath.replace(/[*?[\]{}()!+@\\]/g, "\\$&");
  return escaped.includes("/") ? escaped : `./${escaped}`;
}

function formatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? "  ";
  return { insertSpaces: !indent.startsWith("\t"), tabSize: indent.startsWith("\t") ? 4 : indent.length, eol: text.includes("\r\n") ? "\r\n" : "\n" };
}

/** Text of a new .normlint.json holding one ignore entry. */
export function newConfigText(entry: string, rule: string): string {
  return `${JSON.stringify({ ignore: [{ path: entry, rules: [rule] }] }, null, 2)}\n`;
}

/**
 * Edits to an existing .normlint.json that make it ignore `rule` at `entry` (`glob#/pointer`). An
 * entry for the same path gains the rule; an entry that already ignores every rule there, or this
 * rule, needs no edit (returns []). Returns undefined when the file is not an object we can edit.
 */
export function addIgnoreEdits(text: string, entry: string, rule: string): TextEdit[] | undefined {
  const root = parseTree(text);
  if (!root || root.type !== "object") return text.trim() === "" ? [{ start: 0, end: text.length, text: newConfigText(entry, rule) }] : undefined;
  const fmt = formatting(text);
  const ignoreProp = (root.children ?? []).filter((p) => p.children?.[0]?.value === "ignore").pop();
  const list = ignoreProp?.children?.[1];
  if (list && list.type !== "array") return undefined;
  const items = list?.children ?? [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.type === "string" && item.value === entry) return [];
    if (item.type !== "object") continue;
    const props = item.children ?? [];
    const path = props.find((p) => p.children?.[0]?.value === "path")?.children?.[1];
    if (path?.value !== entry) continue;
    const rules = props.find((p) => p.children?.[0]?.value === "rules")?.children?.[1];
    if (!rules || rules.type !== "array") return [];
    if ((rules.children ?? []).some((r) => r.value === rule)) return [];
    return toEdits(modify(text, ["ignore", i, "rules", -1], rule, { formattingOptions: fmt, isArrayInsertion: true }));
  }
  return toEdits(modify(text, ["ignore", -1], { path: entry, rules: [rule] }, { formattingOptions: fmt, isArrayInsertion: true }));
}

function toEdits(edits: Array<{ offset: number; length: number; content: string }>): TextEdit[] {
  return edits.map((e) => ({ start: e.offset, end: e.offset + e.length, text: e.content }));
}
