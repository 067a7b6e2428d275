// Triton kernel bodies written in Python (`@triton.jit def _rms_norm_forward_kernel(...)`): the
// kernel itself is opaque to the caller, but its body is ordinary arithmetic on rows loaded with
// `tl.load`. A norm kernel scales the normalised row by the loaded weight row; where it takes an
// offset argument (Liger's `offset`, axolotl's `UNIT_OFFSET`) or is named for an offset family
// (unsloth's `_gemma_rms_layernorm_forward`), the scale must be `offset + W_row` / `W_row + 1.0`.
import { field, namedChildren, type PyNode, textOf, walk } from "../parsers/python";
import { familyInIdentifier } from "./declared-scope";
import type { KernelOffsetMiss, LoadShiftIssue } from "./declared-types";
import { paramName } from "./interp";

/** Parameters that switch or carry the unit offset of a norm kernel. */
const OFFSET_PARAM = /^(offset|unit_offset|add_unit_offset|gemma|zero_centered(_gamma)?)$/i;
/** The pointer a weight row is loaded from (`tl.load(W_ptr + cols, ...)`). */
const WEIGHT_PTR = /^(w|weight|weights|gamma)(_ptr|_ptrs|_base)?$/i;
/** A kernel that computes a norm (not a RoPE or an attention kernel that loads a `W`). */
const NORM_KERNEL = /norm/i;


function jitted(fn: PyNode, text: string): boolean {
  const d = fn.parent?.type === "decorated_definition" ? fn.parent : undefined;
  return !!d && namedChildren(d).some((c) => c.type === "decorator" && /\bjit\b/.test(textOf(text, c)));
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
    while (call?.type === "call" && !/(^|\.)load$/.test(textOf(text, field(call, "function")))) {
      const f = field(call, "function");
      call = f?.type === "attribute" ? field(f, "object") : undefined;
    }
    const name = textOf(text, field(n, "left"));
    if (call?.type === "call" && jit) {
      const first = namedChildren(field(call, "arguments"))[0];
      const ptr = first ? walk(first).find((x) => x.type === "identifier") : undefined;
      if (ptr && WEIGHT_PTR.test(textOf(text, ptr))) rows.add(name);
    } else if (call?.type === "identifier" && rows.has(textOf(text, call))) rows.add(name);
  }
  return rows;
}

/** `x * W_row`, `W_row.to(dtype) * x`: a multiplication by a weight row with nothing added to it. */
function plainScales(body: PyNode, rows: Set<string>, text: string, self?: string): Array<{ node: PyNode; operand: PyNode }> {
  const bare = (n: PyNode | undefined): boolean => {
    if (!n) return false;
    if (n.type === "parenthesized_expression") return bare(namedChildren(n)[0]);
    if (n.type === "identifier") return rows.has(textOf(text, n));
    // `self.weight` in a function that takes the norm module as `self` (a patched `__call__`).
    if (n.type === "attribute" && self && textOf(text, n) === `${self}.weight`) return true;
    // `W_row.to(tl.float32)`
    return n.type === "call" && field(n, "function")?.type === "attribute" && bare(field(field(n, "function"), "object"));
  };
  const out: Array<{ node: PyNode; operand: PyNode }> = [];
  for (const n of walk(body)) {
    if (n.type !== "binary_operator" || textOf(text, n).slice(field(n, "left")!.end - n.start, field(n, "right")!.start - n.start).trim() !== "*") continue;
    const operand = [field(n, "right"), field(n, "left")].find((o) => bare(o));
    if (operand) out.push({ node: n, operand });
  }
  return out;
}

/** Is `p` read in `body` other than to rebind itself (`offset = offset.to(tl.float32)`)? */
function reads(body: PyNode, p: string, text: string): boolean {
  return walk(body).some((x) => {
    if (x.type !== "identifier" || textOf(text, x) !== p || x.field === "left" || x.field === "attribute" || (x.field === "name" && x.parent?.type === "keyword_argument")) return false;
    for (let a = x.parent; a && a !== body; a = a.parent) if (a.type === "assignment" && textOf(text, field(a, "left")) === p) return false;
    return true;
  });
}

/** The flag an enclosing `if FLAG:` / `if FLAG and ...:` tests true for `node`, when it is one of `flags`. */
function trueUnder(node: PyNode, stop: PyNode, flags: string[], text: string): string | undefined {
  const positive = (c: PyNode | undefined): string | undefined => {
    if (!c) return undefined;
    if (c.type === "parenthesized_expression") return positive(namedChildren(c)[0]);
    if (c.type === "identifier") return flags.find((f) => f === textOf(text, c));
    if (c.type === "boolean_operator" && textOf(text, c).slice(field(c, "left")!.end - c.start, field(c, "right")!.start - c.start).trim() === "and") return positive(field(c, "left")) ?? positive(field(c, "right"));
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
  const one = (n: PyNode | undefined) => !!n && /^1(\.0*)?$/.test(textOf(text, n));
  const weighty = (n: PyNode | undefined) => !!n && walk(n).some((x) => (x.type === "identifier" && rows.has(textOf(text, x))) || (!!self && x.type === "attribute" && textOf(text, x) === `${self}.weight`));
  return walk(body).some((n) => {
    if (n.type === "binary_operator" && textOf(text, n).slice(field(n, "left")!.end - n.start, field(n, "right")!.start - n.start).trim() === "+") {
      const [l, r] = [field(n, "left"), field(n, "right")];
      return (one(l) && weighty(r)) || (one(r) && weighty(l));
    }
    return n.type === "augmented_assignment" && weighty(field(n, "left")) && one(field(n, "right"));
  });
}

/** `if out is None:` / `if out is not None:`: a choice of where the result goes, not of what it is. */
const NONE_TEST = /^[A-Za-z_]\w*\s+is\s+(not\s+)?None$/;

/**
 * The paths of a norm function that scale by the plain weight while another path adds 1: a local
 * (`out_weight`) set in both branches of an `if <buffer> is None: ... else: ...` in front of the
 * multiply (`XX *= out_weight`), as `self.weight + 1.0` on one path and as `self.weight` on the
 * other (unsloth's `fast_rms_layernorm_inference_gemma`, whose `else` copies into a caller's buffer
 * and adds 1 there). Such a test only picks where the result is written, so both paths must compute
 * the same norm; a test of a flag (`if self.add_unit_offset:`) chooses the convention and is not read.
 */
function plainPaths(body: PyNode, text: string, self: string): Array<Pick<KernelOffsetMiss, "range" | "operand" | "param">> {
  const out: Array<Pick<KernelOffsetMiss, "range" | "operand" | "param">> = [];
  const t = (n: PyNode | undefined) => textOf(text, n).replace(/\s+/g, "");
  const bare = new RegExp(`^${self}\\.weight(\\.data)?(\\.(float|half|to|type)\\([^()]*\\))?$`);
  const shifted = new RegExp(`(^|[^\\w.])1(\\.0*)?\\+${self}\\.weight\\b|^${self}\\.weight(\\.data)?(\\.\\w+\\([^()]*\\))*\\+1(\\.0*)?$`);
  const bareWeight = (r: string) => bare.test(r);
  const offsetWeight = (r: string) => shifted.test(r);
  /** What a statement does to `name`: sets it to the plain weight, adds the 1, or something else. */
  const effect = (st: PyNode, name: string): { kind: "plain" | "offset" | "other"; node: PyNode; rhs?: PyNode } | undefined => {
    const e = st.type === "expression_statement" ? namedChildren(st)[0] : undefined;
    if (!e) return undefined;
    const l = t(field(e, "left"));
    const r = field(e, "right");
    if (e.type === "assignment" && (l === name || l === `${name}[:]`)) return { kind: bareWeight(t(r)) ? "plain" : offsetWeight(t(r)) ? "offset" : "other", node: e, rhs: r };
    if (e.type === "augmented_assignment" && l === name) return { kind: /^\+=1(\.0*)?$/.test(textOf(text, e).slice(field(e, "left")!.end - e.start).replace(/\s+/g, "")) ? "offset" : "other", node: e };
    return undefined;
  };
  for (const site of walk(body)) {
    const aug = site.type === "augmented_assignment" && /^\*=/.test(textOf(text, site).slice(field(site, "left")!.end - site.start).trim());
    const bin = site.type === "binary_operator" && textOf(text, site).slice(field(site, "left")!.end - site.start, field(site, "right")!.start - site.start).trim() === "*";
    if (!aug && !bin) continue;
    const names = (aug ? [field(site, "right")] : [field(site, "left"), field(site, "right")]).filter((o): o is PyNode => o?.type === "identifier").map((o) => textOf(text, o));
    // The statement holding the site, and the statements in front of it in its block.
    let st: PyNode = site;
    while (st.parent && st.parent.type !== "block") st = st.parent;
    const block = st.parent;
    if (!block) continue;
    const before = namedChildren(block).filter((x) => x.end <= st.start);
    for (const name of names) {
      let plain: { node: PyNode; rhs?: PyNode; cond: string } | undefined;
      for (const x of before) {
        const eff = effect(x, name);
        // Set or shifted again after the split: the split no longer decides what it holds.
        if (eff) {
          plain = undefined;
          continue;
        }
        const cond = field(x, "condition");
        if (x.type !== "if_statement" || !cond || !NONE_TEST.test(textOf(text, cond).trim())) continue;
        const alts = x.children.filter((c) => c.field === "alternative");
        if (alts.length !== 1 || alts[0].type !== "else_clause") continue;
        const ends = [field(x, "consequence"), field(alts[0], "body")].map((b) => {
          // The last statement on the path that sets or shifts `name` decides what it holds.
          let last: ReturnType<typeof effect>;
          for (const y of namedChildren(b)) last = effect(y, name) ?? last;
          return last;
        });
        const at = ends.findIndex((e) => e?.kind === "plain");
        const test = textOf(text, cond).trim();
        // The else path holds the opposite test.
        const holds = at === 0 ? test : /\bis\s+not\s+None$/.test(test) ? test.replace(/\bis\s+not\s+None$/, "is None") : test.replace(/\bis\s+None$/, "is not None");
        plain = at >= 0 && ends.some((e) => e?.kind === "offset") ? { node: ends[at]!.node, rhs: ends[at]!.rhs, cond: holds } : undefined;
      }
      if (plain?.rhs && !out.some((o) => o.range.start === plain!.node.start)) out.push({ range: { start: plain.node.start, end: plain.node.end }, operand: { start: plain.rhs.start, end: plain.rhs.end }, param: plain.cond });
    }
  }
  return out;
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
    const fam = familyInIdentifier(textOf(text, field(p, "name")));
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
    const kernel = textOf(text, field(fn, "name"));
    const body = field(fn, "body");
    if (!body || !NORM_KERNEL.test(kernel)) continue;
    // A plain function must compute a norm itself (a reciprocal root), not call one.
    if (!jit && (isMethod(fn) || !/rsqrt|\bsqrt\(/.test(textOf(text, body)))) continue;
    const p0 = namedChildren(field(fn, "parameters"))[0];
    const first = p0 ? paramName(p0, text) : undefined;
    const self = !jit && first === "self" ? first : undefined;
    const rows = weightRows(fn, body, text, jit);
    if (!rows.size && !self) continue;
    const fam = jit ? familyInIdentifier(kernel) : familyOfFunction(fn, text);
    // Per path, where a function that takes the module as `self` splits on a buffer test.
    // Without the module (`self`) there is no weight to compare the paths by (a Triton kernel).
    if (fam?.offset && self) for (const p of plainPaths(body, text, self)) out.push({ ...p, kernel, reason: "path", family: fam.modelType });
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
    if (fam?.offset && !addsOne(body, rows, text, self)) for (const s of sites) out.push({ range: range(s.node), operand: range(s.operand), kernel, reason: "family", family: fam.modelType });
  }
  return out;
}

/** `self.weight`, `self.weight.data`, `self.weight.float()`: the class's own weight. */
const SELF_WEIGHT = /^self\.weight(\.data)?(\.(float|half|to|type)\([^()]*\))?$/;
/** A constant a load path shifts norm weights by: a literal 1 or a configuration attribute. */
const SHIFT_CONSTANT = /^(1(\.0*)?|self\.\w+(\.\w+)*|\w+\.\w*(bias|offset|shift)\w*)$/i;
/** Methods that hand the weight back for saving, quantizing or re-export. */
const EXPORT_METHOD = /^(get_weights?|state_dict|export\w*|save\w*)$/;
const LOAD_METHOD = /^(load|load_weights?|_load\w*|from_weights)$/;

/**
 * Norm classes that shift their weight by a constant when loading it (exllamav2's
 * `self.weight += self.archparams.norm_constant_bias` in `load()`) and must undo it wherever the
 * weight leaves the class, and add nothing more where it is used:
 * - `twice`: a compute path (`forward`, `forward_torch`, a kernel call's argument) scales by
 *   `1 + weight`; whatever the constant, it disagrees with the loaded weight (applied twice where
 *   the constant is 1, added where it is 0);
 * - `export`: a method handing the weight back (`get_weight()`) returns it still shifted, so the
 *   next load shifts it again;
 * - `unloaded`: an export method subtracts a constant the load path never adds.
 */
export function collectLoadShifts(root: PyNode, text: string): LoadShiftIssue[] {
  const out: LoadShiftIssue[] = [];
  const t = (n: PyNode | undefined) => textOf(text, n).replace(/\s+/g, "");
  const op = (n: PyNode) => textOf(text, n).slice(field(n, "left")!.end - n.start, field(n, "right")!.start - n.start).trim();
  const range = (n: PyNode) => ({ start: n.start, end: n.end });
  for (const cls of walk(root)) {
    if (cls.type !== "class_definition" || !NORM_KERNEL.test(textOf(text, field(cls, "name")))) continue;
    const name = textOf(text, field(cls, "name"));
    const defs = namedChildren(field(cls, "body")).map((st) => (st.type === "decorated_definition" ? field(st, "definition") : st)).filter((d): d is PyNode => d?.type === "function_definition");
    const mname = (d: PyNode) => textOf(text, field(d, "name"));
    let shift: { at: PyNode; by: string; method: string } | undefined;
    for (const def of defs) {
      const m = mname(def);
      if (m === "__init__" || /^forward/.test(m) || m === "__call__" || EXPORT_METHOD.test(m)) continue;
      for (const n of walk(field(def, "body")!)) {
        const aug = n.type === "augmented_assignment" && /^self\.weight(\.data)?$/.test(t(field(n, "left"))) && op(n) === "+=";
        const re = n.type === "assignment" && /^self\.weight(\.data)?$/.test(t(field(n, "left"))) && /^self\.weight(\.data)?\+/.test(t(field(n, "right")));
        if (!aug && !re) continue;
        const by = aug ? t(field(n, "right")) : t(field(n, "right")).replace(/^self\.weight(\.data)?\+/, "");
        if (SHIFT_CONSTANT.test(by) && !/weight/i.test(by)) shift = { at: n, by, method: m };
      }
      if (shift) break;
    }
    // A norm class named for no family (`RMSNorm`) whose weight loader adds 1 to whatever it is
    // handed, under no condition: every family that builds it gets the offset, plain-scale ones too.
    if (!familyInIdentifier(name)) {
      for (const def of defs) {
        const m = mname(def);
        if (!/^(weight_loader|load_weight|_load_weight)$/.test(m)) continue;
        const params = namedChildren(field(def, "parameters")).map((p) => paramName(p, text)).filter((p) => p && p !== "self" && p !== "param");
        for (const n of walk(field(def, "body")!)) {
          if (n.type !== "binary_operator" || op(n) !== "+") continue;
          const [l, r] = [field(n, "left"), field(n, "right")];
          const one = (x: PyNode | undefined) => /^1(\.0*)?$/.test(t(x));
          const tensor = one(r) ? l : one(l) ? r : undefined;
          if (!tensor || tensor.type !== "identifier" || !params.includes(textOf(text, tensor))) continue;
          let guarded = false;
          for (let p = n.parent; p && p !== def; p = p.parent) if (/^(if_statement|elif_clause|else_clause|conditional_expression)$/.test(p.type)) guarded = true;
          if (!guarded) out.push({ kind: "everyLoad", range: range(n), cls: name, method: m, load: m, by: "1", otherRange: range(n) });
        }
      }
    }
    if (!shift) {
      // An export path that takes a constant off the weight, with a load path that adds none.
      const load = defs.find((d) => LOAD_METHOD.test(mname(d)));
      const lastOfLoad = load ? namedChildren(field(load, "body")).pop() : undefined;
      if (!load || !lastOfLoad) continue;
      for (const def of defs) {
        if (!EXPORT_METHOD.test(mname(def))) continue;
        const unshift = walk(field(def, "body")!).find((n) => n.type === "binary_operator" && op(n) === "-" && SELF_WEIGHT.test(t(field(n, "left"))) && SHIFT_CONSTANT.test(t(field(n, "right"))));
        if (unshift) out.push({ kind: "unloaded", range: range(lastOfLoad), cls: name, method: mname(def), load: mname(load), by: t(field(unshift, "right")), otherRange: range(unshift) });
      }
      continue;
    }
    const base = { cls: name, load: shift.method, by: shift.by, otherRange: range(shift.at) };
    for (const def of defs) {
      const m = mname(def);
      if (/^forward/.test(m) || m === "__call__") {
        for (const n of walk(field(def, "body")!)) {
          if (n.type !== "binary_operator" || op(n) !== "+") continue;
          const [l, r] = [field(n, "left"), field(n, "right")];
          const one = (x: PyNode | undefined) => /^1(\.0*)?$/.test(t(x));
          if ((one(l) && SELF_WEIGHT.test(t(r))) || (one(r) && SELF_WEIGHT.test(t(l)))) out.push({ kind: "twice", range: range(n), method: m, ...base });
        }
      } else if (EXPORT_METHOD.test(m)) {
        // Every `return self.weight(.data)` of a method that never takes the shift off (a plain
        // return behind `if bias != 0: return self.weight.data - bias` is the unshifted case).
        const body = field(def, "body")!;
        if (walk(body).some((n) => n.type === "binary_operator" && op(n) === "-" && SELF_WEIGHT.test(t(field(n, "left"))))) continue;
        for (const n of walk(body)) {
          const v = n.type === "return_statement" ? namedChildren(n)[0] : undefined;
          if (v && SELF_WEIGHT.test(t(v))) out.push({ kind: "export", range: range(n), method: m, ...base });
        }
      }
    }
  }
  return out;
}
