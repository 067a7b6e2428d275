// Triton kernel bodies written in Python (`@triton.jit def _rms_norm_forward_kernel(...)`): the
// kernel itself is opaque to the caller, but its body is ordinary arithmetic on rows loaded with
// `tl.load`. A norm kernel scales the normalised row by the loaded weight row; where it takes an
// offset argument (Liger's `offset`, axolotl's `UNIT_OFFSET`) or is named for an offset family
// (unsloth's `_gemma_rms_layernorm_forward`), the scale must be `offset + W_row` / `W_row + 1.0`.
import { field, namedChildren, type PyNode, walk } from "../parsers/python";
import { familyInIdentifier } from "./declared-scope";
import type { KernelOffsetMiss } from "./declared-types";
import { paramName } from "./interp";

/** Parameters that switch or carry the unit offset of a norm kernel. */
const OFFSET_PARAM = /^(offset|unit_offset|add_unit_offset|gemma|zero_centered(_gamma)?)$/i;
/** The pointer a weight row is loaded from (`tl.load(W_ptr + cols, ...)`). */
const WEIGHT_PTR = /^(w|weight|weights|gamma)(_ptr|_ptrs|_base)?$/i;
/** A kernel that computes a norm (not a RoPE or an attention kernel that loads a `W`). */
const NORM_KERNEL = /norm/i;

const txt = (n: PyNode | undefined, text: string) => (n ? text.slice(n.start, n.end) : "");

function jitted(fn: PyNode, text: string): boolean {
  const d = fn.parent?.type === "decorated_definition" ? fn.parent : undefined;
  return !!d && namedChildren(d).some((c) => c.type === "decorator" && /\bjit\b/.test(txt(c, text)));
}

/** Parameters of a norm function that hold its weight (`weight_1d`, `w`, `norm_weight`). */
const WEIGHT_PARAM = /^(w|weight|gamma|weight_\w+|\w+_weight)$/i;

/**
 * Names bound to a weight row: `W_row = tl.load(W_ptr + cols, ...)` in a kernel, a weight parameter
 * of a plain function, and rebindings of either (`W_row = W_row.to(...)`).
 */
function weightRows(fn: PyNode, body: PyNode, text: string, jit: boolean): Set<string> {
  const rows = new Set<string>();
  if (!jit) for (const p of namedChildren(field(fn, "parameters"))) if (WEIGHT_PARAM.test(paramName(p, text) ?? "")) rows.add(paramName(p, text)!);
  for (const n of walk(body)) {
    if (n.type !== "assignment" || field(n, "left")?.type !== "identifier") continue;
    const right = field(n, "right");
    if (!right) continue;
    let call: PyNode | undefined = right;
    // `tl.load(...).to(tl.float32)`: the load at the bottom of the method chain.
    while (call?.type === "call" && !/(^|\.)load$/.test(txt(field(call, "function"), text))) {
      const f = field(call, "function");
      call = f?.type === "attribute" ? field(f, "object") : undefined;
    }
    const name = txt(field(n, "left"), text);
    if (call?.type === "call" && jit) {
      const first = namedChildren(field(call, "arguments"))[0];
      const ptr = first ? walk(first).find((x) => x.type === "identifier") : undefined;
      if (ptr && WEIGHT_PTR.test(txt(ptr, text))) rows.add(name);
    } else if (call?.type === "identifier" && rows.has(txt(call, text))) rows.add(name);
  }
  return rows;
}

/** `x * W_row`, `W_row.to(dtype) * x`: a multiplication by a weight row with nothing added to it. */
function plainScales(body: PyNode, rows: Set<string>, text: string, self?: string): Array<{ node: PyNode; operand: PyNode }> {
  const bare = (n: PyNode | undefined): boolean => {
    if (!n) return false;
    if (n.type === "parenthesized_expression") return bare(namedChildren(n)[0]);
    if (n.type === "identifier") return rows.has(txt(n, text));
    // `self.weight` in a function that takes the norm module as `self` (a patched `__call__`).
    if (n.type === "attribute" && self && txt(n, text) === `${self}.weight`) return true;
    // `W_row.to(tl.float32)`
    return n.type === "call" && field(n, "function")?.type === "attribute" && bare(field(field(n, "function"), "object"));
  };
  const out: Array<{ node: PyNode; operand: PyNode }> = [];
  for (const n of walk(body)) {
    if (n.type !== "binary_operator" || txt(n, text).slice(field(n, "left")!.end - n.start, field(n, "right")!.start - n.start).trim() !== "*") continue;
    const operand = [field(n, "right"), field(n, "left")].find((o) => bare(o));
    if (operand) out.push({ node: n, operand });
  }
  return out;
}

/** Is `p` read in `body` other than to rebind itself (`offset = offset.to(tl.float32)`)? */
function reads(body: PyNode, p: string, text: string): boolean {
  return walk(body).some((x) => {
    if (x.type !== "identifier" || txt(x, text) !== p || x.field === "left" || x.field === "attribute" || (x.field === "name" && x.parent?.type === "keyword_argument")) return false;
    for (let a = x.parent; a && a !== body; a = a.parent) if (a.type === "assignment" && txt(field(a, "left"), text) === p) return false;
    return true;
  });
}

/** The flag an enclosing `if FLAG:` / `if FLAG and ...:` tests true for `node`, when it is one of `flags`. */
function trueUnder(node: PyNode, stop: PyNode, flags: string[], text: string): string | undefined {
  const positive = (c: PyNode | undefined): string | undefined => {
    if (!c) return undefined;
    if (c.type === "parenthesized_expression") return positive(namedChildren(c)[0]);
    if (c.type === "identifier") return flags.find((f) => f === txt(c, text));
    if (c.type === "boolean_operator" && txt(c, text).slice(field(c, "left")!.end - c.start, field(c, "right")!.start - c.start).trim() === "and") return positive(field(c, "left")) ?? positive(field(c, "right"));
    return undefined;
  };
  for (let cur: PyNode = node, p = node.parent; p && p !== stop; cur = p, p = p.parent) {
    if ((p.type === "if_statement" || p.type === "elif_clause") && cur.field === "consequence") {
      const f = positive(field(p, "condition"));
      if (f) return f;
    }
  }
  return undefined;
}

/** Does the body add 1 to a weight (`W_row + 1.0`, `1.0 + self.weight.float()`, `w += 1`)? */
function addsOne(body: PyNode, rows: Set<string>, text: string, self?: string): boolean {
  const one = (n: PyNode | undefined) => !!n && /^1(\.0*)?$/.test(txt(n, text));
  const weighty = (n: PyNode | undefined) => !!n && walk(n).some((x) => (x.type === "identifier" && rows.has(txt(x, text))) || (!!self && x.type === "attribute" && txt(x, text) === `${self}.weight`));
  return walk(body).some((n) => {
    if (n.type === "binary_operator" && txt(n, text).slice(field(n, "left")!.end - n.start, field(n, "right")!.start - n.start).trim() === "+") {
      const [l, r] = [field(n, "left"), field(n, "right")];
      return (one(l) && weighty(r)) || (one(r) && weighty(l));
    }
    return n.type === "augmented_assignment" && weighty(field(n, "left")) && one(field(n, "right"));
  });
}

function isMethod(fn: PyNode): boolean {
  let p = fn.parent;
  if (p?.type === "decorated_definition") p = p.parent;
  return p?.type === "block" && p.parent?.type === "class_definition";
}

/** The family a function's name or an enclosing function's names (`_fix_gemma3_text_rmsnorm_fp32`) give. */
function familyOfFunction(fn: PyNode, text: string) {
  for (let p: PyNode | null | undefined = fn; p; p = p.parent) {
    if (p.type !== "function_definition") continue;
    const fam = familyInIdentifier(txt(field(p, "name"), text));
    if (fam) return fam;
  }
  return undefined;
}

/**
 * Norm kernels and norm functions whose body scales by the plain weight where an offset belongs: a
 * kernel's offset parameter that is never read, the branch its flag selects, or a kernel or
 * free function (unsloth-zoo's `_gemma3_rms_norm`, a patched `__call__` inside
 * `_fix_gemma3_text_rmsnorm_fp32`) named for an offset family that never adds 1 to its weight.
 * Methods of classes are left to the norm-class analysis.
 */
export function collectKernelOffsetMisses(root: PyNode, text: string): KernelOffsetMiss[] {
  const out: KernelOffsetMiss[] = [];
  const range = (n: PyNode) => ({ start: n.start, end: n.end });
  for (const fn of walk(root)) {
    if (fn.type !== "function_definition") continue;
    const jit = jitted(fn, text);
    const kernel = txt(field(fn, "name"), text);
    const body = field(fn, "body");
    if (!body || !NORM_KERNEL.test(kernel)) continue;
    // A plain function must compute a norm itself (a reciprocal root), not call one.
    if (!jit && (isMethod(fn) || !/rsqrt|\bsqrt\(/.test(txt(body, text)))) continue;
    const p0 = namedChildren(field(fn, "parameters"))[0];
    const first = p0 ? paramName(p0, text) : undefined;
    const self = !jit && first === "self" ? first : undefined;
    const rows = weightRows(fn, body, text, jit);
    if (!rows.size && !self) continue;
    const sites = plainScales(body, rows, text, self);
    if (!sites.length) continue;
    const params = jit ? namedChildren(field(fn, "parameters")).map((p) => paramName(p, text) ?? "").filter((p) => OFFSET_PARAM.test(p)) : [];
    const unused = params.find((p) => !reads(body, p, text));
    if (unused) {
      // Every plain scale ignores the offset the caller passes.
      for (const s of sites) out.push({ range: range(s.node), operand: range(s.operand), kernel, reason: "unused", param: unused });
      continue;
    }
    for (const s of sites) {
      const flag = trueUnder(s.node, fn, params, text);
      if (flag) out.push({ range: range(s.node), operand: range(s.operand), kernel, reason: "branch", param: flag });
    }
    if (params.length) continue;
    // No offset argument at all: named for an offset family and never adding 1 to its weight.
    const fam = jit ? familyInIdentifier(kernel) : familyOfFunction(fn, text);
    if (fam?.offset && !addsOne(body, rows, text, self)) for (const s of sites) out.push({ range: range(s.node), operand: range(s.operand), kernel, reason: "family", family: fam.modelType });
  }
  return out;
}
