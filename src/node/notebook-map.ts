// Notebook findings arrive with offsets inside a cell's source (`data.cell`); reports point into the
// .ipynb file itself, so they are mapped to the exact character of the JSON string that holds them.
import { findNodeAtLocation, type Node, parseTree } from "jsonc-parser";
import type { Finding } from "../engine/types";

/** Raw offset (within a JSON string literal, quotes included) of decoded UTF-16 index `k`. */
function rawIndex(literal: string, k: number): number {
  let decoded = 0;
  let i = 1; // past the opening quote
  while (i < literal.length - 1 && decoded < k) {
    if (literal[i] === "\\") i += literal[i + 1] === "u" ? 6 : 2;
    else i++;
    decoded++;
  }
  return i;
}

export function notebookMapper(text: string): (f: Finding) => Finding {
  const tree = parseTree(text);
  const cache = new Map<number, Node | undefined>();
  const sourceOf = (cell: number) => {
    if (!cache.has(cell)) cache.set(cell, tree && (findNodeAtLocation(tree, ["cells", cell, "source"]) ?? findNodeAtLocation(tree, ["cells", cell, "input"])));
    return cache.get(cell);
  };
  const map = (node: Node, offset: number): number => {
    const items = node.type === "array" ? (node.children ?? []).filter((c) => c.type === "string") : [node];
    let seen = 0;
    for (const item of items) {
      const len = String(item.value).length;
      if (offset <= seen + len || item === items[items.length - 1]) {
        return item.offset + rawIndex(text.slice(item.offset, item.offset + item.length), Math.min(offset - seen, len));
      }
      seen += len;
    }
    return node.offset;
  };
  return (f) => {
    const cell = f.data?.cell;
    if (typeof cell !== "number") return f;
    const node = sourceOf(cell);
    if (!node) return { ...f, start: 0, end: 0 };
    const cellText = node.type === "array" ? (node.children ?? []).map((c) => String(c.value)).join("") : String(node.value);
    const line = cellText.slice(0, f.start).split("\n").length;
    const fix = (x: Finding["fixes"][number]) => ({ ...x, edits: x.edits.map((e) => ({ ...e, start: map(node, e.start), end: map(node, e.end) })) });
    return { ...f, start: map(node, f.start), end: map(node, f.end), message: `${f.message} (cell ${cell + 1}, line ${line})`, fixes: f.fixes.filter(() => false).map(fix) };
  };
}
