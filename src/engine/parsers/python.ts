// Python source as a plain syntax tree, parsed by tree-sitter-python compiled to wasm. The engine does
// no I/O: the caller passes both wasm binaries (web-tree-sitter's runtime and the Python grammar).
// tree-sitter is error tolerant, so a file with a syntax error still yields a tree whose intact parts
// are analysed; ERROR and MISSING nodes mark the broken places. Offsets are UTF-16 units, as in the
// rest of the engine (web-tree-sitter parses JavaScript strings as UTF-16).
import { Edit, Language, Parser, type Tree } from "web-tree-sitter";
import { type DirectCalls, directCalls, directWalker, publicWalker, type Walker } from "./python-cursor";

/** One node of the syntax tree, copied out of wasm memory so analysis never calls into it. */
export interface PyNode {
  type: string;
  start: number;
  end: number;
  named: boolean;
  /** The field this node fills in its parent (`left`, `function`, `body`...). */
  field?: string;
  missing?: boolean;
  /**
   * Children in order; leaves share one frozen empty list. In a tree without syntax errors,
   * anonymous tokens that fill no field (punctuation, keywords) are left out.
   */
  children: PyNode[];
  parent?: PyNode;
  /** This node's place in `order`, and the place after its last descendant. */
  index: number;
  after: number;
  /** Every node of the tree in document order (shared by all its nodes); `walk` slices it. */
  order?: PyNode[];
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
  /** How trees are copied out of wasm (see python-cursor.ts): "direct" unless that check failed. */
  readonly cursor: "direct" | "public";
}

export interface PythonWasm {
  /** web-tree-sitter.wasm */
  runtime: Uint8Array;
  /** tree-sitter-python.wasm */
  python: Uint8Array;
}

let runtimeReady: Promise<DirectCalls | undefined> | undefined;
const languages = new WeakMap<Uint8Array, Promise<Language>>();

export interface ParserOptions {
  /** Walk trees through web-tree-sitter's public cursor only (tests compare the two walkers). */
  publicCursor?: boolean;
}

/** Creates a parser. The wasm runtime initialises once per process; later calls reuse it. */
export async function createPythonParser(wasm: PythonWasm, opts: ParserOptions = {}): Promise<PythonParser> {
  if (!runtimeReady) {
    // Emscripten fills in the very object passed to init as its module: the direct tree walker
    // finds its entry points there.
    const module: Record<string, unknown> = { wasmBinary: wasm.runtime };
    runtimeReady = Parser.init(module).then(
      () => directCalls(module),
      (err: unknown) => {
        runtimeReady = undefined;
        throw err;
      },
    );
  }
  const calls = await runtimeReady;
  let langP = languages.get(wasm.python);
  if (!langP) {
    langP = Language.load(wasm.python);
    languages.set(wasm.python, langP);
  }
  const language = await langP;
  const parser = new Parser();
  parser.setLanguage(language);
  const direct = !opts.publicCursor && calls && walkersAgree(parser, calls) ? calls : undefined;
  const walker = (tree: Tree): Walker => (direct ? directWalker(tree, direct) : publicWalker(tree));

  return {
    cursor: direct ? "direct" : "public",
    parse(text, previous) {
      const old = previous?.native ?? null;
      const tree = parser.parse(text, old);
      if (!tree) throw new Error("tree-sitter returned no tree");
      return wrap(text, tree, walker, previous);
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

/** Whether the direct walker copies a sample with syntax errors exactly as the public cursor does. */
const agreed = new WeakMap<DirectCalls, boolean>();
function walkersAgree(parser: Parser, calls: DirectCalls): boolean {
  let ok = agreed.get(calls);
  if (ok !== undefined) return ok;
  const sample = "import torch\nclass N(nn.Module):\n    def forward(self, x):\n        return self.weight * (x + 1 if a else b)[0]\nx = (1,\ndef f(:\n  pass\n";
  const tree = parser.parse(sample);
  if (!tree) return false;
  try {
    const shape = (w: (tree: Tree) => Walker) => {
      const errors: PythonTree["errors"] = [];
      return JSON.stringify(walk(copy(tree, errors, sample, w)).map((n) => [n.type, n.start, n.end, n.field, n.missing, n.children.length, n.after])) + JSON.stringify(errors);
    };
    ok = shape((t) => directWalker(t, calls)) === shape(publicWalker);
  } catch {
    ok = false;
  } finally {
    tree.delete();
  }
  agreed.set(calls, ok);
  return ok;
}

/** The text each tree's plain copy was made from (`edit` moves `PythonTree.text` on to the next version). */
const copiedFrom = new WeakMap<PythonTree, string>();

function wrap(text: string, tree: Tree, walker: (tree: Tree) => Walker, previous?: PythonTree): PythonTree {
  const errors: PythonTree["errors"] = [];
  const before = previous && previous.errors.length === 0 ? copiedFrom.get(previous) : undefined;
  const root = copy(tree, errors, text, walker, before !== undefined ? reusable(previous!.root, before) : undefined);
  let native: Tree | null = tree;
  const out: PythonTree = {
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
  copiedFrom.set(out, text);
  const kept = previous && lineages.get(previous);
  if (kept) lineages.set(out, kept);
  return out;
}

const lineages = new WeakMap<PythonTree, Map<string, unknown>>();

/**
 * A store shared by a tree and every tree parsed incrementally from it (`parse(text, previous)`):
 * the versions of one document. The analysis keeps there what a later version can reuse.
 */
export function lineage(tree: PythonTree): Map<string, unknown> {
  let store = lineages.get(tree);
  if (!store) lineages.set(tree, (store = new Map()));
  return store;
}

/** A previous version's top-level statements by their text, for `copy` to take over unchanged. */
function reusable(root: PyNode, text: string): Map<string, PyNode> {
  const byText = new Map<string, PyNode>();
  for (const n of root.children) byText.set(text.slice(n.start, n.end), n);
  return byText;
}

/**
 * Top-level expression statements that mention none of these cannot matter to a norm analysis
 * (`TABLE = [0, 1, 2, ...]`, `logger = ...`); they are kept as leaves without their subtrees, which
 * makes generated modules with huge literals cheap. Anything with a syntax error is copied whole.
 */
const RELEVANT = /norm|eps|weight|bias|scale|shift|gamma|beta|state_dict|setattr|partial|patch|ln_|rename|map|key|load|convert|modeling|offset|torch|nn\./i;

/** Leaves share one empty, frozen children list (most nodes are leaves). */
const NO_CHILDREN: PyNode[] = Object.freeze([]) as unknown as PyNode[];

/**
 * Copies the wasm tree into plain objects with one cursor walk (no recursion: deep input is fine),
 * numbering the nodes in document order so `walk` is a slice of one list. In a tree without syntax
 * errors, anonymous tokens that fill no field (`(`, `,`, `.`, `def`: a third of all nodes) are not
 * copied: nothing reads them, and each would cost an object and two calls into wasm. Operators keep
 * their field (`operator`, `operators`) and are copied.
 *
 * After an incremental reparse (`previous` given to `parse`, both versions without syntax errors), a
 * top-level statement whose text a statement of the previous version had is copied from that plain
 * tree, shifted, instead of out of wasm: a top-level statement of an error-free module parses the
 * same wherever it stands, so a one-line edit copies one class out of wasm, not the whole file.
 */
function copy(tree: Tree, errors: PythonTree["errors"], text: string, walker: (tree: Tree) => Walker, previous?: Map<string, PyNode>): PyNode {
  // A tree without errors has no missing nodes to ask about.
  const clean = !tree.rootNode.hasError;
  // After that public call: the direct walker's state must not be overwritten before its first use.
  const c = walker(tree);
  const language = tree.language;
  const types = language.types;
  const fields = language.fields;
  // Whether a node is named depends on its symbol alone: asked once per type id.
  const namedById: boolean[] = [];
  const order: PyNode[] = [];
  const make = (id: number, fieldId: number, named: boolean, parent: PyNode | undefined): PyNode => {
    // Every node has every property, in one order: one object shape for the whole analysis.
    const n: PyNode = { type: types[id] || "ERROR", start: c.start(), end: c.end(), named, field: fieldId ? (fields[fieldId] ?? undefined) : undefined, missing: undefined, children: NO_CHILDREN, parent, index: order.length, after: 0, order };
    order.push(n);
    if (clean) return n;
    if (c.missing()) {
      n.missing = true;
      errors.push({ start: n.start, end: n.end, missing: true });
    } else if (n.type === "ERROR") errors.push({ start: n.start, end: n.end, missing: false });
    return n;
  };
  /** The node under the cursor, copied and added to `parent`, or undefined for a token left out. */
  const visit = (parent: PyNode | undefined): PyNode | undefined => {
    const id = c.typeId();
    let named = namedById[id];
    if (named === undefined) namedById[id] = named = language.nodeTypeIsNamed(id);
    const fieldId = c.fieldId();
    if (clean && !named && !fieldId) return undefined;
    const n = make(id, fieldId, named, parent);
    if (parent) {
      if (parent.children === NO_CHILDREN) parent.children = [n];
      else parent.children.push(n);
    }
    return n;
  };
  // The cursor is freed however the walk ends (a wasm trap included).
  try {
    const root = visit(undefined)!;
    const skip = (n: PyNode) =>
      n.parent === root && n.type === "expression_statement" && n.end - n.start > 200 && !RELEVANT.test(text.slice(n.start, n.end)) && (clean || !c.hasError());
    // `parent` is the copied node whose children the cursor is on.
    const reuse = clean ? previous : undefined;
    let parent = root;
    if (!c.firstChild()) {
      root.after = order.length;
      return root;
    }
    for (;;) {
      const n = visit(parent);
      const same = reuse && n && parent === root ? reuse.get(text.slice(n.start, n.end)) : undefined;
      if (same && same.type === n!.type) adoptCopy(n!, same, order);
      // Tokens left out have no children to visit.
      else if (n && !skip(n) && c.firstChild()) {
        parent = n;
        continue;
      }
      if (n) n.after = order.length;
      while (!c.nextSibling()) {
        c.parent();
        parent.after = order.length;
        if (parent === root) return root;
        parent = parent.parent!;
      }
    }
  } finally {
    c.done();
  }
}

/** Gives `n` copies of the descendants of `from` (a node of another tree with the same text), shifted to `n`'s place. */
function adoptCopy(n: PyNode, from: PyNode, order: PyNode[]): void {
  const src = from.order!;
  const first = from.index;
  const end = from.after;
  const delta = n.start - from.start;
  // Old index -> new node: the subtree is contiguous in both document orders.
  const base = order.length - 1 - first;
  for (let i = first + 1; i < end; i++) {
    const o = src[i];
    const parent = order[base + o.parent!.index];
    const m: PyNode = { type: o.type, start: o.start + delta, end: o.end + delta, named: o.named, field: o.field, missing: undefined, children: NO_CHILDREN, parent, index: order.length, after: base + o.after, order };
    order.push(m);
    if (parent.children === NO_CHILDREN) parent.children = [m];
    else parent.children.push(m);
  }
  n.after = order.length;
}

// Small helpers over PyNode, shared by the analysis.

export function field(n: PyNode | undefined, name: string): PyNode | undefined {
  if (!n) return undefined;
  const children = n.children;
  for (let i = 0; i < children.length; i++) if (children[i].field === name) return children[i];
  return undefined;
}

export function fields(n: PyNode | undefined, name: string): PyNode[] {
  return n ? n.children.filter((c) => c.field === name) : [];
}

export function namedChildren(n: PyNode | undefined): PyNode[] {
  return n ? n.children.filter((c) => c.named && c.type !== "comment") : [];
}

/** A node's source text; "" for an absent node (an optional field). */
export function textOf(text: string, n: PyNode | undefined): string {
  return n ? text.slice(n.start, n.end) : "";
}

/** Every node under `n` (itself included), in document order (depth first). */
export function walk(n: PyNode): readonly PyNode[] {
  if (n.order && n.after > n.index) return n.index === 0 && n.after === n.order.length ? n.order : n.order.slice(n.index, n.after);
  // A tree built by hand (tests): without recursion.
  const out: PyNode[] = [];
  const stack = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    out.push(cur);
    for (let i = cur.children.length - 1; i >= 0; i--) stack.push(cur.children[i]);
  }
  return out;
}
