// Weight conversions that fold the unit offset into norm weights (`data_torch + 1`, `v + 1.0`,
// `w.float() + torch.ones_like(w)`, `ArithmeticTensorConversion(ADDITION, 1.0)`) or take it out,
// with the test on tensor names that guards them, kept as data (Guard) so a rule can ask whether
// a given norm tensor is touched. A converter class counts once per subclass that inherits the
// code, each with its own overrides (llama.cpp's Gemma3NModel returns 0.0 from `norm_shift`).
import { field, namedChildren, type PyNode, walk } from "../parsers/python";
import { definitionServes, fileServes, literal, type ScopeIndex, servesAt, stringOf } from "./declared-scope";
import type { Guard, MissingFold, MissingUnfold, OffsetBlindFold, OffsetBlindStandIn, OffsetConversion, Serves } from "./declared-types";
import { familiesDefiningClass } from "./family";
import { allFamilies, family as familyOf } from "../knowledge/index";
import { paramName } from "./interp";
import type { Range } from "./types";
import { lineAt } from "../util/text";

const range = (n: PyNode): Range => ({ start: n.start, end: n.end });
const FREE: Guard = { t: "free" };
const UNKNOWN: Guard = { t: "unknown" };

/** Functions whose arithmetic on tensors is a conversion of stored weights. */
const CONVERSION_FN = /modify_tensors|sanitize|convert|conversion|remap|port|load|fold|transform|process|map_|state_dict/i;
/** Functions that compute a norm rather than convert its weights. */
const COMPUTE_FN = /^(forward|__call__|_norm|extra_repr|__init__)$/;
const NAME_PARAM = /^(name|new_name|key|k|tensor_name|n|param_name)$/;
const MLX_MODULE = /^\s*(import mlx|from mlx)/m;
/** Names that say a check is about the input's layout, not which tensor this is. */
const TENSOR_VAR = /^(data_torch|data|tensor|weight|weights|w|v|value|t|param|p|x|arr|loaded_weight|loaded|norm_weight|weight_data)$/;
/** Bases a llama.cpp converter may have that add nothing to norm weights. */
const KNOWN_ROOTS = /^(TextModel|ModelBase|Model|object)$/;
const VISION_ROOT = /^MmprojModel$/;

export function and(...gs: Guard[]): Guard {
  const of = gs.flatMap((g) => (g.t === "and" ? g.of : [g])).filter((g) => g.t !== "free");
  return of.length === 0 ? FREE : of.length === 1 ? of[0] : { t: "and", of };
}

export function not(g: Guard): Guard {
  if (g.t === "free" || g.t === "unknown") return g;
  if (g.t === "not") return g.of;
  return { t: "not", of: g };
}

/** Does a guard let this tensor name through? undefined when it cannot tell. */
export function admits(g: Guard, name: string): boolean | undefined {
  switch (g.t) {
    case "free":
      return true;
    case "unknown":
      return undefined;
    case "endswith":
      return g.s.some((s) => name.endsWith(s));
    case "startswith":
      return g.s.some((s) => name.startsWith(s));
    case "contains":
      return g.s.some((s) => name.includes(s));
    case "equals":
      return g.s.includes(name);
    case "not": {
      const v = admits(g.of, name);
      return v === undefined ? undefined : !v;
    }
    case "and": {
      const vs = g.of.map((x) => admits(x, name));
      return vs.includes(false) ? false : vs.every((v) => v === true) ? true : undefined;
    }
    case "or": {
      const vs = g.of.map((x) => admits(x, name));
      return vs.includes(true) ? true : vs.every((v) => v === false) ? false : undefined;
    }
  }
}

/** The strings a guard tests for, to tell whether it is about norm tensors at all. */
export function guardStrings(g: Guard): string[] {
  if ("of" in g) return Array.isArray(g.of) ? g.of.flatMap(guardStrings) : [];
  return "s" in g ? g.s : [];
}

interface Ctx {
  text: string;
  /** Local names bound to a tuple or list of string literals (`norm_keys = (".q_norm.weight", ...)`). */
  tuples: Map<string, string[]>;
}

function stringsOf(n: PyNode | undefined, ctx: Ctx): string[] | undefined {
  if (!n) return undefined;
  const s = stringOf(n, ctx.text);
  if (s !== undefined) return [s];
  if (n.type === "tuple" || n.type === "list" || n.type === "set") {
    const items = namedChildren(n).map((c) => stringOf(c, ctx.text));
    return items.every((x) => x !== undefined) ? (items as string[]) : undefined;
  }
  if (n.type === "identifier") return ctx.tuples.get(ctx.text.slice(n.start, n.end)) ?? loopStrings(n, ctx);
  if (n.type === "parenthesized_expression") return stringsOf(namedChildren(n)[0], ctx);
  return undefined;
}

/** `key` bound by an enclosing `for key in ("a", "b"):` (or a name holding such strings): the strings it takes. */
function loopStrings(id: PyNode, ctx: Ctx): string[] | undefined {
  const name = ctx.text.slice(id.start, id.end);
  for (let p = id.parent; p && p.type !== "function_definition"; p = p.parent) {
    if (p.type !== "for_statement") continue;
    const left = field(p, "left");
    if (left?.type === "identifier" && ctx.text.slice(left.start, left.end) === name) {
      const right = field(p, "right");
      return right && right.type !== "identifier" ? stringsOf(right, ctx) : right ? ctx.tuples.get(ctx.text.slice(right.start, right.end)) : undefined;
    }
  }
  return undefined;
}

function mentions(n: PyNode, name: string, text: string): boolean {
  for (const x of walk(n)) if (x.type === "identifier" && text.slice(x.start, x.end) === name) return true;
  return false;
}

/**
 * The one assignment in the enclosing function that binds the flag `id` before its use
 * (`is_hf_layout = key.startswith("mtp.")`); undefined when there is none or more than one.
 */
function flagBinding(id: PyNode, text: string): PyNode | undefined {
  const fn = enclosingFn(id);
  if (!fn) return undefined;
  const name = text.slice(id.start, id.end);
  const binds = walk(field(fn, "body")!).filter((x) => x.type === "assignment" && field(x, "left")?.type === "identifier" && text.slice(field(x, "left")!.start, field(x, "left")!.end) === name);
  return binds.length === 1 && binds[0].end <= id.start ? field(binds[0], "right") : undefined;
}

/**
 * Is the name `nameVar` rebound between `from` and `to` to something other than itself with a
 * prefix cut off (`key = key[len("mtp.") :]`, `key.removeprefix("mtp.")`)? A suffix test before
 * and after such a cut means the same; any other rebinding makes the flag a test on another name.
 */
function renamedBetween(from: PyNode, to: PyNode, nameVar: string, text: string): boolean {
  const fn = enclosingFn(to);
  if (!fn) return false;
  for (const x of walk(field(fn, "body")!)) {
    if (x.start < from.end || x.start >= to.start || x.type !== "assignment") continue;
    const l = field(x, "left");
    if (l?.type !== "identifier" || text.slice(l.start, l.end) !== nameVar) continue;
    const r = text.slice(field(x, "right")!.start, field(x, "right")!.end).replace(/\s+/g, "");
    const esc = nameVar.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (!new RegExp(`^${esc}(\\[[^\\]:]+:\\]|\\.removeprefix\\(.+\\))$`).test(r)) return true;
  }
  return false;
}

/** Does `n` read `name` other than as a comprehension's own loop variable (`any(... for k in weights)`)? */
function mentionsFree(n: PyNode, name: string, text: string): boolean {
  const COMPREHENSION = /^(generator_expression|list_comprehension|set_comprehension|dictionary_comprehension)$/;
  const binds = (c: PyNode) => namedChildren(c).some((cl) => cl.type === "for_in_clause" && walk(field(cl, "left")!).some((x) => x.type === "identifier" && text.slice(x.start, x.end) === name));
  return walk(n).some((x) => {
    if (x.type !== "identifier" || text.slice(x.start, x.end) !== name) return false;
    for (let p = x.parent; p && p !== n.parent; p = p.parent) if (COMPREHENSION.test(p.type) && binds(p)) return false;
    return true;
  });
}

/** A condition as a test on the tensor name held by `nameVar`. */
export function compileGuard(n: PyNode | undefined, nameVar: string | undefined, ctx: Ctx): Guard {
  if (!n) return FREE;
  const { text } = ctx;
  if (!nameVar) return FREE;
  // A local flag computed from the name (`is_hf_layout = key.startswith("mtp.")`, then
  // `if is_hf_layout and ...`): the test it holds. A flag computed from the weights as a whole
  // (`any(... for k in weights)`) says nothing about which tensor this is.
  if (n.type === "identifier" && text.slice(n.start, n.end) !== nameVar) {
    const right = flagBinding(n, text);
    if (!right || !mentionsFree(right, nameVar, text)) return FREE;
    if (renamedBetween(right, n, nameVar, text)) return UNKNOWN;
    return compileGuard(right, nameVar, ctx);
  }
  if (!mentions(n, nameVar, text)) return FREE;
  const isName = (x: PyNode | undefined) => x?.type === "identifier" && text.slice(x.start, x.end) === nameVar;
  switch (n.type) {
    case "parenthesized_expression":
      return compileGuard(namedChildren(n)[0], nameVar, ctx);
    case "not_operator":
      return not(compileGuard(field(n, "argument"), nameVar, ctx));
    case "boolean_operator": {
      const l = field(n, "left")!;
      const r = field(n, "right")!;
      const op = text.slice(l.end, r.start).trim();
      const a = compileGuard(l, nameVar, ctx);
      const b = compileGuard(r, nameVar, ctx);
      if (op === "and") return and(a, b);
      if (a.t === "free" || b.t === "free") return FREE;
      return { t: "or", of: [...(a.t === "or" ? a.of : [a]), ...(b.t === "or" ? b.of : [b])] };
    }
    case "call": {
      const fn = field(n, "function")!;
      const args = field(n, "arguments");
      if (fn.type === "attribute" && isName(field(fn, "object"))) {
        const method = text.slice(field(fn, "attribute")!.start, field(fn, "attribute")!.end);
        const s = stringsOf(namedChildren(args)[0], ctx);
        if (s && (method === "endswith" || method === "startswith")) return { t: method, s };
        return UNKNOWN;
      }
      // any(name.endswith(s) for s in KEYS), any(s in name for s in KEYS)
      if (text.slice(fn.start, fn.end) === "any" && args?.type === "generator_expression") {
        const body = field(args, "body");
        const clause = namedChildren(args).find((c) => c.type === "for_in_clause");
        const loopVar = clause ? text.slice(field(clause, "left")!.start, field(clause, "left")!.end) : "";
        const s = clause ? stringsOf(field(clause, "right"), ctx) : undefined;
        if (!s || !body) return UNKNOWN;
        if (body.type === "call") {
          const bf = field(body, "function");
          const m = bf?.type === "attribute" && isName(field(bf, "object")) ? text.slice(field(bf, "attribute")!.start, field(bf, "attribute")!.end) : "";
          const a0 = namedChildren(field(body, "arguments"))[0];
          if ((m === "endswith" || m === "startswith") && a0 && text.slice(a0.start, a0.end) === loopVar) return { t: m, s };
        }
        if (body.type === "comparison_operator") {
          const [x, y] = namedChildren(body);
          const op = x && y ? text.slice(x.end, y.start).trim() : "";
          if (op === "in" && text.slice(x.start, x.end) === loopVar && isName(y)) return { t: "contains", s };
        }
        return UNKNOWN;
      }
      return UNKNOWN;
    }
    case "comparison_operator": {
      const parts = namedChildren(n);
      if (parts.length !== 2) return UNKNOWN;
      const [x, y] = parts;
      const op = text.slice(x.end, y.start).replace(/\s+/g, " ").trim();
      if ((op === "in" || op === "not in") && isName(y)) {
        const s = stringsOf(x, ctx);
        if (!s) return UNKNOWN;
        const g: Guard = { t: "contains", s };
        return op === "in" ? g : not(g);
      }
      if ((op === "in" || op === "not in") && isName(x)) {
        const s = stringsOf(y, ctx);
        if (!s) return UNKNOWN;
        const g: Guard = { t: "equals", s };
        return op === "in" ? g : not(g);
      }
      if ((op === "==" || op === "!=") && (isName(x) || isName(y))) {
        const s = stringsOf(isName(x) ? y : x, ctx);
        if (!s) return UNKNOWN;
        const g: Guard = { t: "equals", s };
        return op === "==" ? g : not(g);
      }
      return UNKNOWN;
    }
    default:
      return UNKNOWN;
  }
}

/** Does a block end by leaving (`return`, `continue`, `raise`)? */
function leaves(block: PyNode | undefined): boolean {
  const last = namedChildren(block).pop();
  return !!last && /^(return_statement|continue_statement|raise_statement)$/.test(last.type);
}

/** The conditions under which `node` runs, up to `stop`: enclosing branches and earlier early exits. */
export function guardAt(node: PyNode, stop: PyNode | undefined, nameVar: string | undefined, ctx: Ctx): Guard {
  const gs: Guard[] = [];
  const chainConds = (ifs: PyNode, upto?: PyNode): PyNode[] => {
    const out: PyNode[] = [field(ifs, "condition")!];
    for (const c of ifs.children) {
      if (c === upto) break;
      if (c.type === "elif_clause") out.push(field(c, "condition")!);
    }
    return out;
  };
  for (let cur: PyNode = node, p = node.parent; p && p !== stop; cur = p, p = p.parent) {
    if (p.type === "if_statement" && cur.field === "consequence") gs.push(compileGuard(field(p, "condition"), nameVar, ctx));
    else if (p.type === "elif_clause" && cur.field === "consequence") {
      gs.push(compileGuard(field(p, "condition"), nameVar, ctx));
      for (const c of chainConds(p.parent!, p)) gs.push(not(compileGuard(c, nameVar, ctx)));
    } else if (p.type === "else_clause" && p.parent?.type === "if_statement") {
      for (const c of chainConds(p.parent)) gs.push(not(compileGuard(c, nameVar, ctx)));
    } else if (p.type === "conditional_expression") {
      const [a, c] = namedChildren(p);
      if (c) gs.push(cur === a ? compileGuard(c, nameVar, ctx) : not(compileGuard(c, nameVar, ctx)));
    } else if (p.type === "block") {
      // `if not name.endswith("norm.weight"): return` before the conversion.
      for (const st of namedChildren(p)) {
        if (st.start >= cur.start) break;
        if (st.type === "if_statement" && leaves(field(st, "consequence")) && !st.children.some((c) => c.field === "alternative")) gs.push(not(compileGuard(field(st, "condition"), nameVar, ctx)));
      }
    }
  }
  return and(...gs);
}

interface Site {
  node: PyNode;
  inPlace?: boolean;
  fn?: PyNode;
  delta?: number;
  /** `data_torch + f_shift` with `f_shift = self.norm_shift(name)`: resolved per converter class. */
  shift?: { method: string; sign: number };
  guard: Guard;
  names?: string[];
}

function isOne(n: PyNode | undefined, text: string): boolean {
  if (!n) return false;
  const v = literal(n, text);
  if (v === 1) return true;
  return n.type === "call" && /(^|\.)ones_like$/.test(text.slice(field(n, "function")!.start, field(n, "function")!.end));
}

/** `base.layers[l].input_layernorm.weight.float()` -> "input_layernorm.weight" (what follows the last index). */
function tensorPath(n: PyNode, text: string): string | undefined {
  let t = text.slice(n.start, n.end).replace(/\s+/g, "");
  for (let i = 0; i < 4; i++) t = t.replace(/\.(float|half|bfloat16|clone|detach|contiguous|cpu|to|type|data)\([^()]*\)$|\.data$/, "");
  const tail = t.split(/\]/).pop()!.replace(/^\./, "");
  return /^[A-Za-z_][\w.]*$/.test(tail) ? tail : undefined;
}

const NORMISH = /norm|(^|[._])ln[_\d.]|(^|[._])ln$|layernorm/i;
/**
 * A test for multi-token-prediction keys anywhere in the weights (`"mtp." in k`). A per-key
 * `key.startswith("mtp.")` that strips the prefix (mlx-vlm's MTP drafter) is a layout test: the
 * converted keys lose it.
 */
const MTP_KEY_TEST = /["']mtp[._]?["']\s+in\b/;

/** A class converting norm weights (`RMSNorm2ZeroCenteredRMSNormMapping`, `LayerNormConverter`), not a norm. */
const NORM_MAPPING_CLASS = /Norm\w*(Mapping|Converter|Conversion|Bridge)$/;

/** `w.data` -> `w`: the same tensor (an in-place change through `.data` changes `w`). */
function unwrapData(n: PyNode, text: string): PyNode {
  const a = n.type === "attribute" ? field(n, "attribute") : undefined;
  return a && text.slice(a.start, a.end) === "data" ? (field(n, "object") ?? n) : n;
}

function enclosingFn(n: PyNode): PyNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === "function_definition") return p;
  return undefined;
}

function classOfMethod(fn: PyNode): PyNode | undefined {
  let p = fn.parent;
  if (p?.type === "decorated_definition") p = p.parent;
  return p?.type === "block" && p.parent?.type === "class_definition" ? p.parent : undefined;
}

function params(fn: PyNode, text: string): string[] {
  return namedChildren(field(fn, "parameters")).map((p) => paramName(p, text) ?? "");
}

/** The loop `for k, v in weights.items():` that binds `v`, and its key variable. */
function itemsLoopKey(n: PyNode, v: string, text: string): string | undefined {
  for (let p = n.parent; p && p.type !== "function_definition"; p = p.parent) {
    if (p.type !== "for_statement") continue;
    const left = field(p, "left");
    const right = field(p, "right");
    if (left?.type !== "pattern_list" && left?.type !== "tuple_pattern") continue;
    const [k, val] = namedChildren(left);
    if (!k || !val || text.slice(val.start, val.end) !== v) continue;
    // `for k, v in weights.items()`, or `for name, loaded_weight in weights` (an iterable of pairs).
    if (right && (/\.items\(\)$/.test(text.slice(right.start, right.end)) || NAME_PARAM.test(text.slice(k.start, k.end)))) return text.slice(k.start, k.end);
  }
  return undefined;
}

function findSites(root: PyNode, ctx: Ctx): Site[] {
  const { text } = ctx;
  const sites: Site[] = [];
  const consider = (node: PyNode, operand: PyNode | undefined, delta: number | undefined, shift?: Site["shift"], inPlace = false) => {
    const fn = enclosingFn(node);
    if (fn && COMPUTE_FN.test(text.slice(field(fn, "name")!.start, field(fn, "name")!.end))) return;
    if (!operand) return;
    const opText = text.slice(operand.start, operand.end);
    if (/^self\./.test(opText)) return;
    const fnName = fn ? text.slice(field(fn, "name")!.start, field(fn, "name")!.end) : "";
    const path = operand.type === "identifier" ? undefined : tensorPath(operand, text);
    // A method of a class that maps norm weights between formats (Megatron-Bridge's
    // `RMSNorm2ZeroCenteredRMSNormMapping.hf_to_megatron`): every tensor it is handed is a norm weight.
    const owner = fn ? classOfMethod(fn) : undefined;
    const normMapping = !!owner && NORM_MAPPING_CLASS.test(nameOf(owner, text));
    let nameVar: string | undefined;
    let names: string[] | undefined;
    if (operand.type === "identifier") {
      if (!TENSOR_VAR.test(opText) && !normMapping) return;
      nameVar = itemsLoopKey(node, opText, text) ?? (fn ? params(fn, text).find((p) => NAME_PARAM.test(p)) : undefined);
    } else if (path && NORMISH.test(path) && /(\.weight|\.w|\.scale|\.gamma)$/.test(path)) names = [path];
    else return;
    if (!names && !CONVERSION_FN.test(fnName) && !normMapping) return;
    const guard = names ? FREE : guardAt(node, fn, nameVar, ctx);
    sites.push({ node, fn, delta, shift, guard, names, inPlace });
  };
  /** `f_shift` bound in the same function to `self.norm_shift(name)`. */
  const shiftOf = (id: PyNode): string | undefined => {
    const fn = enclosingFn(id);
    if (!fn) return undefined;
    const v = text.slice(id.start, id.end);
    for (const n of walk(field(fn, "body")!)) {
      // `z: int` is an assignment without a right side.
      const left = field(n, "left");
      const right = field(n, "right");
      if (n.type !== "assignment" || !left || !right || text.slice(left.start, left.end) !== v) continue;
      const m = /^self\.(\w+)\(/.exec(text.slice(right.start, right.end));
      if (m) return m[1];
    }
    return undefined;
  };
  for (const n of walk(root)) {
    if (n.type === "binary_operator") {
      const l = field(n, "left")!;
      const r = field(n, "right")!;
      const op = text.slice(l.end, r.start).trim();
      if (op === "+" && isOne(r, text)) consider(n, l, 1);
      // `v + 2.0`: the unit offset applied twice (unsloth-zoo#1095's source + 2.0 state).
      else if (op === "+" && literal(r, text) === 2) consider(n, l, 2);
      else if (op === "+" && isOne(l, text)) consider(n, r, 1);
      else if (op === "-" && isOne(r, text)) consider(n, l, -1);
      else if ((op === "+" || op === "-") && r.type === "identifier") {
        const m = shiftOf(r);
        if (m) consider(n, l, undefined, { method: m, sign: op === "+" ? 1 : -1 });
      }
    } else if (n.type === "augmented_assignment") {
      const left = field(n, "left")!;
      const l = unwrapData(left, text);
      const r = field(n, "right")!;
      const op = text.slice(left.end, r.start).trim();
      // On a torch tensor `+=` changes it in place; MLX and NumPy-free code rebinds (mx arrays are immutable).
      if ((op === "+=" || op === "-=") && isOne(r, text)) consider(n, l, op === "+=" ? 1 : -1, undefined, !MLX_MODULE.test(text) && callersTensor(n, l, text));
    } else if (n.type === "call" && field(n, "function")?.type === "attribute" && /^(add_|sub_)$/.test(text.slice(field(field(n, "function"), "attribute")!.start, field(field(n, "function"), "attribute")!.end))) {
      const [arg] = namedChildren(field(n, "arguments"));
      const m = text.slice(field(field(n, "function"), "attribute")!.start, field(field(n, "function"), "attribute")!.end);
      const target = field(field(n, "function"), "object");
      if (isOne(arg, text) && target) consider(n, target, m === "add_" ? 1 : -1, undefined, callersTensor(n, target, text));
    } else if (n.type === "call" && /(^|\.)ArithmeticTensorConversion$/.test(text.slice(field(n, "function")!.start, field(n, "function")!.end))) {
      const [opNode, value] = namedChildren(field(n, "arguments"));
      const op = opNode ? text.slice(opNode.start, opNode.end) : "";
      if (literal(value, text) !== 1 || !/ADDITION$|SUBTRACTION$/.test(op)) continue;
      let key: string | undefined;
      for (let p = n.parent, i = 0; p && i < 6; p = p.parent, i++) {
        if (p.type === "pair") {
          key = stringOf(field(p, "key"), text);
          break;
        }
      }
      sites.push({ node: n, fn: enclosingFn(n), delta: /ADDITION$/.test(op) ? 1 : -1, guard: FREE, names: key ? [key] : undefined });
    }
  }
  return sites;
}

/**
 * Is `operand` a tensor the caller still holds: a loop variable over the caller's dict or module, a
 * parameter of the function, or an attribute path into a module (`layer.input_layernorm.weight`)?
 * A tensor the function made itself (`w = weights.get_tensor(...)`) is its own to change.
 */
function callersTensor(node: PyNode, operand: PyNode, text: string): boolean {
  const fn = enclosingFn(node);
  if (!fn) return false;
  // A module's own weight (`module.input_layernorm.weight += 1` while fusing it) belongs to the model
  // being changed on purpose; the caller's tensors are the ones it was handed.
  if (operand.type !== "identifier") return operand.type === "subscript";
  const name = text.slice(operand.start, operand.end);
  if (loopVars(fn, node, text).has(name)) return true;
  // The last binding of the name before the change: a parameter rebound (`w = w.clone()`) is no
  // longer the caller's; a local bound to an element of a dict (`v = out[key]`) is
  // the holder's tensor under another name.
  const bindings = walk(field(fn, "body")!).filter((x) => x.start < node.start && x.type === "assignment" && text.slice(field(x, "left")!.start, field(x, "left")!.end) === name);
  const last = bindings[bindings.length - 1];
  if (last) return field(last, "right")?.type === "subscript";
  return params(fn, text).includes(name);
}

/** The loop variables (`k, v` of `for k, v in weights.items()`) around `node` inside `fn`. */
function loopVars(fn: PyNode, node: PyNode, text: string): Set<string> {
  const out = new Set<string>();
  for (let p = node.parent; p && p !== fn; p = p.parent) {
    if (p.type !== "for_statement") continue;
    for (const id of walk(field(p, "left")!)) if (id.type === "identifier") out.add(text.slice(id.start, id.end));
  }
  return out;
}

/**
 * Does `fn` check that its input is in the source layout before changing `node`? A condition on an
 * enclosing `if` or an early `return` before it that does not merely select the tensor (it names no
 * loop variable), and either tests the weights for a key (`"...conv1d.weight" in weights`), names a
 * layout word (`already_converted`, `is_hf`, `norm_convention`), or tests another tensor's shape.
 */
function hasLayoutGuard(fn: PyNode, node: PyNode, text: string, mtp?: (r: Range) => void, constant?: (r: Range, helper: string) => void): boolean {
  const loop = loopVars(fn, node, text);
  // A condition (or one operand of an `and`) that does not name the tensor being changed is about the
  // input as a whole: a flag computed from a structural test (`should_shift_norm_weights`), a key only
  // the source layout has, an "already converted" marker, another tensor's shape.
  const layoutTest = (cond: PyNode | undefined): boolean => {
    if (!cond) return false;
    if (cond.type === "parenthesized_expression") return layoutTest(namedChildren(cond)[0]);
    if (cond.type === "boolean_operator" && text.slice(field(cond, "left")!.end, field(cond, "right")!.start).trim() === "and") return layoutTest(field(cond, "left")) || layoutTest(field(cond, "right"));
    // A helper of the file that returns True whatever it is given tests nothing.
    const always = cond.type === "call" ? alwaysTrue(field(cond, "function"), fn, text) : undefined;
    if (always) {
      constant?.(range(always), text.slice(field(cond, "function")!.start, field(cond, "function")!.end));
      return false;
    }
    const ids = walk(cond).filter((x) => x.type === "identifier").map((x) => text.slice(x.start, x.end));
    if (!ids.length || ids.some((i) => loop.has(i))) return false;
    // Multi-token-prediction keys are no layout signal: converted MLX checkpoints can keep them
    // (mlx-lm#1623 rejected `any("mtp." in k ...)` as the raw-layout test).
    const flag = (id: string) => walk(field(fn, "body")!).find((x) => x.type === "assignment" && x.start < node.start && text.slice(field(x, "left")!.start, field(x, "left")!.end) === id);
    // The condition and the right sides of the flags it reads (the flag's own name may say `conv1d`).
    const nodes = [...(cond.type === "identifier" ? [] : [cond]), ...ids.map((i) => field(flag(i), "right")).filter((x) => x !== undefined)];
    const tests = nodes.map((x) => text.slice(x.start, x.end));
    if (tests.some((x) => MTP_KEY_TEST.test(x)) && !tests.some((x) => /conv1d|shape|ndim|converted|is_hf|layout/.test(x))) {
      mtp?.(range(nodes.find((x) => MTP_KEY_TEST.test(text.slice(x.start, x.end)))!));
      return false;
    }
    return true;
  };
  for (let p = node.parent; p && p !== fn; p = p.parent) if ((p.type === "if_statement" || p.type === "elif_clause") && layoutTest(field(p, "condition"))) return true;
  // `if <test>: return weights` before the change.
  for (const n of walk(field(fn, "body")!)) {
    if (n.start >= node.start) break;
    if (n.type === "if_statement" && layoutTest(field(n, "condition")) && walk(field(n, "consequence")!).some((x) => x.type === "return_statement")) return true;
  }
  return false;
}

/**
 * The first return of a module-level function of the file that `callee` names, when every return
 * of that function is the literal `True` (`def should_offset_norm_weight(key, shift): return True`).
 */
function alwaysTrue(callee: PyNode | undefined, from: PyNode, text: string): PyNode | undefined {
  if (callee?.type !== "identifier") return undefined;
  let root: PyNode = from;
  while (root.parent) root = root.parent;
  const name = text.slice(callee.start, callee.end);
  const def = namedChildren(root).map((st) => (st.type === "decorated_definition" ? field(st, "definition") : st)).find((d) => d?.type === "function_definition" && nameOf(d, text) === name);
  const body = field(def, "body");
  if (!body) return undefined;
  // Its own returns, not those of functions nested in it.
  const returns = walk(body).filter((r) => r.type === "return_statement" && enclosingFn(r) === def);
  return returns.length && returns.every((r) => namedChildren(r)[0]?.type === "true") ? returns[0] : undefined;
}

function nameOf(def: PyNode, text: string): string {
  const n = field(def, "name");
  return n ? text.slice(n.start, n.end) : "";
}

function methodsOf(cls: PyNode, text: string): Map<string, PyNode> {
  const out = new Map<string, PyNode>();
  for (const st of namedChildren(field(cls, "body"))) {
    const def = st.type === "decorated_definition" ? field(st, "definition") : st;
    if (def?.type === "function_definition") out.set(nameOf(def, text), def);
  }
  return out;
}

function registered(cls: PyNode, text: string): boolean {
  const d = cls.parent?.type === "decorated_definition" ? cls.parent : undefined;
  return !!d && namedChildren(d).some((c) => c.type === "decorator" && /\.register\(/.test(text.slice(c.start, c.end)));
}

export function collectConversions(
  root: PyNode,
  text: string,
  idx: ScopeIndex,
): {
  conversions: OffsetConversion[];
  missingFolds: MissingFold[];
  missingUnfolds: MissingUnfold[];
  offsetBlindFolds: OffsetBlindFold[];
  overShifts: OffsetConversion[];
  offsetBlindStandIns: OffsetBlindStandIn[];
} {
  const tuples = new Map<string, string[]>();
  const ctx: Ctx = { text, tuples };
  for (const n of walk(root)) {
    if (n.type !== "assignment" || field(n, "left")?.type !== "identifier") continue;
    const s = stringsOf(field(n, "right"), { text, tuples: new Map() });
    if (s && field(n, "right")!.type !== "string") tuples.set(text.slice(field(n, "left")!.start, field(n, "left")!.end), s);
  }
  const classes = walk(root).filter((n) => n.type === "class_definition");
  const byName = new Map(classes.map((c) => [nameOf(c, text), c]));
  const bases = (c: PyNode) => namedChildren(field(c, "superclasses")).filter((b) => b.type !== "keyword_argument").map((b) => text.slice(b.start, b.end).split(".").pop()!);
  /** The class, then its ancestors in this module (breadth first), and the bases from elsewhere. */
  const lineages = new Map<PyNode, { chain: PyNode[]; foreign: string[] }>();
  const lineage = (c: PyNode) => {
    const known = lineages.get(c);
    if (known) return known;
    const chain = [c];
    const foreign: string[] = [];
    for (let i = 0; i < chain.length && chain.length < 16; i++) {
      for (const b of bases(chain[i])) {
        const local = byName.get(b);
        if (local && !chain.includes(local)) chain.push(local);
        else if (!local && !foreign.includes(b)) foreign.push(b);
      }
    }
    lineages.set(c, { chain, foreign });
    return { chain, foreign };
  };
  const methods = new Map(classes.map((c) => [c, methodsOf(c, text)]));
  /** Does `unit` run `owner`'s version of method `m` (directly or through super() calls)? */
  const inherits = (unit: PyNode, owner: PyNode, m: string): boolean => {
    const { chain } = lineage(unit);
    if (!chain.includes(owner)) return false;
    for (const c of chain) {
      if (c === owner) return true;
      const def = methods.get(c)?.get(m);
      if (def && !new RegExp(`super\\(\\)\\.${m}\\(`).test(text.slice(def.start, def.end))) return false;
    }
    return true;
  };
  /** What `self.<m>(name)` returns in `unit`: values with the conditions they hold under. */
  const resolveShift = (unit: PyNode, m: string): Array<{ value: number; guard: Guard }> | undefined => {
    const def = lineage(unit).chain.map((c) => methods.get(c)?.get(m)).find((d) => d !== undefined);
    if (!def) return undefined;
    const nameVar = params(def, text).find((p) => NAME_PARAM.test(p));
    const out: Array<{ value: number; guard: Guard }> = [];
    for (const n of walk(field(def, "body")!)) {
      if (n.type !== "return_statement") continue;
      const e = namedChildren(n)[0];
      const g = guardAt(n, def, nameVar, ctx);
      if (e?.type === "conditional_expression") {
        const [a, c, b] = namedChildren(e);
        const va = literal(a, text);
        const vb = literal(b, text);
        if (typeof va !== "number" || typeof vb !== "number") return undefined;
        const cg = compileGuard(c, nameVar, ctx);
        out.push({ value: va, guard: and(g, cg) }, { value: vb, guard: and(g, not(cg)) });
      } else {
        const v = literal(e, text);
        if (typeof v !== "number") return undefined;
        out.push({ value: v, guard: g });
      }
    }
    return out;
  };

  const sites = findSites(root, ctx);
  const conversions: OffsetConversion[] = [];
  const overShifts: OffsetConversion[] = [];
  /** Classes that hold an offset change for the missing-fold check (shifts of unknown value count). */
  const folding = new Set<PyNode>();
  for (const site of sites) {
    const owner = site.fn ? classOfMethod(site.fn) : undefined;
    const m = site.fn ? nameOf(site.fn, text) : "";
    const units: Array<{ name: string; cls?: PyNode; serves?: Serves }> = [];
    if (!owner) units.push({ name: site.fn ? nameOf(site.fn, text) : "<module>", serves: servesAt(site.node, idx) });
    else {
      for (const c of classes) {
        if (!inherits(c, owner, m)) continue;
        const own = definitionServes(c, idx);
        const hasHeirs = classes.some((d) => d !== c && lineage(d).chain.includes(c));
        if (!own && hasHeirs) continue;
        units.push({ name: nameOf(c, text), cls: c, serves: c === owner ? servesAt(site.node, idx) : (own ?? fileServes(idx)) });
      }
    }
    for (const u of units) {
      let deltas: Array<{ delta: number; guard: Guard }>;
      if (site.delta !== undefined) deltas = [{ delta: site.delta, guard: site.guard }];
      else {
        const r = u.cls ? resolveShift(u.cls, site.shift!.method) : undefined;
        if (!r) {
          if (u.cls) folding.add(u.cls);
          continue;
        }
        deltas = r.filter((x) => x.value !== 0).map((x) => ({ delta: x.value * site.shift!.sign, guard: and(site.guard, x.guard) }));
      }
      // Only an addition folds the offset: a class that subtracts 1 from a folding family's norms
      // (`data_torch - 1` in a GGUF converter) writes w - 1 where the GGUF keeps 1 + w.
      if (deltas.some((d) => d.delta > 0) && u.cls) folding.add(u.cls);
      for (const d of deltas) {
        if (Math.abs(d.delta) !== 1 && (d.delta !== 2 || site.shift)) continue;
        let mtpGuard: Range | undefined;
        let constantGuard: OffsetConversion["constantGuard"];
        const c: OffsetConversion = {
          delta: d.delta, range: range(site.node), guard: d.guard, names: site.names, unit: u.name, gguf: !!u.cls && registered(u.cls, text), serves: u.serves,
          fn: m || undefined, inPlace: site.inPlace,
          layoutGuard: site.fn ? hasLayoutGuard(site.fn, site.node, text, (r) => (mtpGuard ??= r), (r, helper) => (constantGuard ??= { range: r, helper })) : false,
        };
        if (mtpGuard) c.mtpGuard = mtpGuard;
        if (constantGuard) c.constantGuard = constantGuard;
        if (d.delta !== 2) conversions.push(c);
        else if (touchesNorms(c)) overShifts.push(c);
      }
    }
  }

  const missingFolds: MissingFold[] = [];
  for (const c of classes) {
    if (!registered(c, text)) continue;
    const serves = definitionServes(c, idx);
    if (!serves || !serves.families.some((f) => f.gguf?.foldsOffset)) continue;
    const { chain, foreign } = lineage(c);
    if (foreign.some((b) => !KNOWN_ROOTS.test(b)) || foreign.some((b) => VISION_ROOT.test(b))) continue;
    if (chain.some((k) => folding.has(k))) continue;
    missingFolds.push({ cls: nameOf(c, text), range: range(field(c, "name")!), serves: { ...serves, families: serves.families.filter((f) => f.gguf?.foldsOffset) } });
  }
  return { conversions, missingFolds, missingUnfolds: findMissingUnfolds(root, text, idx, conversions), offsetBlindFolds: findOffsetBlindFolds(root, text, idx), overShifts, offsetBlindStandIns: findOffsetBlindStandIns(classes, text) };
}

/** Checkpoint names of the norms every decoder has, to test a conversion's name guard against. */
const NORM_NAMES = ["model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight", "model.norm.weight"];

/** Does the conversion certainly act on norm weights (its names, or a guard that admits a norm's name)? */
function touchesNorms(c: OffsetConversion): boolean {
  if (c.names) return c.names.some((n) => NORMISH.test(n));
  return NORM_NAMES.some((n) => admits(c.guard, n) === true);
}

/** `ln.weight` / `norm.weight.data` of something named like a norm. */
const NORM_WEIGHT = /^(\w+\.)*(ln\w*|\w*norm\w*|\w*layernorm\w*)\.weight(\.data)?$/i;

/** The class names `isinstance(obj, A)` / `isinstance(obj, (A, B))` tests in a condition name. */
function isinstanceNames(cond: PyNode | undefined, obj: string, text: string): string[] {
  const out: string[] = [];
  for (const c of cond ? walk(cond) : []) {
    if (c.type !== "call" || text.slice(field(c, "function")!.start, field(c, "function")!.end) !== "isinstance") continue;
    const [o, cls] = namedChildren(field(c, "arguments"));
    if (!o || !cls || text.slice(o.start, o.end) !== obj) continue;
    for (const n of cls.type === "tuple" ? namedChildren(cls) : [cls]) out.push(text.slice(n.start, n.end).split(".").pop()!);
  }
  return out;
}

/**
 * The class names of the `isinstance(obj, ...)` tests guarding `node`, one list per enclosing
 * `if`/`elif` whose own branch holds it (not its `else`), innermost first, inside its function.
 */
export function* guardingIsinstance(node: PyNode, obj: string, text: string): Generator<string[]> {
  for (let cur: PyNode = node, p = node.parent; p && p.type !== "function_definition"; cur = p, p = p.parent) {
    if ((p.type !== "if_statement" && p.type !== "elif_clause") || cur.field !== "consequence") continue;
    const names = isinstanceNames(field(p, "condition"), obj, text);
    if (names.length) yield names;
  }
}

/** The family an enclosing `if isinstance(x, GemmaRMSNorm)` names, for the object `obj`. */
function isinstanceFamily(node: PyNode, obj: string, text: string): { family: string; how: string } | undefined {
  for (const names of guardingIsinstance(node, obj, text)) {
    for (const name of names) {
      const fam = familiesDefiningClass(name)[0];
      if (fam) return { family: fam, how: `\`isinstance(${obj}, ${name})\`` };
    }
  }
  return undefined;
}

/** The family of a knowledge-base norm class that scales by `1 + weight` (GemmaRMSNorm: gemma, not a model that reuses it). */
function offsetClassFamily(name: string): string | undefined {
  const key = (x: string) => x.toLowerCase().replace(/[^a-z0-9]/g, "");
  const fams = familiesDefiningClass(name).sort((a, b) => Number(key(name).startsWith(key(b))) * key(b).length - Number(key(name).startsWith(key(a))) * key(a).length);
  return fams.find((fam) => familyOf(fam)?.classes?.find((c) => c.name === name)?.offset);
}

/**
 * An offset norm class that reaches the `else:` a node is in: the `isinstance(obj, ...)` tests in
 * front of it send some offset classes (`GemmaRMSNorm`) to their own branch, and a list, tuple or
 * set of the file that holds one of those (AutoAWQ's `allowed_norms`) also holds an offset class
 * the tests leave out. That class falls through to the branch written for plain norms.
 */
function uncoveredOffsetClass(node: PyNode, obj: string, root: PyNode, text: string): { family: string; how: string; from: PyNode; cls: string; test: PyNode; listedLine: number } | undefined {
  for (let cur: PyNode = node, p = node.parent; p && p.type !== "function_definition"; cur = p, p = p.parent) {
    if (cur.type !== "else_clause" || p.type !== "if_statement") continue;
    const conds = [field(p, "condition"), ...namedChildren(p).filter((c) => c.type === "elif_clause").map((c) => field(c, "condition"))];
    const tested = new Set(conds.flatMap((c) => isinstanceNames(c, obj, text)));
    if (![...tested].some((n) => offsetClassFamily(n))) continue;
    for (const coll of walk(root)) {
      if (coll.type !== "list" && coll.type !== "tuple" && coll.type !== "set") continue;
      const names = namedChildren(coll).filter((e) => e.type === "identifier" || e.type === "attribute").map((e) => text.slice(e.start, e.end).split(".").pop()!);
      if (!names.some((n) => tested.has(n))) continue;
      for (const name of names) {
        const family = tested.has(name) ? undefined : offsetClassFamily(name);
        const line = lineAt(text, coll.start);
        if (family) return { family, how: `\`${name}\``, from: cur, cls: name, test: field(p, "condition")!, listedLine: line };
      }
    }
  }
  return undefined;
}

/**
 * Scales folded into a norm's weight (`ln.weight.div_(scales)`, `ln.weight.data = ln.weight / s`,
 * `ln.weight *= s`) for a family whose norms scale by `1 + weight`, with no `+ 1` on that weight
 * before the fold in the same function: the fold then scales `w` where the norm applies `1 + w`.
 */
function findOffsetBlindFolds(root: PyNode, text: string, idx: ScopeIndex): OffsetBlindFold[] {
  const out: OffsetBlindFold[] = [];
  const t = (n: PyNode | undefined) => (n ? text.slice(n.start, n.end).replace(/\s+/g, "") : "");
  for (const n of walk(root)) {
    let target: PyNode | undefined;
    if (n.type === "call" && field(n, "function")?.type === "attribute" && /^(div_|mul_)$/.test(t(field(field(n, "function"), "attribute")))) target = field(field(n, "function"), "object");
    else if (n.type === "augmented_assignment" && /^[*/]=$/.test(text.slice(field(n, "left")!.end, field(n, "right")!.start).trim())) target = field(n, "left");
    else if (n.type === "assignment" && field(n, "right")?.type === "binary_operator" && /^[*/]$/.test(t(field(field(n, "right"), "operator")))) {
      const l = field(n, "left");
      const rl = field(field(n, "right"), "left");
      if (l && rl && t(rl).replace(/\.data$/, "") === t(l).replace(/\.data$/, "")) target = l;
    }
    const path = t(target);
    if (!target || !NORM_WEIGHT.test(path)) continue;
    const fn = enclosingFn(n);
    const obj = path.replace(/\.weight(\.data)?$/, "");
    const direct = isinstanceFamily(n, obj, text);
    const uncovered = direct ? undefined : uncoveredOffsetClass(n, obj, root, text);
    const viaIsinstance = direct ?? uncovered;
    const served = viaIsinstance ? undefined : servesAt(n, idx);
    const fam = viaIsinstance ? familyOf(viaIsinstance.family) : served?.families.find((f) => f.offset);
    if (!fam?.offset) continue;
    // The offset handled: `ln.weight += 1` / `.add_(1)` / `1 + ln.weight` earlier in the function
    // (in the `else` itself when the class fell through to it: the offset branch's `+= 1` is not on its path).
    const from = uncovered?.from ?? fn;
    const before = from ? text.slice(from.start, n.start).replace(/\s+/g, "") : "";
    const esc = obj.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const handled = new RegExp(`${esc}\\.weight(\\.data)?(\\+=1|\\.add_\\(1|=${esc}\\.weight(\\.data)?\\+1)|1(\\.0*)?\\+${esc}\\.weight`).test(before);
    if (handled) continue;
    // A class that falls through is reported at the test that leaves it out, which is where the fix goes.
    const fallThrough = uncovered && { cls: uncovered.cls, obj, listedLine: uncovered.listedLine, foldLine: lineAt(text, n.start) };
    out.push({ range: range(uncovered?.test ?? n), target: path, family: fam.modelType, how: viaIsinstance?.how ?? `${served?.detail ?? fam.modelType}`, ...(fallThrough ? { fallThrough } : {}) });
  }
  return out;
}

/** The class names a class is registered under (`@Registry.register("GemmaRMSNorm", alias=[...])`), with the decorator. */
function registeredNames(cls: PyNode, text: string): { names: string[]; at: PyNode } | undefined {
  const d = cls.parent?.type === "decorated_definition" ? cls.parent : undefined;
  for (const dec of d ? namedChildren(d) : []) {
    if (dec.type !== "decorator" || !/\.register\(/.test(text.slice(dec.start, dec.end))) continue;
    const names = walk(dec).filter((s) => s.type === "string").map((s) => stringOf(s, text)).filter((n): n is string => !!n && /^\w+$/.test(n));
    if (names.length) return { names, at: dec };
  }
  return undefined;
}

/** The first offset norm class (with its family) among the names a class is registered under. */
function registeredOffsetClass(names: string[]): { name: string; family: string } | undefined {
  for (const name of names) {
    const family = offsetClassFamily(name);
    if (family) return { name, family };
  }
  return undefined;
}

/** A class name without its versions (`Gemma2RMSNorm`, `Gemma3RMSNorm` -> `gemmarmsnorm`): one model line's norm classes. */
const lineStem = (name: string) => name.replace(/[\d_]+/g, "").toLowerCase();

let offsetClasses: Map<string, string> | undefined;

/** Every knowledge-base norm class that scales by `1 + weight`, with its family. */
function allOffsetClasses(): Map<string, string> {
  if (offsetClasses) return offsetClasses;
  offsetClasses = new Map();
  for (const f of allFamilies()) {
    for (const c of f.classes ?? []) {
      const family = c.offset && /^[A-Z]/.test(c.name) && !offsetClasses.has(c.name) ? offsetClassFamily(c.name) : undefined;
      if (family) offsetClasses.set(c.name, family);
    }
  }
  return offsetClasses;
}

/**
 * The offset norm classes of the same model lines as those a stand-in is registered for that it
 * leaves out (registered for `GemmaRMSNorm` and `Gemma3RMSNorm`, not `Gemma2RMSNorm`): modules of
 * those classes are never replaced, so what is folded into them acts on `w`. Only a line the
 * registry already names counts; a model line it never mentions is a scope it did not take on.
 */
function unregisteredSiblings(names: string[]): Array<{ name: string; family: string }> {
  const have = new Set(names);
  const stems = new Set(names.filter((n) => offsetClassFamily(n)).map(lineStem));
  return [...allOffsetClasses()].filter(([name]) => !have.has(name) && stems.has(lineStem(name))).map(([name, family]) => ({ name, family }));
}

/**
 * Stand-ins registered for offset norm classes whose own forward scales by the plain weight
 * (`output * self.weight`): the weight they take over must be `1 + original.weight`, and the weight
 * they hand back `self.weight - 1`. Flags the assignment that has no 1 where it belongs.
 */
function findOffsetBlindStandIns(classes: PyNode[], text: string): OffsetBlindStandIn[] {
  const out: OffsetBlindStandIn[] = [];
  const t = (n: PyNode | undefined) => (n ? text.slice(n.start, n.end).replace(/\s+/g, "") : "");
  const ONE = /(^|[(+\-*])1(\.0*)?\+|[+-]1(\.0*)?($|[)*.])|torch\.ones_like|\.add\(1/;
  for (const cls of classes) {
    const regs = registeredNames(cls, text);
    const reg = registeredOffsetClass(regs?.names ?? []);
    if (!regs || !reg) continue;
    const methods = methodsOf(cls, text);
    const fwd = methods.get("forward");
    // Its forward must scale by the plain weight: `* self.weight` with no 1 next to it.
    const body = fwd ? t(fwd) : "";
    if (!/\*self\.weight\b/.test(body) || /1(\.0*)?\+self\.weight|self\.weight(\.\w+\(\))*\+1/.test(body)) continue;
    const name = nameOf(cls, text);
    for (const miss of unregisteredSiblings(regs.names)) out.push({ range: range(regs.at), side: "unregistered", cls: name, registeredFor: miss.name, family: miss.family });
    for (const [mname, def] of methods) {
      for (const n of walk(field(def, "body")!)) {
        if (n.type !== "assignment") continue;
        const l = t(field(n, "left"));
        const r = t(field(n, "right"));
        const enter = mname === "__init__" && l === "self.weight" && /(^|[^\w.])(?!self\.)\w+\.weight\b/.test(r) && !/^self\./.test(r.replace(/^\w+(\.\w+)*\(/, ""));
        const restore = /^(?!self\.)\w+\.weight(\.data)?$/.test(l) && /self\.weight/.test(r);
        if ((enter || restore) && !ONE.test(r)) out.push({ range: range(n), side: enter ? "enter" : "restore", cls: name, registeredFor: reg.name, family: reg.family });
      }
    }
  }
  return out;
}

/** A function that handles GGUF input: it reads GGUF or branches on it. */
const GGUF_INPUT = /GGUFReader|gguf_quant_weights_iterator|load_gguf|is_gguf|from_gguf|gguf_file|["']gguf["']|\.gguf\b/;
const LOAD_FN = /^(load_weights|load_state_dict|_load_from_state_dict|load_model|load|load_checkpoint|from_gguf|load_gguf\w*)$/;

/**
 * Load functions (`load_weights`, ...) serving an offset family whose GGUF stores `1 + weight`
 * (the knowledge base's `gguf.foldsOffset`) that handle GGUF input and never subtract 1 from norm
 * weights: the runtime's `x * (1 + w)` then scales by `2 + w` (vLLM #26189, #31464).
 */
function findMissingUnfolds(root: PyNode, text: string, idx: ScopeIndex, conversions: OffsetConversion[]): MissingUnfold[] {
  const out: MissingUnfold[] = [];
  for (const fn of walk(root)) {
    if (fn.type !== "function_definition") continue;
    const nameNode = field(fn, "name")!;
    const name = text.slice(nameNode.start, nameNode.end);
    if (!LOAD_FN.test(name)) continue;
    const body = text.slice(fn.start, fn.end);
    if (!GGUF_INPUT.test(body)) continue;
    const serves = servesAt(fn, idx);
    const families = serves?.families.filter((f) => f.offset && f.gguf?.foldsOffset) ?? [];
    if (!serves || !families.length) continue;
    const unfolds = conversions.some((c) => c.delta < 0 && c.range.start >= fn.start && c.range.end <= fn.end);
    if (unfolds) continue;
    out.push({ fn: name, range: range(nameNode), serves: { ...serves, families } });
  }
  return out;
}
