// Python source as a plain syntax tree, parsed by tree-sitter-python compiled to wasm. The engine does
// no I/O: the caller passes both wasm binaries (web-tree-sitter's runtime and the Python grammar).
// tree-sitter is error tolerant, so a file with a syntax error still yields a tree whose intact parts
// are analysed; ERROR and MISSING nodes mark the broken places. Offsets are UTF-16 units, as in the
// rest of the engine (web-tree-sitter parses JavaScript strings as UTF-16).
import { Edit, Language, Parser, type Tree } from "web-tree-sitter";

/** One node of the syntax tree, copied out of wasm memory so analysis never calls into it. */
export interface PyNode {
  type: string;
  start: number;
  end: number;
  named: boolean;
  /** The field this node fills in its parent (`left`, `function`, `body`...). */
  field?: string;
  missing?: boolean;
  children: PyNode[];
  parent?: PyNode;
}

export interface PythonTree {
  text: string;
  root: PyNode;
  /** ERROR and MISSING nodes, in document order. */
  errors: Array<{ start: number; end: number; missing: boolean }>;
  /** Frees the wasm tree; the plain tree stays usable. Call once the tree is no longer reused. */
  delete(): void;
  /** @internal the wasm tree, kept for incremental reparsing. */
  readonly native: Tree | null;
}

export interface TextChange {
  /** Offsets into the tree's current text. */
  start: number;
  end: number;
  text: string;
}

export interface PythonParser {
  /**
   * Parses a text. With `previous` (a tree of an earlier version of the same document that was told
   * about every change through `edit`), unchanged parts are reused.
   */
  parse(text: string, previous?: PythonTree): PythonTree;
  /** Records one change of a tree's text (offsets into its current text) and returns the new text. */
  edit(tree: PythonTree, change: TextChange): string;
  /** Frees the parser. Trees it made stay valid until deleted. */
  dispose(): void;
}

export interface PythonWasm {
  /** web-tree-sitter.wasm */
  runtime: Uint8Array;
  /** tree-sitter-python.wasm */
  python: Uint8Array;
}

let runtimeReady: Promise<void> | undefined;
const languages = new WeakMap<Uint8Array, Promise<Language>>();

/** Creates a parser. The wasm runtime initialises once per process; later calls reuse it. */
export async function createPythonParser(wasm: PythonWasm): Promise<PythonParser> {
  runtimeReady ??= Parser.init({ wasmBinary: wasm.runtime }).catch((err: unknown) => {
    runtimeReady = undefined;
    throw err;
  });
  await runtimeReady;
  let langP = languages.get(wasm.python);
  if (!langP) {
    langP = Language.load(wasm.python);
    languages.set(wasm.python, langP);
  }
  const language = await langP;
  const parser = new Parser();
  parser.setLanguage(language);

  return {
    parse(text, previous) {
      const old = previous?.native ?? null;
      const tree = parser.parse(text, old);
      if (!tree) throw new Error("tree-sitter returned no tree");
      return wrap(text, tree);
    },
    edit(tree, change) {
      const before = tree.text;
      const after = before.slice(0, change.start) + change.text + before.slice(change.end);
      tree.native?.edit(
        new Edit({
          startIndex: change.start,
          oldEndIndex: change.end,
          newEndIndex: change.start + change.text.length,
          startPosition: pointAt(before, change.start),
          oldEndPosition: pointAt(before, change.end),
          newEndPosition: pointAt(after, change.start + change.text.length),
        }),
      );
      (tree as { text: string }).text = after;
      return after;
    },
    dispose() {
      parser.delete();
    },
  };
}

/** Row and column (UTF-16 units) of an offset, as web-tree-sitter counts them. */
function pointAt(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

function wrap(text: string, tree: Tree): PythonTree {
  const errors: PythonTree["errors"] = [];
  const root = copy(tree, errors, text);
  let native: Tree | null = tree;
  return {
    text,
    root,
    errors,
    get native() {
      return native;
    },
    delete() {
      native?.delete();
      native = null;
    },
  };
}

/**
 * Top-level expression statements that mention none of these cannot matter to a norm analysis
 * (`TABLE = [0, 1, 2, ...]`, `logger = ...`); they are kept as leaves without their subtrees, which
 * makes generated modules with huge literals cheap. Anything with a syntax error is copied whole.
 */
const RELEVANT = /norm|eps|weight|bias|scale|shift|gamma|beta|state_dict|setattr|partial|patch|ln_|rename|map|key|load|convert|modeling|offset|torch|nn\./i;

/** Copies the wasm tree into plain objects with one cursor walk (no recursion: deep input is fine). */
function copy(tree: Tree, errors: PythonTree["errors"], text: string): PyNode {
  const c = tree.walk();
  // Each cursor getter is a call into wasm; a tree without errors has no missing nodes to ask about.
  const clean = !tree.rootNode.hasError;
  // Whether a node is named depends on its symbol alone: asked once per type id.
  const namedById = new Map<number, boolean>();
  const types = tree.language.types;
  const make = (parent?: PyNode): PyNode => {
    const id = c.nodeTypeId;
    let named = namedById.get(id);
    if (named === undefined) namedById.set(id, (named = c.nodeIsNamed));
    const n: PyNode = { type: types[id] || "ERROR", start: c.startIndex, end: c.endIndex, named, children: [], parent };
    const field = c.currentFieldName;
    if (field) n.field = field;
    if (clean) return n;
    if (c.nodeIsMissing) {
      n.missing = true;
      errors.push({ start: n.start, end: n.end, missing: true });
    } else if (n.type === "ERROR") errors.push({ start: n.start, end: n.end, missing: false });
    return n;
  };
  const root = make();
  let node = root;
  const skip = (n: PyNode) =>
    n.parent === root && n.type === "expression_statement" && n.end - n.start > 200 && !RELEVANT.test(text.slice(n.start, n.end)) && (clean || !c.currentNode.hasError);
  for (;;) {
    if (!skip(node) && c.gotoFirstChild()) {
      const child = make(node);
      node.children.push(child);
      node = child;
      continue;
    }
    while (!c.gotoNextSibling()) {
      if (!c.gotoParent()) {
        c.delete();
        return root;
      }
      node = node.parent!;
    }
    const sib = make(node.parent);
    node.parent!.children.push(sib);
    node = sib;
  }
}

// Small helpers over PyNode, shared by the analysis.

export function field(n: PyNode | undefined, name: string): PyNode | undefined {
  return n?.children.find((c) => c.field === name);
}

export function fields(n: PyNode | undefined, name: string): PyNode[] {
  return n ? n.children.filter((c) => c.field === name) : [];
}

export function namedChildren(n: PyNode | undefined): PyNode[] {
  return n ? n.children.filter((c) => c.named && c.type !== "comment") : [];
}

export function textOf(text: string, n: PyNode): string {
  return text.slice(n.start, n.end);
}

/** Every node under `n` (itself included), depth first, without recursion. */
export function* walk(n: PyNode): Generator<PyNode> {
  const stack = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    yield cur;
    for (let i = cur.children.length - 1; i >= 0; i--) stack.push(cur.children[i]);
  }
}
