// How the Python parser walks a wasm tree. web-tree-sitter keeps a cursor's state in JavaScript and,
// on every getter and move, writes it into the wasm module's transfer buffer (and reads it back after
// a move), each value through a generic `setValue`/`getValue`. Copying a tree asks six things per
// node, so that marshalling cost more than the parse itself. Two ways to walk, one interface:
// - `publicWalker`: web-tree-sitter's TreeCursor API, nothing else;
// - `directWalker`: the same wasm functions the TreeCursor calls (`_ts_tree_cursor_*_wasm`), called
//   directly with the cursor left in the transfer buffer between calls: the getters only read it,
//   the moves write it back, and nothing else runs in between. Its state goes back into the
//   TreeCursor before any public call and before the cursor is freed.
// The direct walker relies on web-tree-sitter's internals (checked against 0.27's
// lib/binding_web/lib/tree-sitter.c); `directCalls` returns nothing when the module lacks what it
// needs, and the parser checks both walkers agree on a sample before using it.
import type { Tree, TreeCursor } from "web-tree-sitter";

export interface Walker {
  typeId(): number;
  start(): number;
  end(): number;
  fieldId(): number;
  missing(): boolean;
  /** Whether the current node contains a syntax error. */
  hasError(): boolean;
  firstChild(): boolean;
  nextSibling(): boolean;
  parent(): boolean;
  /** Frees the cursor. */
  done(): void;
}

export function publicWalker(tree: Tree): Walker {
  const c = tree.walk();
  return {
    typeId: () => c.nodeTypeId,
    start: () => c.startIndex,
    end: () => c.endIndex,
    fieldId: () => c.currentFieldId,
    missing: () => c.nodeIsMissing,
    hasError: () => c.currentNode.hasError,
    firstChild: () => c.gotoFirstChild(),
    nextSibling: () => c.gotoNextSibling(),
    parent: () => c.gotoParent(),
    done: () => c.delete(),
  };
}

type TreeCall = (tree: number) => number;

/** The wasm module's cursor entry points and its transfer buffer. */
export interface DirectCalls {
  module: Record<string, unknown>;
  /** Index of the transfer buffer in HEAP32. */
  slot: number;
  typeId: TreeCall;
  start: TreeCall;
  end: TreeCall;
  fieldId: TreeCall;
  missing: TreeCall;
  firstChild: TreeCall;
  nextSibling: TreeCall;
  parent: TreeCall;
}

const CALLS = {
  typeId: "_ts_tree_cursor_current_node_type_id_wasm",
  start: "_ts_tree_cursor_start_index_wasm",
  end: "_ts_tree_cursor_end_index_wasm",
  fieldId: "_ts_tree_cursor_current_field_id_wasm",
  missing: "_ts_tree_cursor_current_node_is_missing_wasm",
  firstChild: "_ts_tree_cursor_goto_first_child_wasm",
  nextSibling: "_ts_tree_cursor_goto_next_sibling_wasm",
  parent: "_ts_tree_cursor_goto_parent_wasm",
} as const;

/** The direct entry points of an initialised module, or undefined when any is missing. */
export function directCalls(module: Record<string, unknown>): DirectCalls | undefined {
  if (!littleEndian() || !(module.HEAP32 instanceof Int32Array) || typeof module._ts_init !== "function") return undefined;
  const fns: Partial<Record<keyof typeof CALLS, TreeCall>> = {};
  for (const [key, name] of Object.entries(CALLS) as Array<[keyof typeof CALLS, string]>) {
    const fn = module[name];
    if (typeof fn !== "function") return undefined;
    fns[key] = fn as TreeCall;
  }
  // ts_init only writes the language version into the buffer and returns its address.
  const transfer = (module._ts_init as () => number)();
  if (!Number.isInteger(transfer) || transfer <= 0 || transfer % 4 !== 0) return undefined;
  return { module, slot: transfer >> 2, ...(fns as Record<keyof typeof CALLS, TreeCall>) };
}

export function directWalker(tree: Tree, d: DirectCalls): Walker {
  const c = tree.walk();
  const state = c as unknown as Record<number, number>;
  const t = (tree as unknown as Record<0, number>)[0];
  // The heap view is asked for each time: a move may grow the memory and replace it.
  const put = () => {
    const h = d.module.HEAP32 as Int32Array;
    for (let i = 0; i < 4; i++) h[d.slot + i] = state[i];
  };
  const take = () => {
    const h = d.module.HEAP32 as Int32Array;
    for (let i = 0; i < 4; i++) state[i] = h[d.slot + i];
  };
  put();
  return {
    typeId: () => d.typeId(t),
    start: () => d.start(t),
    end: () => d.end(t),
    fieldId: () => d.fieldId(t),
    missing: () => d.missing(t) === 1,
    hasError: () => {
      take();
      const e = (c as TreeCursor).currentNode.hasError;
      put();
      return e;
    },
    firstChild: () => d.firstChild(t) === 1,
    nextSibling: () => d.nextSibling(t) === 1,
    parent: () => d.parent(t) === 1,
    done: () => {
      take();
      c.delete();
    },
  };
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}
