// A small abstract interpreter for a norm's forward: it follows the activations through casts,
// statistics, the normalization and the scale, without running anything. Values are abstract
// ("a tensor in fp32 that has been RMS-normalized", "the weight plus one"); anything it does not
// understand becomes `unknown`, which never produces a finding.
import { field, namedChildren, type PyNode } from "../parsers/python";
import type { Dtype, EpsSource, Range, ScaleInfo } from "./types";

export interface NormState {
  kind: "rms" | "layer" | "l2";
  via: "explicit" | "functional" | "parent" | "submodule";
  stats: Range;
  statsDtype: Dtype;
  statsBase?: Range;
  statsUpcast?: Range;
  rsqrt?: Range;
  centering?: Range;
  eps?: EpsSource;
}

export interface TensorV {
  t: "tensor";
  dtype: Dtype;
  upcast?: Range;
  castBack?: Range;
  norm?: NormState;
  centered?: Range;
  scale?: ScaleInfo;
  bias?: string;
  gated?: boolean;
}
interface SqV {
  t: "sq";
  of: TensorV;
  base: PyNode;
}
interface StatV {
  t: "stat";
  what: "mean" | "ms" | "var" | "l2";
  of: TensorV;
  centered?: Range;
  node: PyNode;
  base?: PyNode;
  eps?: EpsSource;
  root?: "rsqrt" | "sqrt";
  rootNode?: PyNode;
}
export interface WeightV {
  t: "weight";
  param: string;
  fp32: boolean;
  ref: PyNode;
  /** The whole operand expression (grows as methods and the offset apply). */
  node: PyNode;
  offset: boolean;
  offsetNode?: PyNode;
  weightSide?: PyNode;
  offsetInFp32?: boolean;
  /** The weight is a parameter of the forward (an op implementation handed the module's weight). */
  arg?: boolean;
}
interface DtypeV {
  t: "dtype";
  which: "fp32" | "input" | "half";
}
interface NumV {
  t: "num";
  value: number;
  node: PyNode;
}
interface EpsV {
  t: "eps";
  src: EpsSource;
}
export interface ModV {
  t: "mod";
  kind: "rms" | "layer";
  affine: boolean;
}
interface ArgsV {
  t: "args";
  items: Val[];
  nodes: PyNode[];
}
type Val = TensorV | SqV | StatV | WeightV | DtypeV | NumV | EpsV | ModV | ArgsV | { t: "self" } | { t: "super" } | { t: "offsetattr"; node: PyNode } | { t: "unknown" };

const UNKNOWN: Val = { t: "unknown" };

/** What the interpreter knows about the class around the forward. */
export interface ClassEnv {
  text: string;
  params: Set<string>;
  /** Attributes holding eps (`self.variance_epsilon`), with where their value comes from. */
  epsAttrs: Map<string, EpsSource>;
  /** Attributes holding a unit offset (`self.unit_offset = float(unit_offset)`). */
  offsetAttrs: Set<string>;
  submodules: Map<string, ModV>;
  methods: Map<string, PyNode>;
  /** Methods declared `@staticmethod` (called on self, they bind no self: vLLM's `forward_static`). */
  staticMethods?: Set<string>;
  /** The torch norm this class subclasses, if any. */
  torchBase?: { kind: "rms" | "layer"; affine: boolean };
  /**
   * Parameters of the forward that hold the norm weight (`def forward(self, x, weight, residual)`
   * of an op implementation, lmdeploy's `DefaultRMSNormImpl`): they scale like `self.weight`.
   */
  weightArgs?: Set<string>;
  /**
   * Follow the path a call with every default takes: a test `p is None` (`is not None`) on a
   * parameter that defaults to None and has not been assigned yet picks its branch (unsloth's
   * `fast_rms_layernorm_inference(self, X, XX=None, ...)` computes the statistics only when `XX is None`).
   */
  defaultPath?: boolean;
  /** Module-level functions of the file. */
  functions: Map<string, PyNode>;
  /** Resolves a dotted expression through the module's imports (`F.rms_norm` -> torch.nn.functional.rms_norm). */
  resolve(node: PyNode): string | undefined;
}

const range = (n: PyNode): Range => ({ start: n.start, end: n.end });
const isTensor = (v: Val): v is TensorV => v.t === "tensor";
const promote = (a: Dtype, b: Dtype): Dtype => (a === "fp32" || b === "fp32" ? "fp32" : a === "unknown" || b === "unknown" ? "unknown" : "input");

const SHAPE_METHODS = new Set([
  "view", "reshape", "permute", "transpose", "contiguous", "unsqueeze", "squeeze", "expand", "expand_as", "flatten", "unflatten",
  "clone", "detach", "view_as", "reshape_as", "masked_fill", "repeat", "narrow", "movedim", "swapaxes", "mT", "T", "to_dense",
  "requires_grad_", "type_as_", "__getitem__", "cuda", "cpu", "squeeze_", "unsqueeze_", "tile", "split", "chunk", "roll",
]);

export class Interpreter {
  private depth = 0;
  /** Parameters still holding their None default (with `defaultPath`). */
  private readonly noneParams = new Set<string>();
  /** Casts seen on input-derived tensors, in evaluation order. */
  readonly upcasts: Range[] = [];
  readonly castBacks: Range[] = [];

  constructor(private readonly cls: ClassEnv) {}

  private txt(n: PyNode): string {
    return this.cls.text.slice(n.start, n.end);
  }

  /** Interprets a function with its parameters bound; returns the most informative return value. */
  runFunction(fn: PyNode, args: Val[] = [], kwargs = new Map<string, Val>(), isMethod = true): Val {
    if (this.depth > 4) return UNKNOWN;
    this.depth++;
    try {
      const env = new Map<string, Val>();
      const params = namedChildren(field(fn, "parameters"));
      let pos = 0;
      let first = true;
      for (const p of params) {
        const name = paramName(p, this.cls.text);
        if (!name) continue;
        if (first && isMethod) {
          first = false;
          env.set(name, { t: "self" });
          continue;
        }
        first = false;
        if (p.type === "list_splat_pattern") {
          const rest = args.slice(pos);
          env.set(name, { t: "args", items: rest, nodes: [] });
          pos = args.length;
          continue;
        }
        if (p.type === "dictionary_splat_pattern" || p.type === "keyword_separator" || p.type === "positional_separator") continue;
        let v: Val | undefined = pos < args.length ? args[pos] : kwargs.get(name);
        if (pos < args.length) pos++;
        if (!v && this.depth === 1 && isMethod && this.cls.weightArgs?.has(name)) v = { t: "weight", param: name, fp32: false, ref: p, node: p, offset: false, arg: true };
        if (!v && this.depth === 1 && this.cls.defaultPath && field(p, "value") && this.txt(field(p, "value")!) === "None") this.noneParams.add(name);
        if (!v) {
          // An unbound parameter without a default (or defaulting to None) is an activation in the
          // input dtype; other defaults (`eps=1e-6`) keep their value.
          const def = field(p, "value");
          v = !def || this.txt(def) === "None" ? { t: "tensor", dtype: "input" } : this.expr(def, env);
        }
        env.set(name, v);
      }
      const returns: Val[] = [];
      this.block(field(fn, "body"), env, returns);
      return best(returns);
    } finally {
      this.depth--;
    }
  }

  private block(body: PyNode | undefined, env: Map<string, Val>, returns: Val[]): void {
    if (!body) return;
    for (const st of namedChildren(body)) this.stmt(st, env, returns);
  }

  private stmt(st: PyNode, env: Map<string, Val>, returns: Val[]): void {
    switch (st.type) {
      case "expression_statement":
        for (const e of namedChildren(st)) {
          if (e.type === "assignment") this.assign(e, env);
          else if (e.type === "augmented_assignment") this.augAssign(e, env);
        }
        return;
      case "return_statement": {
        const e = namedChildren(st)[0];
        const v = e ? this.expr(e, env) : UNKNOWN;
        // `return x, None` / `return x, scaling_factor` (I-BERT's IntLayerNorm): a norm's output travels
        // first, beside values that are not normalized tensors; the norm is that first value.
        const [head, ...rest] = v.t === "args" ? v.items : [];
        const normOut = (x: Val | undefined) => x?.t === "tensor" && !!x.norm;
        returns.push(normOut(head) && !rest.some(normOut) ? head : v);
        return;
      }
      case "if_statement": {
        const branches: PyNode[] = [];
        const cons = field(st, "consequence");
        if (cons) branches.push(cons);
        for (const alt of st.children.filter((c) => c.field === "alternative")) {
          const b = field(alt, "consequence") ?? field(alt, "body");
          if (b) branches.push(b);
        }
        let hasElse = st.children.some((c) => c.type === "else_clause");
        const none = this.noneParams.size ? /^(\w+)\s+is\s+(not\s+)?None$/.exec(this.txt(field(st, "condition")!).trim()) : null;
        if (none && this.noneParams.has(none[1])) {
          // The parameter is still None: `is None` runs its branch only, `is not None` what follows it.
          if (none[2]) branches.splice(0, 1);
          else branches.splice(1);
          if (!none[2]) hasElse = true;
        }
        const before = new Map(env);
        const results = branches.map((b) => {
          const e = new Map(before);
          this.block(b, e, returns);
          return e;
        });
        if (!hasElse) results.push(before);
        for (const key of new Set(results.flatMap((r) => [...r.keys()]))) {
          const vals = results.map((r) => r.get(key)).filter((v): v is Val => v !== undefined);
          env.set(key, best(vals));
        }
        return;
      }
      case "with_statement":
      case "for_statement":
      case "while_statement":
        this.block(field(st, "body"), env, returns);
        return;
      case "try_statement":
        this.block(field(st, "body"), env, returns);
        for (const c of namedChildren(st)) if (c.type !== "block") this.block(field(c, "body") ?? namedChildren(c).find((x) => x.type === "block"), env, returns);
        return;
      case "decorated_definition":
      case "function_definition":
      case "class_definition":
        return;
      default:
        return;
    }
  }

  private assign(a: PyNode, env: Map<string, Val>): void {
    const left = field(a, "left");
    let right = field(a, "right");
    if (!left || !right) return;
    // a = b = expr
    while (right.type === "assignment") {
      this.bind(field(right, "left"), UNKNOWN, env);
      right = field(right, "right")!;
      if (!right) return;
    }
    const v = this.expr(right, env);
    this.bind(left, v, env);
  }

  private bind(left: PyNode | undefined, v: Val, env: Map<string, Val>): void {
    if (!left) return;
    if (left.type === "identifier") {
      env.set(this.txt(left), v);
      this.noneParams.delete(this.txt(left));
      return;
    }
    if (left.type === "pattern_list" || left.type === "tuple_pattern" || left.type === "tuple" || left.type === "list_pattern") {
      const targets = namedChildren(left);
      targets.forEach((t, i) => this.bind(t, v.t === "args" ? (v.items[i] ?? UNKNOWN) : UNKNOWN, env));
    }
  }

  private augAssign(a: PyNode, env: Map<string, Val>): void {
    const left = field(a, "left");
    const right = field(a, "right");
    const op = field(a, "operator");
    if (!left || !right || !op || left.type !== "identifier") return;
    const lv = this.expr(left, env);
    const rv = this.expr(right, env);
    env.set(this.txt(left), this.binop(this.txt(op).replace("=", ""), lv, rv, a, left, right));
  }

  private exprDepth = 0;

  /** Deeply nested expressions (generated code) stop being followed rather than overflow the stack. */
  expr(n: PyNode, env: Map<string, Val>): Val {
    if (this.exprDepth > 200) return UNKNOWN;
    this.exprDepth++;
    try {
      return this.exprInner(n, env);
    } finally {
      this.exprDepth--;
    }
  }

  private exprInner(n: PyNode, env: Map<string, Val>): Val {
    switch (n.type) {
      case "identifier": {
        const name = this.txt(n);
        const v = env.get(name) ?? UNKNOWN;
        // A weight handed in as an argument is referred to where it is used.
        return v.t === "weight" && v.arg && v.ref === v.node ? { ...v, ref: n, node: n } : v;
      }
      case "parenthesized_expression": {
        const inner = namedChildren(n)[0];
        if (!inner) return UNKNOWN;
        const v = this.expr(inner, env);
        if (v.t === "weight" && v.node === inner) return { ...v, node: n };
        return v;
      }
      case "integer":
      case "float": {
        const value = Number(this.txt(n).replace(/_/g, "").replace(/[jJ]$/, ""));
        return Number.isFinite(value) ? { t: "num", value, node: n } : UNKNOWN;
      }
      case "true":
        return { t: "num", value: 1, node: n };
      case "unary_operator": {
        const arg = field(n, "argument");
        const v = arg ? this.expr(arg, env) : UNKNOWN;
        if (v.t === "num" && this.txt(n).startsWith("-")) return { t: "num", value: -v.value, node: n };
        return v.t === "tensor" ? v : UNKNOWN;
      }
      case "attribute":
        return this.attribute(n, env);
      case "subscript": {
        const v = this.expr(field(n, "value")!, env);
        const index = field(n, "subscript");
        if (v.t === "args" && index?.type === "integer") return v.items[Number(this.txt(index))] ?? UNKNOWN;
        if (v.t === "weight") return { ...v, node: n };
        return v.t === "tensor" || v.t === "stat" ? v : UNKNOWN;
      }
      case "call":
        return this.call(n, env);
      case "binary_operator": {
        const l = field(n, "left");
        const r = field(n, "right");
        const op = field(n, "operator");
        if (!l || !r || !op) return UNKNOWN;
        return this.binop(this.txt(op), this.expr(l, env), this.expr(r, env), n, l, r);
      }
      case "conditional_expression": {
        const parts = namedChildren(n);
        return best([this.expr(parts[0], env), parts[2] ? this.expr(parts[2], env) : UNKNOWN]);
      }
      case "tuple":
      case "expression_list": {
        const items = namedChildren(n);
        return { t: "args", items: items.map((i) => this.expr(i, env)), nodes: items };
      }
      case "await":
        return namedChildren(n)[0] ? this.expr(namedChildren(n)[0], env) : UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  private attribute(n: PyNode, env: Map<string, Val>): Val {
    const obj = field(n, "object");
    const attrNode = field(n, "attribute");
    if (!obj || !attrNode) return UNKNOWN;
    const attr = this.txt(attrNode);
    const dotted = this.cls.resolve(n);
    if (dotted) {
      if (/^(torch|mlx\.core)\.(float32|float)$/.test(dotted)) return { t: "dtype", which: "fp32" };
      if (/^(torch|mlx\.core)\.(float16|half|bfloat16)$/.test(dotted)) return { t: "dtype", which: "half" };
    }
    const o = this.expr(obj, env);
    if (o.t === "self") {
      if (this.cls.params.has(attr)) return { t: "weight", param: attr, fp32: false, ref: n, node: n, offset: false };
      const eps = this.cls.epsAttrs.get(attr);
      // The value is known, but it was written where the attribute was set, not here.
      if (eps) return { t: "eps", src: { kind: "attr", value: eps.value, key: eps.key, range: range(n) } };
      if (this.cls.offsetAttrs.has(attr)) return { t: "offsetattr", node: n };
      const mod = this.cls.submodules.get(attr);
      if (mod) return mod;
      return UNKNOWN;
    }
    if (attr === "dtype") {
      if (o.t === "tensor") return { t: "dtype", which: o.dtype === "fp32" ? "fp32" : "input" };
      if (o.t === "weight") return { t: "dtype", which: o.fp32 ? "fp32" : "input" };
      return UNKNOWN;
    }
    if ((attr === "T" || attr === "mT") && o.t === "tensor") return o;
    // `self.weight.data`: the same tensor, outside autograd.
    if (attr === "data" && (o.t === "weight" || o.t === "tensor")) return o.t === "weight" ? { ...o, node: n } : o;
    return UNKNOWN;
  }

  private dtypeArg(args: PyNode[], kw: Map<string, PyNode>, env: Map<string, Val>): "fp32" | "input" | "half" | undefined {
    const cand = kw.get("dtype") ?? args.find((a) => a.type !== "keyword_argument");
    if (!cand) return undefined;
    const v = this.expr(cand, env);
    if (v.t === "dtype") return v.which;
    if (v.t === "tensor") return v.dtype === "fp32" ? "fp32" : v.dtype === "input" ? "input" : undefined;
    if (v.t === "weight") return v.fp32 ? "fp32" : "input";
    return undefined;
  }

  private cast(v: Val, to: "fp32" | "input" | "half" | undefined, node: PyNode): Val {
    if (!to) return v;
    if (v.t === "tensor") {
      if (to === "fp32") {
        if (v.dtype === "fp32") return v;
        const r = range(node);
        this.upcasts.push(r);
        return { ...v, dtype: "fp32", upcast: r };
      }
      if (v.dtype === "fp32") {
        const r = range(node);
        this.castBacks.push(r);
        return { ...v, dtype: "input", castBack: r };
      }
      return { ...v, dtype: "input" };
    }
    if (v.t === "weight") return { ...v, fp32: to === "fp32", node };
    if (v.t === "stat") return v;
    return v;
  }

  private call(n: PyNode, env: Map<string, Val>): Val {
    const fn = field(n, "function");
    const argList = field(n, "arguments");
    if (!fn) return UNKNOWN;
    const all = argList?.type === "argument_list" ? namedChildren(argList) : [];
    const args = all.filter((a) => a.type !== "keyword_argument");
    const kw = new Map<string, PyNode>();
    for (const a of all) {
      if (a.type !== "keyword_argument") continue;
      const k = field(a, "name");
      const v = field(a, "value");
      if (k && v) kw.set(this.txt(k), v);
    }
    const dotted = this.cls.resolve(fn);

    if (dotted) {
      // MLX (`import mlx.core as mx`) spells the same operations as torch: mx.rsqrt, mx.mean, mx.square...
      const fnName = dotted.replace(/^torch\.nn\.functional\./, "F.").replace(/^mlx\.core\.(?!fast\.)/, "torch.");
      switch (fnName) {
        case "mlx.core.fast.rms_norm":
          return this.functionalNorm("rms", n, all, kw, env, ["input", "weight", "eps"]);
        case "mlx.core.fast.layer_norm":
          return this.functionalNorm("layer", n, all, kw, env, ["input", "weight", "bias", "eps"]);
        case "torch.rsqrt":
          return this.root(args[0] ? this.expr(args[0], env) : UNKNOWN, "rsqrt", n);
        case "torch.sqrt":
          return this.root(args[0] ? this.expr(args[0], env) : UNKNOWN, "sqrt", n);
        case "torch.pow": {
          const base = args[0] ? this.expr(args[0], env) : UNKNOWN;
          const e = args[1] ? this.expr(args[1], env) : UNKNOWN;
          return this.power(base, e, n, args[0]);
        }
        case "torch.square":
          return args[0] ? this.square(this.expr(args[0], env), args[0]) : UNKNOWN;
        case "torch.mean":
        case "torch.sum":
          return args[0] ? this.reduce(this.expr(args[0], env), n, args[0]) : UNKNOWN;
        case "torch.var":
        case "torch.var_mean": {
          const x = args[0] ? this.expr(args[0], env) : UNKNOWN;
          if (!isTensor(x)) return UNKNOWN;
          const v: StatV = { t: "stat", what: "var", of: x, node: n, base: args[0], centered: range(n) };
          return fnName === "torch.var_mean" ? { t: "args", items: [v, { t: "stat", what: "mean", of: x, node: n }], nodes: [] } : v;
        }
        case "torch.norm":
        case "torch.linalg.norm":
        case "torch.linalg.vector_norm": {
          const x = args[0] ? this.expr(args[0], env) : UNKNOWN;
          return isTensor(x) ? { t: "stat", what: "l2", of: x, node: n, base: args[0], root: "sqrt", rootNode: n } : UNKNOWN;
        }
        case "F.layer_norm":
        case "torch.layer_norm":
        case "F.rms_norm":
        case "torch.rms_norm":
          return this.functionalNorm(fnName.endsWith("layer_norm") ? "layer" : "rms", n, all, kw, env);
        case "F.normalize": {
          const x = args[0] ? this.expr(args[0], env) : UNKNOWN;
          return isTensor(x) ? { ...x, norm: { kind: "l2", via: "functional", stats: range(n), statsDtype: x.dtype } } : UNKNOWN;
        }
        case "torch.clamp":
        case "torch.clip":
        case "torch.abs":
          return args[0] ? this.expr(args[0], env) : UNKNOWN;
        case "float": {
          const v = args[0] ? this.expr(args[0], env) : UNKNOWN;
          return v.t === "num" ? v : UNKNOWN;
        }
        default:
          break;
      }
      if (/^F\.(silu|gelu|sigmoid|relu|softplus|tanh)$|^torch\.(sigmoid|tanh)$/.test(fnName)) {
        const v = args[0] ? this.expr(args[0], env) : UNKNOWN;
        return isTensor(v) ? { t: "tensor", dtype: v.dtype } : { t: "tensor", dtype: "unknown" };
      }
    }

    if (fn.type === "identifier") {
      const name = this.txt(fn);
      const local = this.cls.functions.get(name);
      if (local) {
        const av = this.argVals(all, env);
        return this.runFunction(local, av.positional, av.keywords, false);
      }
      // An unknown helper that takes the activations (`_cast_if_autocast_enabled`) passes them through.
      const vals = args.map((a) => this.expr(a, env));
      if (vals.some((v) => isTensor(v) || v.t === "weight")) return { t: "args", items: vals, nodes: args };
      return UNKNOWN;
    }

    if (fn.type === "attribute") {
      const obj = field(fn, "object")!;
      const method = this.txt(field(fn, "attribute")!);
      // super().forward(x), nn.LayerNorm.forward(self, x)
      if ((method === "forward" || method === "__call__") && (this.txt(obj) === "super()" || /^super\(/.test(this.txt(obj)) || (dotted && /^(torch|mlx)\.nn\.(LayerNorm|RMSNorm)\.(forward|__call__)$/.test(dotted)))) {
        const xNode = this.txt(obj).startsWith("super") ? args[0] : args[1];
        const x = xNode ? this.expr(xNode, env) : UNKNOWN;
        const base = this.cls.torchBase;
        if (!base || !isTensor(x)) return UNKNOWN;
        const out: TensorV = { ...x, norm: { kind: base.kind, via: "parent", stats: range(n), statsDtype: x.dtype } };
        if (base.affine) out.scale = implicitScale(n, x);
        return out;
      }
      const recv = this.expr(obj, env);
      if (recv.t === "self") {
        const m = this.cls.methods.get(method);
        if (m) {
          const av = this.argVals(all, env);
          return this.runFunction(m, av.positional, av.keywords, !this.cls.staticMethods?.has(method));
        }
        const mod = this.cls.submodules.get(method);
        if (mod) {
          const x = args[0] ? this.expr(args[0], env) : UNKNOWN;
          if (!isTensor(x)) return UNKNOWN;
          const out: TensorV = { ...x, norm: { kind: mod.kind, via: "submodule", stats: range(n), statsDtype: x.dtype } };
          if (mod.affine) out.scale = implicitScale(n, x);
          return out;
        }
        return UNKNOWN;
      }
      if (recv.t === "mod") {
        return UNKNOWN;
      }
      return this.method(recv, method, n, obj, args, kw, env);
    }
    return UNKNOWN;
  }

  private argVals(all: PyNode[], env: Map<string, Val>): { positional: Val[]; keywords: Map<string, Val> } {
    const positional: Val[] = [];
    const keywords = new Map<string, Val>();
    for (const a of all) {
      if (a.type === "keyword_argument") {
        const k = field(a, "name");
        const v = field(a, "value");
        if (k && v) keywords.set(this.txt(k), this.expr(v, env));
      } else if (a.type === "list_splat") {
        const v = this.expr(namedChildren(a)[0], env);
        if (v.t === "args") positional.push(...v.items);
        else positional.push(UNKNOWN);
      } else if (a.type !== "dictionary_splat") positional.push(this.expr(a, env));
    }
    return { positional, keywords };
  }

  private method(recv: Val, m: string, n: PyNode, obj: PyNode, args: PyNode[], kw: Map<string, PyNode>, env: Map<string, Val>): Val {
    const arg0 = args[0] ? this.expr(args[0], env) : undefined;
    switch (m) {
      case "float":
        return this.cast(recv, "fp32", n);
      case "double":
        return this.cast(recv, "fp32", n);
      case "half":
      case "bfloat16":
        return this.cast(recv, "half", n);
      case "to":
      case "type":
      case "astype":
        return this.cast(recv, this.dtypeArg(args, kw, env), n);
      case "type_as": {
        if (!arg0) return recv;
        const to = arg0.t === "tensor" ? (arg0.dtype === "fp32" ? "fp32" : arg0.dtype === "input" ? "input" : undefined) : arg0.t === "weight" ? (arg0.fp32 ? "fp32" : "input") : undefined;
        return this.cast(recv, to, n);
      }
      case "pow":
        return this.power(recv, arg0 ?? UNKNOWN, n, obj);
      case "square":
        return this.square(recv, obj);
      case "mean":
      case "sum":
      case "nanmean":
        return this.reduce(recv, n, obj);
      case "var":
        return isTensor(recv) ? { t: "stat", what: "var", of: recv, node: n, base: obj, centered: range(n) } : UNKNOWN;
      case "norm":
        return isTensor(recv) ? { t: "stat", what: "l2", of: recv, node: n, base: obj, root: "sqrt", rootNode: n } : UNKNOWN;
      // The in-place spellings (`variance.rsqrt_()`, unsloth's inference norms) give the same value.
      case "rsqrt":
      case "rsqrt_":
        return this.root(recv, "rsqrt", n);
      case "sqrt":
      case "sqrt_":
        return this.root(recv, "sqrt", n);
      case "add":
        return arg0 ? this.binop("+", recv, arg0, n, obj, args[0]) : recv;
      case "sub":
        return arg0 ? this.binop("-", recv, arg0, n, obj, args[0]) : recv;
      case "mul":
      case "multiply":
        return arg0 ? this.binop("*", recv, arg0, n, obj, args[0]) : recv;
      case "div":
      case "divide":
        return arg0 ? this.binop("/", recv, arg0, n, obj, args[0]) : recv;
      case "clamp":
      case "clamp_min":
      case "clip":
        return recv;
      default:
        break;
    }
    if (SHAPE_METHODS.has(m)) return recv.t === "weight" ? { ...recv, node: n } : recv;
    if (recv.t === "tensor") return recv;
    return UNKNOWN;
  }

  private functionalNorm(kind: "rms" | "layer", n: PyNode, all: PyNode[], kw: Map<string, PyNode>, env: Map<string, Val>, signature?: string[]): Val {
    // F.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5); F.rms_norm(input, shape, weight=None, eps=None);
    // MLX: mx.fast.rms_norm(x, weight, eps), mx.fast.layer_norm(x, weight, bias, eps)
    const names = signature ?? (kind === "layer" ? ["input", "normalized_shape", "weight", "bias", "eps"] : ["input", "normalized_shape", "weight", "eps"]);
    const vals: Val[] = [];
    const nodes: Array<PyNode | undefined> = [];
    for (const a of all) {
      if (a.type === "keyword_argument") continue;
      if (a.type === "list_splat") {
        const v = this.expr(namedChildren(a)[0], env);
        if (v.t === "args") {
          // `_cast_if_autocast_enabled(device_type, input, ...)`: the activations start the real arguments.
          const startAt = Math.max(0, v.items.findIndex(isTensor));
          v.items.slice(startAt).forEach((item, i) => {
            vals.push(item);
            nodes.push(v.nodes[startAt + i]);
          });
        }
        continue;
      }
      vals.push(this.expr(a, env));
      nodes.push(a);
    }
    const get = (name: string): { v: Val; node?: PyNode } => {
      const k = kw.get(name);
      if (k) return { v: this.expr(k, env), node: k };
      const i = names.indexOf(name);
      return { v: vals[i] ?? UNKNOWN, node: nodes[i] };
    };
    const x = get("input").v;
    if (!isTensor(x)) return UNKNOWN;
    const w = get("weight");
    const b = kind === "layer" ? get("bias") : undefined;
    const e = get("eps");
    let eps: EpsSource | undefined;
    if (e.v.t === "num") eps = { kind: "literal", value: e.v.value, range: range(e.v.node) };
    else if (e.v.t === "eps") eps = e.v.src;
    else if (!e.node && kind === "layer") eps = { kind: "default", value: 1e-5, range: range(n) };
    const out: TensorV = { ...x, norm: { kind, via: "functional", stats: range(n), statsDtype: x.dtype, eps } };
    if (w.v.t === "weight") {
      out.scale = { ...scaleOf(w.v, n, x), rewrite: "functional" };
    }
    if (b?.v.t === "weight") out.bias = b.v.param;
    return out;
  }

  private square(v: Val, base: PyNode): Val {
    return isTensor(v) ? { t: "sq", of: v, base } : UNKNOWN;
  }

  private power(base: Val, e: Val, n: PyNode, baseNode?: PyNode): Val {
    if (e.t !== "num") return base.t === "tensor" ? base : UNKNOWN;
    if (isTensor(base) && e.value === 2) return { t: "sq", of: base, base: baseNode ?? n };
    if (base.t === "stat" && (e.value === -0.5 || e.value === 0.5)) return this.root(base, e.value < 0 ? "rsqrt" : "sqrt", n);
    if (base.t === "num") return { t: "num", value: base.value ** e.value, node: n };
    return base.t === "tensor" ? base : UNKNOWN;
  }

  private reduce(v: Val, n: PyNode, _base: PyNode): Val {
    if (v.t === "sq") return { t: "stat", what: "ms", of: v.of, node: n, base: v.base, centered: v.of.centered };
    if (isTensor(v)) return { t: "stat", what: "mean", of: v, node: n, base: _base };
    if (v.t === "stat") return v;
    return UNKNOWN;
  }

  private root(v: Val, kind: "rsqrt" | "sqrt", n: PyNode): Val {
    if (v.t !== "stat") return UNKNOWN;
    if (v.root === "sqrt" && kind === "rsqrt") return UNKNOWN;
    return { ...v, root: kind, rootNode: n };
  }

  private binop(op: string, l: Val, r: Val, n: PyNode, ln: PyNode, rn: PyNode): Val {
    switch (op) {
      case "*": {
        if (l.t === "weight" && isTensor(r)) return this.applyScale(r, l, n);
        if (r.t === "weight" && isTensor(l)) return this.applyScale(l, r, n);
        if (isTensor(l) && r.t === "stat" && r.root === "rsqrt") return this.normalize(l, r);
        if (isTensor(r) && l.t === "stat" && l.root === "rsqrt") return this.normalize(r, l);
        if (isTensor(l) && isTensor(r)) {
          if (this.txt(ln) === this.txt(rn)) return { t: "sq", of: l, base: ln };
          const [main, other] = l.norm || l.scale ? [l, r] : r.norm || r.scale ? [r, l] : [l, r];
          return { ...main, dtype: promote(main.dtype, other.dtype), gated: main.norm ? true : main.gated };
        }
        if (isTensor(l)) return l;
        if (isTensor(r)) return r;
        if (l.t === "stat" && l.what === "l2") return { ...l, what: "ms", root: "sqrt" };
        if (r.t === "stat" && r.what === "l2") return { ...r, what: "ms", root: "sqrt" };
        if (l.t === "num" && r.t === "num") return { t: "num", value: l.value * r.value, node: n };
        return UNKNOWN;
      }
      case "/": {
        if (isTensor(l) && r.t === "stat" && r.root === "sqrt") return this.normalize(l, { ...r, root: "rsqrt" });
        if (l.t === "num" && l.value === 1 && r.t === "stat" && r.root === "sqrt") return { ...r, root: "rsqrt", rootNode: n };
        if (l.t === "stat" && (r.t === "num" || r.t === "unknown")) return l;
        if (isTensor(l)) return l;
        if (l.t === "num" && r.t === "num" && r.value !== 0) return { t: "num", value: l.value / r.value, node: n };
        return UNKNOWN;
      }
      case "+": {
        if (l.t === "weight" && isUnit(r)) return this.offsetWeight(l, n, ln);
        if (r.t === "weight" && isUnit(l)) return this.offsetWeight(r, n, rn);
        if (l.t === "stat" && r.t !== "stat" && !isTensor(r)) return { ...l, eps: epsOf(r) ?? l.eps };
        if (r.t === "stat" && l.t !== "stat" && !isTensor(l)) return { ...r, eps: epsOf(l) ?? r.eps };
        if (isTensor(l) && r.t === "weight") return { ...l, bias: r.param };
        if (isTensor(r) && l.t === "weight") return { ...r, bias: l.param };
        if (isTensor(l) && isTensor(r)) return l.norm || l.scale ? l : r.norm || r.scale ? r : l;
        if (isTensor(l)) return l;
        if (isTensor(r)) return r;
        if (l.t === "num" && r.t === "num") return { t: "num", value: l.value + r.value, node: n };
        return UNKNOWN;
      }
      case "-": {
        if (isTensor(l) && r.t === "stat" && r.what === "mean") return { ...l, centered: range(n) };
        if (isTensor(l)) return l;
        if (l.t === "num" && r.t === "num") return { t: "num", value: l.value - r.value, node: n };
        return UNKNOWN;
      }
      case "**":
        return this.power(l, r, n, ln);
      default:
        return isTensor(l) ? l : UNKNOWN;
    }
  }

  private offsetWeight(w: WeightV, n: PyNode, weightSide: PyNode): WeightV {
    return { ...w, offset: true, offsetNode: n, node: n, weightSide, offsetInFp32: w.fp32 };
  }

  private normalize(x: TensorV, s: StatV): TensorV {
    const centered = x.centered ?? s.centered ?? s.of.centered;
    const kind: NormState["kind"] = s.what === "l2" ? "l2" : s.what === "var" || centered ? "layer" : s.what === "ms" ? "rms" : "l2";
    const norm: NormState = {
      kind,
      via: "explicit",
      stats: range(s.node),
      statsDtype: s.of.dtype,
      statsBase: s.base ? range(s.base) : undefined,
      statsUpcast: s.of.upcast,
      rsqrt: s.rootNode ? range(s.rootNode) : undefined,
      centering: centered,
      eps: s.eps,
    };
    return { ...x, dtype: promote(x.dtype, s.of.dtype), norm };
  }

  private applyScale(x: TensorV, w: WeightV, n: PyNode): TensorV {
    if (!x.norm) return x;
    return { ...x, dtype: promote(x.dtype, w.fp32 ? "fp32" : "input"), scale: { ...scaleOf(w, n, x), rewrite: "expr" } };
  }
}

function isUnit(v: Val): boolean {
  return (v.t === "num" && v.value === 1) || v.t === "offsetattr";
}

function epsOf(v: Val): EpsSource | undefined {
  if (v.t === "num") return { kind: "literal", value: v.value, range: range(v.node) };
  if (v.t === "eps") return v.src;
  return undefined;
}

function scaleOf(w: WeightV, n: PyNode, x: TensorV): Omit<ScaleInfo, "rewrite"> {
  return {
    param: w.param,
    offset: w.offset,
    operand: range(w.node),
    weightRef: range(w.ref),
    offsetExpr: w.offsetNode ? range(w.node) : undefined,
    weightSide: w.weightSide ? range(w.weightSide) : undefined,
    offsetInFp32: w.offset ? w.offsetInFp32 : undefined,
    expr: range(n),
    activationDtype: x.dtype,
    afterCastBack: !!x.castBack && x.dtype === "input",
    castBackAt: x.castBack,
  };
}

function implicitScale(n: PyNode, x: TensorV): ScaleInfo {
  const r = range(n);
  return { param: "weight", offset: false, operand: r, weightRef: r, expr: r, activationDtype: x.dtype, afterCastBack: false, implicit: true, rewrite: "none" };
}

/** The value that tells the most: a normalized tensor over a plain one, anything over unknown. */
function best(vals: Val[]): Val {
  const score = (v: Val) => (v.t === "tensor" ? (v.norm ? (v.scale ? 4 : 3) : 2) : v.t === "args" ? 1 : v.t === "unknown" ? 0 : 1);
  let pick: Val = UNKNOWN;
  for (const v of vals) if (score(v) > score(pick)) pick = v;
  // Paths that scale by `1 + w` and by `w` (`if self.add_unit_offset: return out * (1 + w)`, then
  // `return out * w`): the offset is chosen when the norm is built, not by the class, so the class
  // alone says nothing about it and its scale stays unknown (executorch's llama/norm.py RMSNorm).
  const scaled = vals.filter((v): v is TensorV => v.t === "tensor" && !!v.norm && !!v.scale && !v.scale.implicit);
  if (pick.t === "tensor" && scaled.some((v) => v.scale!.offset) && scaled.some((v) => !v.scale!.offset)) {
    const { scale: _configurable, ...rest } = pick;
    return rest;
  }
  return pick;
}

export function paramName(p: PyNode, text: string): string | undefined {
  if (p.type === "identifier") return text.slice(p.start, p.end);
  if (p.type === "typed_parameter" || p.type === "list_splat_pattern" || p.type === "dictionary_splat_pattern") {
    const id = p.children.find((c) => c.type === "identifier");
    return id ? text.slice(id.start, id.end) : undefined;
  }
  if (p.type === "default_parameter" || p.type === "typed_default_parameter") {
    const id = field(p, "name");
    return id ? text.slice(id.start, id.end) : undefined;
  }
  return undefined;
}
