// The extraction reads a transformers package folder through this interface (the caller does the I/O),
// and these helpers turn syntax nodes into citations and JSON values.
import { field, namedChildren, type PyNode, type PythonParser, type PythonTree, walk } from "../../parsers/python";
import { LineIndex } from "../../util/text";
import type { JsonScalar } from "../index";
import type { Cite } from "./types";

export interface SourceFiles {
  /** Names of the entries of a folder (relative to the package root), sorted; [] when absent. */
  list(dir: string): string[];
  /** A file's text, or undefined when absent. */
  read(path: string): string | undefined;
}

/** A parsed file with a line lookup, so facts can cite `path:line`. */
export class Parsed {
  readonly tree: PythonTree;
  private readonly lines: LineIndex;
  constructor(readonly path: string, readonly text: string, parser: PythonParser) {
    this.tree = parser.parse(text);
    this.lines = new LineIndex(text);
  }
  line(offset: number): number {
    return this.lines.position(offset).line;
  }
  cite(n: { start: number } | number): Cite {
    return `${this.path}:${this.line(typeof n === "number" ? n : n.start)}`;
  }
  text_(n: PyNode | undefined): string {
    return n ? this.text.slice(n.start, n.end) : "";
  }
  dispose(): void {
    this.tree.delete();
  }
}

/** A Python literal as written (a default value) as JSON; other expressions keep their source text. */
export function literal(p: Parsed, n: PyNode | undefined): JsonScalar {
  if (!n) return null;
  const t = p.text_(n).trim();
  if (n.type === "true") return true;
  if (n.type === "false") return false;
  if (n.type === "none") return null;
  if (n.type === "integer" || n.type === "float") return Number(t.replace(/_/g, ""));
  if (n.type === "unary_operator" && /^-\s*[\d.]/.test(t)) return Number(t.replace(/[\s_]/g, ""));
  if (n.type === "string" && !n.children.some((c) => c.type === "interpolation")) {
    return n.children.filter((c) => c.type === "string_content").map((c) => p.text_(c)).join("");
  }
  // `interval(min=0.0, max=1.0)(default=0.02)`, `field(default=1e-6)`: the default keyword.
  if (n.type === "call") {
    const kw = namedChildren(field(n, "arguments")).find((a) => a.type === "keyword_argument" && p.text_(field(a, "name")) === "default");
    if (kw) return literal(p, field(kw, "value"));
  }
  return t;
}

/** Top-level `NAME = OrderedDict([("a", "B"), ...])` (or a plain list/dict) as ordered pairs with their lines. */
export function mappingPairs(p: Parsed, name: string): Array<{ key: string; value: string | string[]; src: Cite }> {
  const out: Array<{ key: string; value: string | string[]; src: Cite }> = [];
  for (const st of namedChildren(p.tree.root)) {
    const a = st.type === "expression_statement" ? namedChildren(st)[0] : undefined;
    if (a?.type !== "assignment" || p.text_(field(a, "left")) !== name) continue;
    for (const n of walk(a)) {
      if (n.type !== "tuple" || n.parent?.type !== "list") continue;
      const [k, v] = namedChildren(n);
      const key = k ? literal(p, k) : null;
      if (typeof key !== "string" || !v) continue;
      if (v.type === "string") out.push({ key, value: String(literal(p, v)), src: p.cite(n) });
      else if (v.type === "tuple" || v.type === "list") out.push({ key, value: namedChildren(v).map((c) => String(literal(p, c))), src: p.cite(n) });
    }
  }
  return out;
}

/** Top-level class definitions (decorated or not), with their decorators' text. */
export function topClasses(p: Parsed): Array<{ node: PyNode; name: string; decorators: PyNode[] }> {
  const out: Array<{ node: PyNode; name: string; decorators: PyNode[] }> = [];
  const visit = (statements: PyNode[], depth: number) => {
    for (const st of statements) {
      // Classes defined under a module-level `if`/`else`/`try` (xLSTM's fallback classes when the
      // xlstm package is absent) are the module's classes too; a later definition replaces an earlier one.
      if (depth < 3 && /^(if_statement|else_clause|elif_clause|try_statement|except_clause|block)$/.test(st.type)) {
        visit(namedChildren(st), depth + 1);
        continue;
      }
      const def = st.type === "decorated_definition" ? field(st, "definition") : st;
      if (def?.type !== "class_definition") continue;
      const decorators = st.type === "decorated_definition" ? namedChildren(st).filter((c) => c.type === "decorator") : [];
      out.push({ node: def, name: p.text_(field(def, "name")), decorators });
    }
  };
  visit(namedChildren(p.tree.root), 0);
  return out;
}
