// JSON as Python's `json` module reads a config.json: strict JSON plus NaN, Infinity and -Infinity.
// jsonc-parser gives exact ranges and an error-tolerant tree; this module adds what it does not
// know: Python's extra literals, a nesting cap (deep input would overflow its recursive parser),
// and the problems worth a finding of their own (BOM, comments, trailing commas).
import {
  createScanner,
  findNodeAtLocation,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";

/** jsonc-parser's SyntaxKind values (a const enum in its typings, so not importable here). */
export const SyntaxKind = {
  CloseBraceToken: 2,
  CloseBracketToken: 4,
  CommaToken: 5,
  LineCommentTrivia: 12,
  BlockCommentTrivia: 13,
  LineBreakTrivia: 14,
  Trivia: 15,
  Unknown: 16,
  EOF: 17,
} as const;
type SyntaxKindValue = (typeof SyntaxKind)[keyof typeof SyntaxKind] | number;

/** Deeper input is refused before parsing: Python's json stops near 1,000 levels, real configs use < 10. */
export const MAX_DEPTH = 512;

export interface JsonProblem {
  kind: "bom" | "comment" | "trailing-comma" | "syntax" | "too-deep" | "binary" | "encoding";
  start: number;
  end: number;
  detail: string;
}

export interface JsonDocument {
  text: string;
  root: Node | undefined;
  problems: JsonProblem[];
  /** Offsets of number nodes that Python reads as NaN or +-Infinity. */
  specials: Map<number, number>;
}

export type Decoded = { ok: true; text: string } | { ok: false; problem: JsonProblem };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes to text, refusing binary data and invalid UTF-8 with the offending byte offset. */
export function decodeText(bytes: Uint8Array): Decoded {
  const probe = Math.min(bytes.length, 8192);
  for (let i = 0; i < probe; i++) {
    if (bytes[i] === 0) {
      return { ok: false, problem: { kind: "binary", start: 0, end: 0, detail: `a NUL byte at byte ${i}` } };
    }
  }
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return { ok: false, problem: { kind: "encoding", start: 0, end: 0, detail: `invalid UTF-8 at byte ${firstInvalidUtf8(bytes)}` } };
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const n = b < 0x80 ? 0 : (b & 0xe0) === 0xc0 ? 1 : (b & 0xf0) === 0xe0 ? 2 : (b & 0xf8) === 0xf0 ? 3 : -1;
    if (n < 0 || i + n >= bytes.length + (n === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return i;
}

/** Offset where nesting first exceeds `max`, or -1. Linear, no recursion. */
export function findExcessiveNesting(text: string, max = MAX_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return i;
    } else if (c === 125 || c === 93) depth--;
  }
  return -1;
}

const PLACEHOLDER: Record<string, [string, number]> = {
  NaN: ["0e0", Number.NaN],
  Infinity: ["0.000000", Number.POSITIVE_INFINITY],
  "-Infinity": ["-0.000000", Number.NEGATIVE_INFINITY],
};

export function parseJson(text: string): JsonDocument {
  const problems: JsonProblem[] = [];
  const specials = new Map<number, number>();
  let parseText = text;
  if (text.charCodeAt(0) === 0xfeff) {
    problems.push({ kind: "bom", start: 0, end: 1, detail: "a UTF-8 byte order mark" });
    parseText = " " + text.slice(1);
  }
  const deep = findExcessiveNesting(parseText);
  if (deep >= 0) {
    problems.push({ kind: "too-deep", start: deep, end: deep + 1, detail: `nesting deeper than ${MAX_DEPTH} levels` });
    return { text, root: undefined, problems, specials };
  }

  // One scanner pass finds comments, trailing commas and Python's extra literals.
  const edits: Array<[number, string]> = [];
  const scanner = createScanner(parseText, false);
  let prev: { kind: SyntaxKindValue; offset: number; length: number } | undefined;
  for (let kind: number = scanner.scan(); kind !== SyntaxKind.EOF; kind = scanner.scan()) {
    const offset = scanner.getTokenOffset();
    const length = scanner.getTokenLength();
    if (kind === SyntaxKind.Trivia || kind === SyntaxKind.LineBreakTrivia) continue;
    if (kind === SyntaxKind.LineCommentTrivia || kind === SyntaxKind.BlockCommentTrivia) {
      // jsonc-parser counts one character past the end of an unterminated block comment.
      problems.push({ kind: "comment", start: offset, end: Math.min(offset + length, parseText.length), detail: "a comment" });
      continue;
    }
    if ((kind === SyntaxKind.CloseBraceToken || kind === SyntaxKind.CloseBracketToken) && prev?.kind === SyntaxKind.CommaToken) {
      problems.push({ kind: "trailing-comma", start: prev.offset, end: prev.offset + 1, detail: "a trailing comma" });
    }
    if (kind === SyntaxKind.Unknown) {
      const word = scanner.getTokenValue();
      const negative = word === "Infinity" && prev?.kind === SyntaxKind.Unknown && prev.offset + prev.length === offset && parseText[prev.offset] === "-";
      const literal = negative ? "-Infinity" : word;
      // Own keys only: a bare `valueOf` or `constructor` is a syntax error, not a placeholder.
      const placeholder = Object.hasOwn(PLACEHOLDER, literal) ? PLACEHOLDER[literal] : undefined;
      if (placeholder) {
        const start = negative ? offset - 1 : offset;
        edits.push([start, placeholder[0]]);
        specials.set(start, placeholder[1]);
      }
    }
    prev = { kind, offset, length };
  }
  for (const [start, replacement] of edits) {
    parseText = parseText.slice(0, start) + replacement + parseText.slice(start + replacement.length);
  }

  const errors: ParseError[] = [];
  const root = parseTree(parseText, errors, { disallowComments: false, allowTrailingComma: true, allowEmptyContent: false });
  const first = errors[0];
  if (first) {
    // An error at the end of a truncated file is shown where the content stops, not after the last newline.
    const contentEnd = parseText.trimEnd().length;
    const start = first.offset >= contentEnd ? contentEnd : first.offset;
    problems.push({ kind: "syntax", start, end: Math.min(parseText.length, Math.max(start, first.offset + first.length)), detail: describeError(first, parseText) });
  }
  // After a syntax error the tree is a guess (jsonc-parser reads `1e-` as 1): rules see only what
  // ends before the first error.
  if (first && root) prune(root, first.offset);
  problems.sort((a, b) => a.start - b.start);
  return { text, root, problems, specials };
}

function isContainer(n: Node | undefined): n is Node {
  return n?.type === "object" || n?.type === "array";
}

function prune(node: Node, cut: number): void {
  if (!node.children) return;
  (node as { children?: Node[] }).children = node.children.filter((c) => {
    if (c.offset + c.length <= cut) return true;
    if (c.offset >= cut) return false;
    const inner = c.type === "property" ? c.children?.[1] : c;
    if (isContainer(inner) && inner.offset < cut) {
      prune(inner, cut);
      return true;
    }
    return false;
  });
}

function describeError(e: ParseError, text: string): string {
  if (e.offset >= text.length) return "unexpected end of file (truncated?)";
  const code = printParseErrorCode(e.error);
  const words = code.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  const near = JSON.stringify(text.slice(e.offset, e.offset + Math.max(1, Math.min(e.length, 20))));
  return `${words} at ${near}`;
}

/** The value of a node, honouring NaN/Infinity read by Python. */
export function nodeValue(doc: JsonDocument, node: Node): unknown {
  if (node.type === "number") return doc.specials.get(node.offset) ?? node.value;
  if (node.type === "object") {
    const out: Record<string, unknown> = {};
    for (const p of node.children ?? []) {
      const [k, v] = p.children ?? [];
      if (k && v) out[k.value as string] = nodeValue(doc, v);
    }
    return out;
  }
  if (node.type === "array") return (node.children ?? []).map((c) => nodeValue(doc, c));
  return node.value;
}

export interface Property {
  key: string;
  keyNode: Node;
  valueNode: Node;
  /** The whole `"key": value` property node. */
  node: Node;
}

/** Properties of an object node in source order (duplicates included). */
export function properties(obj: Node | undefined): Property[] {
  if (!obj || obj.type !== "object") return [];
  const out: Property[] = [];
  for (const p of obj.children ?? []) {
    const [keyNode, valueNode] = p.children ?? [];
    if (keyNode && valueNode) out.push({ key: keyNode.value as string, keyNode, valueNode, node: p });
  }
  return out;
}

/** Last property with this key (Python's json keeps the last duplicate). */
export function property(obj: Node | undefined, key: string): Property | undefined {
  const all = properties(obj);
  for (let i = all.length - 1; i >= 0; i--) if (all[i].key === key) return all[i];
  return undefined;
}

/** Node at an RFC 6901 JSON pointer ("/text_config/rms_norm_eps"). */
export function nodeAtPointer(root: Node | undefined, pointer: string): Node | undefined {
  if (!root) return undefined;
  if (pointer === "" || pointer === "/") return root;
  const path = pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return findNodeAtLocation(root, path);
}

export function escapePointerSegment(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Edit that deletes a property with its separating comma, keeping the rest of the text intact. */
export function deletePropertyEdit(text: string, obj: Node, prop: Node): { start: number; end: number; text: string } {
  const siblings = obj.children ?? [];
  const i = siblings.indexOf(prop);
  if (i < siblings.length - 1) {
    // Up to the next property's start: removes `"k": v,` and the whitespace after it.
    return { start: lineStartIfBlank(text, prop.offset), end: lineStartIfBlank(text, siblings[i + 1].offset), text: "" };
  }
  if (i > 0) {
    // Last property: remove from the end of the previous value, taking its comma.
    const prev = siblings[i - 1];
    return { start: prev.offset + prev.length, end: prop.offset + prop.length, text: "" };
  }
  return { start: prop.offset, end: prop.offset + prop.length, text: "" };
}

function lineStartIfBlank(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && (text[i - 1] === " " || text[i - 1] === "\t")) i--;
  return i > 0 && text[i - 1] === "\n" ? i : offset;
}
