// The modeling side: one modeling file read by normlint's own analysis (analyzeModule, the code that
// lints users' files) and reduced to what the knowledge base needs: each norm class and what its forward
// computes, and the module tree (`self.<slot> = <Class>(...)`) with the eps each norm is built with and
// the condition it is built under. The syntax tree is dropped afterwards; only these facts are kept.
import { analyzeModule } from "../../analysis/module";
import type { NormImpl, Submodule } from "../../analysis/types";
import { field, namedChildren, type PyNode, walk } from "../../parsers/python";
import type { Cast, ClassKind } from "../index";
import { type Parsed, topClasses } from "./source";
import type { Cite, ExtractedClass } from "./types";
import { table } from "../../util/text";

/** A norm class of the file: its facts, without the paths and eps that come from where it is built. */
export type NormFacts = Omit<ExtractedClass, "at" | "eps"> & {
  epsDefault?: string;
  /** Parameters created only on some path (`if self.with_scale: self.weight = ...`). */
  conditional?: string[];
  /** Boolean constructor parameters with their defaults (`use_bias: bool = False`). */
  flagDefaults?: Record<string, boolean>;
};

export interface Edge {
  slot: string;
  /** The class built, as written or resolved through the imports (`torch.nn.LayerNorm`). */
  callee: string;
  indexed: boolean;
  src: Cite;
  /** The eps it is built with: a config key, a literal, or the argument's text. */
  eps?: string;
  /** `elementwise_affine=False` / `affine=False`, `bias=False` at the construction (or `self.norm.bias = None` after it). */
  affine: boolean;
  bias: boolean;
  /** `bias=config.norm_bias`, `elementwise_affine=config.x`: decided by the config key's default. */
  biasKey?: string;
  affineKey?: string;
  /** Boolean keyword arguments written as literals (`with_scale=False`). */
  flags?: Record<string, boolean>;
  /** Keyword arguments given as a config key (`use_bias=config.use_bias`): decided by the key's default. */
  flagKeys?: Record<string, string>;
  /** The condition it is built under (`config.norm_type == "rms"`, `not config.use_fast_kernel`). */
  when?: string;
  /** `AutoModel.from_config(config.text_config)`: the sub-config key the built model reads. */
  configKey?: string;
  /** The class whose `__init__` builds it. */
  owner: string;
  /**
   * `nn.LayerNorm(dim, eps=eps, bias=bias)`: the bias/affine/eps argument is a parameter of the
   * owner's `__init__` (StableLmLayerNormPerHead), decided where the owner is built or by its default.
   */
  fromParam?: Partial<Record<"bias" | "affine" | "eps" | "layer", string>>;
  /** The construction's arguments as written; absent when it unpacks `*args`/`**kwargs`. */
  args?: { positional: string[]; keyword: Record<string, string> };
}

/** A parameter of a class's `__init__` (after `self`), with its default as written. */
export interface InitParam {
  name: string;
  default?: string;
}

export interface FileFacts {
  path: string;
  imports: Map<string, string>;
  classes: Map<string, Cite>;
  norms: Map<string, NormFacts>;
  edges: Map<string, Edge[]>;
  /** Where the class each edge owner is a subclass of lives (`class A(B)` inherits B's slots). */
  bases: Map<string, string[]>;
  /** Each class's `__init__` parameters; absent when it takes `*args`/`**kwargs`. */
  initParams: Map<string, InitParam[]>;
  /** Each class's `__init__` locals bound to a construction (`tok = VisionTokenizer(config.x).model`), as written. */
  initLocals: Map<string, Map<string, string>>;
  /**
   * Slots holding a module passed to `__init__` (`self.vision_tokenizer = vision_tokenizer`, callee
   * `@param:vision_tokenizer`), apart from `edges`: most such slots hold a number or the config, and a
   * norm class keeping its eps this way must still read as a norm without submodules.
   */
  passed: Map<string, Edge[]>;
}

const TORCH_LEAVES: Record<string, ClassKind> = table({
  "torch.nn.LayerNorm": "layer",
  "torch.nn.RMSNorm": "rms",
  "torch.nn.GroupNorm": "group",
  "torch.nn.BatchNorm1d": "batch",
  "torch.nn.BatchNorm2d": "batch",
  "torch.nn.BatchNorm3d": "batch",
  "torch.nn.SyncBatchNorm": "batch",
  "torch.nn.InstanceNorm1d": "other",
  "torch.nn.InstanceNorm2d": "other",
});

export function torchLeaf(callee: string): ClassKind | undefined {
  return TORCH_LEAVES[callee.replace(/^torch\.nn\.modules\.\w+\./, "torch.nn.")];
}

/** A float as Python prints it (`1e-06`, `1e-05`, `0.0001`): eps literals read the same as in the source's own repr. */
export function pyFloat(x: number): string {
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** The cast order a class's forward follows, in the knowledge base's vocabulary. */
function castOf(impl: NormImpl, classText: string): Cast {
  const c = impl.compute;
  if (!c) return impl.torchBase ? "torch" : "none";
  // F.layer_norm on activations cast to fp32 (OLMo's parameter-free LayerNorm) computes in fp32.
  if (c.via === "functional" && c.upcast) return "fp32";
  if (c.via === "parent" || c.via === "functional") return "torch";
  const s = c.scale;
  // T5: `if self.weight.dtype in [torch.float16, torch.bfloat16]: hidden_states = hidden_states.to(self.weight.dtype)`.
  if (s && /\.weight\.dtype\s+in\s/.test(classText)) return "t5";
  if (!c.upcast && c.statsDtype !== "fp32") return "none";
  if (!s || s.implicit) return c.kind === "l2" ? "none" : "fp32";
  if (s.afterCastBack || s.activationDtype === "input") return "llama";
  if (s.activationDtype === "fp32") return s.offset ? "gemma" : "fp32";
  return "other";
}

function normFacts(p: Parsed, impl: NormImpl, decorators: PyNode[]): NormFacts {
  const c = impl.compute;
  const gated = !!c?.gated || /Gated/.test(impl.name);
  const base = c && c.kind !== "l2" ? c.kind : c?.kind === "l2" ? "l2" : impl.torchBase;
  const scaleName = c?.scale?.param ?? (impl.params.some((x) => x.name === "weight") ? "weight" : impl.params.find((x) => x.storage !== "buffer")?.name);
  const scaleParam = impl.params.find((x) => x.name === scaleName);
  // An RMS statistic with no scale parameter is the knowledge base's `l2` (Llama 4's L2Norm, NanoChat).
  const kind: ClassKind = base === "rms" ? (gated ? "rms-gated" : scaleParam ? "rms" : "l2") : base === "layer" ? "layer" : base === "l2" ? "l2" : "other";
  const init = !scaleParam ? "none" : scaleParam.init === "ones" || scaleParam.init === "zeros" ? scaleParam.init : "other";
  const classText = p.text.slice(impl.range.start, impl.range.end);
  const out: NormFacts = {
    name: impl.name,
    kind,
    offset: !!c?.scale?.offset,
    bias: impl.params.some((x) => x.name === "bias") || !!c?.bias,
    init,
    cast: castOf(impl, classText),
    params: impl.params.map((x) => x.name),
    src: p.cite(impl.nameRange),
  };
  if (scaleName && scaleName !== "weight" && scaleParam) out.scale = scaleName;
  const conditional = impl.params.filter((x) => x.conditional).map((x) => x.name);
  if (conditional.length) {
    out.conditional = conditional;
    const init = /def __init__\(([^)]*)\)/.exec(classText)?.[1] ?? "";
    for (const m of init.matchAll(/(\w+)\s*(?::\s*bool\s*)?=\s*(True|False)\b/g)) (out.flagDefaults ??= {})[m[1]] = m[2] === "True";
  }
  const lines: NonNullable<ExtractedClass["lines"]> = {};
  if (c?.stats && c.via !== "parent") lines.stats = p.cite(c.stats);
  if (c?.upcast) lines.upcast = p.cite(c.upcast);
  if (c?.castBack) lines.castBack = p.cite(c.castBack);
  if (c?.scale && !c.scale.implicit) lines.scale = p.cite(c.scale.expr);
  if (Object.keys(lines).length) out.lines = lines;
  // The eps the class uses when built without one: its parameter's default, or a literal in the
  // forward itself (OLMo's `F.layer_norm(x, ..., eps=1e-5)`).
  const eps = impl.epsParam?.default ?? (c?.eps?.kind === "literal" ? c.eps : undefined);
  if (eps?.value !== undefined) out.epsDefault = pyFloat(eps.value);
  for (const d of decorators) {
    const m = /use_kernel_forward_from_hub\(\s*["'](\w+)["']/.exec(p.text_(d));
    if (m) out.kernel = { name: m[1], layers: [], src: p.cite(d) };
  }
  return out;
}

/** The condition a construction is built under, as source text (the innermost one). */
function conditionOf(p: Parsed, call: PyNode, top: PyNode): string | undefined {
  let prev: PyNode = call;
  for (let cur = call.parent; cur && cur !== top; prev = cur, cur = cur.parent) {
    if (cur.type === "conditional_expression") {
      const [a, cond, b] = namedChildren(cur);
      if (prev === a) return p.text_(cond);
      if (prev === b) return `not (${p.text_(cond)})`;
    }
    if (cur.type === "if_statement") {
      const cond = p.text_(field(cur, "condition"));
      if (prev === field(cur, "consequence")) return cond;
      if (prev.type === "else_clause") return `not (${cond})`;
      if (prev.type === "elif_clause") return `${p.text_(field(prev, "condition"))} (elif)`;
    }
    if (/^(function_definition|class_definition)$/.test(cur.type)) return undefined;
  }
  return undefined;
}

export function fileFacts(p: Parsed): FileFacts {
  const analysis = analyzeModule(p.tree, p.path);
  const decorated = new Map(topClasses(p).map((c) => [c.name, c]));
  const norms = new Map<string, NormFacts>();
  for (const impl of analysis.norms) norms.set(impl.name, normFacts(p, impl, decorated.get(impl.name)?.decorators ?? []));
  const classes = new Map<string, Cite>();
  const bases = new Map<string, string[]>();
  const initParams = new Map<string, InitParam[]>();
  for (const c of decorated.values()) {
    classes.set(c.name, p.cite(c.node));
    const params = initParamsOf(p, c.node);
    if (params) initParams.set(c.name, params);
    bases.set(c.name, namedChildren(field(c.node, "superclasses")).filter((b) => b.type !== "keyword_argument").map((b) => p.text_(b)));
  }
  for (const c of decorated.values()) {
    const facts = !norms.has(c.name) ? torchSubclassFacts(p, c.node, c.name, bases, analysis.imports) : undefined;
    if (facts) norms.set(c.name, facts);
  }
  const usesAt = new Map(analysis.uses.map((u) => [u.range.start, u]));
  // `self.norm_1.bias = None` after `self.norm_1 = LayerNorm(...)` (MPT): that norm has no bias.
  const biasDropped = new Set<string>();
  for (const c of decorated.values()) {
    for (const n of walk(c.node)) {
      if (n.type !== "assignment" || p.text_(field(n, "right")) !== "None") continue;
      const m = /^self\.(\w+)\.bias$/.exec(p.text_(field(n, "left")));
      if (m) biasDropped.add(`${c.name}.${m[1]}`);
    }
  }
  const calls = new Map<number, PyNode>();
  for (const n of walk(p.tree.root)) if (n.type === "call") calls.set(n.start, n);
  const edges = new Map<string, Edge[]>();
  const add = (owner: string, e: Edge) => {
    const list = edges.get(owner) ?? [];
    list.push(e);
    edges.set(owner, list);
  };
  const seen = new Set(analysis.submodules.map((s) => s.range.start));
  // Source order, whichever way a slot was found.
  const slots: Submodule[] = [...analysis.submodules, ...fromConfigSlots(p, decorated.values(), seen, analysis.imports, initParams)].sort((a, b) => a.range.start - b.range.start);
  const passed = new Map<string, Edge[]>();
  for (const s of slots) {
    const e = edgeOf(p, s, usesAt.get(s.range.start), calls.get(s.range.start), decorated.get(s.owner)?.node, norms, initParams.get(s.owner));
    if (s.when) e.when = s.when;
    if (biasDropped.has(`${s.owner}.${s.slot}`)) e.bias = false;
    if (s.callee.startsWith(PASSED)) passed.set(s.owner, [...(passed.get(s.owner) ?? []), e]);
    else add(s.owner, e);
  }
  const initLocals = new Map<string, Map<string, string>>();
  for (const c of decorated.values()) {
    const init = namedChildren(field(c.node, "body")).map((st) => (st.type === "decorated_definition" ? field(st, "definition") : st)).find((d) => d?.type === "function_definition" && p.text_(field(d, "name")) === "__init__");
    const locals = new Map<string, string>();
    for (const n of init ? walk(init) : []) {
      const right = field(n, "right");
      if (n.type !== "assignment" || field(n, "left")?.type !== "identifier" || !right) continue;
      const call = right.type === "attribute" ? field(right, "object") : right;
      if (call?.type === "call" && !locals.has(p.text_(field(n, "left")))) locals.set(p.text_(field(n, "left")), p.text_(right));
    }
    if (locals.size) initLocals.set(c.name, locals);
  }
  return { path: p.path, imports: analysis.imports, classes, norms, edges, bases, initParams, initLocals, passed };
}

/** The parameters of a class's own `__init__`, or undefined when it has none or takes `*args`/`**kwargs`. */
function initParamsOf(p: Parsed, cls: PyNode): InitParam[] | undefined {
  const body = field(cls, "body");
  for (const st of namedChildren(body)) {
    const def = st.type === "decorated_definition" ? field(st, "definition") : st;
    if (def?.type !== "function_definition" || p.text_(field(def, "name")) !== "__init__") continue;
    const out: InitParam[] = [];
    for (const a of namedChildren(field(def, "parameters"))) {
      if (a.type === "identifier" || a.type === "typed_parameter") {
        const name = a.type === "identifier" ? p.text_(a) : p.text_(namedChildren(a)[0]);
        out.push({ name });
      } else if (a.type === "default_parameter" || a.type === "typed_default_parameter") {
        out.push({ name: p.text_(field(a, "name")), default: p.text_(field(a, "value")) });
      } else if (a.type === "list_splat_pattern" || a.type === "dictionary_splat_pattern") return undefined;
    }
    return out[0]?.name === "self" ? out.slice(1) : out;
  }
  return undefined;
}

/** `nn.GroupNorm` -> `torch.nn.GroupNorm` through the file's imports. */
function dottedName(v: string, imports: Map<string, string>): string {
  const [head, ...rest] = v.split(".");
  const m = imports.get(head);
  return m ? [m, ...rest].join(".") : v;
}

/**
 * A subclass of a torch norm other than LayerNorm/RMSNorm, which the analysis leaves to torch
 * (BiT's `BitGroupNormActivation(nn.GroupNorm)`, PoolFormer's `PoolFormerGroupNorm`): torch's norm with
 * its parameters (none when the class passes `affine=False` to torch), directly or through a base
 * class of the same file. What its forward adds around torch's computation (an activation, a mask) is
 * not a norm fact.
 */
function torchSubclassFacts(p: Parsed, node: PyNode, name: string, bases: Map<string, string[]>, imports: Map<string, string>, depth = 0): NormFacts | undefined {
  if (depth > 4) return undefined;
  for (const b of bases.get(name) ?? []) {
    const kind = torchLeaf(dottedName(b, imports));
    const viaLocal = !kind && bases.has(b) ? torchSubclassFacts(p, node, b, bases, imports, depth + 1) : undefined;
    if (!kind && !viaLocal) continue;
    const text = p.text_(node);
    const affine = !/\baffine\s*=\s*False\b/.test(text);
    const eps = /def __init__\([^)]*\beps\s*=\s*([\d.eE+-]+)/.exec(text)?.[1];
    const facts: NormFacts = {
      name,
      kind: kind ?? viaLocal!.kind,
      offset: false,
      bias: affine,
      init: affine ? "ones" : "none",
      cast: "torch",
      params: affine ? ["weight", "bias"] : [],
      src: p.cite(field(node, "name") ?? node),
    };
    const epsDefault = eps !== undefined && Number.isFinite(Number(eps)) ? pyFloat(Number(eps)) : viaLocal?.epsDefault ?? (kind === "rms" ? undefined : "1e-05");
    if (epsDefault) facts.epsDefault = epsDefault;
    return facts;
  }
  return undefined;
}

/** The callee of a slot holding an `__init__` parameter (`self.x = x`): `@param:x`. */
export const PASSED = "@param:";

/** The constructor call a method returns: `return X(...)`, or `return m` after `m = X(...)` in the method. */
function returnedCall(p: Parsed, def: PyNode | undefined): PyNode | undefined {
  if (!def) return undefined;
  const locals = new Map<string, PyNode>();
  for (const n of walk(def)) {
    if (n.type === "assignment" && field(n, "left")?.type === "identifier" && field(n, "right")?.type === "call") locals.set(p.text_(field(n, "left")), field(n, "right")!);
    if (n.type !== "return_statement") continue;
    const v = namedChildren(n)[0];
    if (v?.type === "call") return v;
    if (v?.type === "identifier") return locals.get(p.text_(v));
  }
  return undefined;
}

/**
 * `self.vision_model = CLIPVisionModel._from_config(config.vision_config)`: the analysis resolves a
 * `from_config` callee only through the imports, so a class of the same module built this way is
 * added here, and so is a backbone built by `load_backbone(config)`.
 */
function fromConfigSlots(p: Parsed, classes: Iterable<{ node: PyNode; name: string }>, seen: Set<number>, imports: Map<string, string>, initParams: Map<string, InitParam[]>): Submodule[] {
  // Module-level tables of classes: `NORM2FN = {"layer_norm": nn.LayerNorm, "no_norm": NoNorm}`.
  const tables = new Map<string, Array<{ key: string; value: string }>>();
  for (const st of namedChildren(p.tree.root)) {
    const a = st.type === "expression_statement" ? namedChildren(st)[0] : undefined;
    const right = field(a, "right");
    if (a?.type !== "assignment" || right?.type !== "dictionary" || field(a, "left")?.type !== "identifier") continue;
    const pairs = namedChildren(right).filter((c) => c.type === "pair").map((c) => ({ key: p.text_(field(c, "key")).replace(/^["']|["']$/g, ""), value: p.text_(field(c, "value")) }));
    if (pairs.length && pairs.every((x) => /^[\w.]+$/.test(x.value))) tables.set(p.text_(field(a, "left")), pairs);
  }
  const dotted = (v: string) => {
    const [head, ...rest] = v.split(".");
    const m = imports.get(head);
    return rest.length && m ? [m, ...rest].join(".") : v;
  };
  const out: Submodule[] = [];
  for (const c of classes) {
    const methods = new Map<string, PyNode>();
    for (const st of namedChildren(field(c.node, "body"))) {
      const def = st.type === "decorated_definition" ? field(st, "definition") : st;
      if (def?.type === "function_definition") methods.set(p.text_(field(def, "name")), def);
    }
    // `norm_layer=partial(nn.LayerNorm, eps=1e-6)` in the signature of `__init__`, or bound to a local
    // there (`norm_layer = partial(nn.LayerNorm, eps=1e-6)`, a timm-style ViT's), which wins.
    const partials = new Map<string, PyNode>();
    const isPartial = (v: PyNode | undefined): v is PyNode => v?.type === "call" && /^(functools\.)?partial$/.test(p.text_(field(v, "function")));
    const init = methods.get("__init__");
    for (const a of namedChildren(field(init, "parameters"))) {
      const v = a.type === "default_parameter" || a.type === "typed_default_parameter" ? field(a, "value") : undefined;
      if (isPartial(v)) partials.set(p.text_(field(a, "name")), v);
    }
    for (const n of init ? walk(init) : []) {
      const v = field(n, "right");
      if (n.type === "assignment" && field(n, "left")?.type === "identifier" && isPartial(v)) partials.set(p.text_(field(n, "left")), v);
    }
    for (const n of walk(c.node)) {
      if (n.type !== "assignment") continue;
      const left = field(n, "left");
      const right = field(n, "right");
      if (left?.type !== "attribute" || p.text_(field(left, "object")) !== "self") continue;
      const slot = p.text_(field(left, "attribute"));
      // `self.vision_tokenizer = vision_tokenizer`: a module passed to `__init__` (xGen-MM's VLM), whatever
      // the construction of this class passes for that parameter (resolved where it is built).
      if (right?.type === "identifier" && initParams.get(c.name)?.some((x) => x.name === p.text_(right))) {
        out.push({ owner: c.name, slot, callee: `${PASSED}${p.text_(right)}`, range: { start: right.start, end: right.end }, indexed: false });
        continue;
      }
      // `self.norm = norm_layer(dim) if not use_fc_norm else nn.Identity()`: the partial's call, under its condition.
      const branches = right?.type === "conditional_expression" ? namedChildren(right) : [];
      const [yes, cond, no] = branches;
      const picked = right?.type === "call" ? { call: right, when: undefined } : yes?.type === "call" && partials.has(p.text_(field(yes, "function"))) ? { call: yes, when: p.text_(cond) } : no?.type === "call" && partials.has(p.text_(field(no, "function"))) ? { call: no, when: `not (${p.text_(cond)})` } : undefined;
      if (!picked) continue;
      const fn0 = p.text_(field(picked.call, "function"));
      // `self.ln_q = norm_layer(embed_dim)` with that default: the class the partial binds, built with
      // the partial's arguments (MiniCPM-V's Resampler). The construction cited is the partial.
      const bound = partials.get(fn0);
      const cls = bound ? p.text_(namedChildren(field(bound, "arguments"))[0]) : undefined;
      if (bound && cls && /^[\w.]+$/.test(cls)) {
        out.push({ owner: c.name, slot, callee: dotted(cls), range: { start: bound.start, end: bound.end }, indexed: false, ...(picked.when ? { when: picked.when.replace(/\s+/g, " ") } : {}) });
        continue;
      }
      if (picked.call !== right) continue;
      // `self.norm1 = norm_layer(dim)` with `norm_layer: nn.Module = nn.LayerNorm`: the default class, which
      // what the owner's construction passes for the parameter replaces (edgeOf marks it `fromParam.layer`).
      const param = initParams.get(c.name)?.find((x) => x.name === fn0);
      if (param && !seen.has(right.start)) {
        const d = param.default && /^[A-Za-z_][\w.]*$/.test(param.default) && param.default !== "None" ? dotted(param.default) : fn0;
        out.push({ owner: c.name, slot, callee: d, range: { start: right.start, end: right.end }, indexed: false });
        continue;
      }
      // `self.resampler = self.init_resampler(...)`: the class the method of this class returns built,
      // directly (`return Resampler(...)`) or through a local (`model = X(...)` ... `return model`).
      const method = /^self\.(\w+)$/.exec(fn0)?.[1];
      const made = method ? returnedCall(p, methods.get(method)) : undefined;
      if (made) {
        const callee = p.text_(field(made, "function"));
        if (/^[A-Z][\w.]*$|^\w+\.[A-Z]\w*$/.test(callee)) out.push({ owner: c.name, slot, callee: dotted(callee), range: { start: made.start, end: made.end }, indexed: false });
        continue;
      }
      if (seen.has(right.start)) continue;
      const range = { start: right.start, end: right.end };
      // `AutoModel.from_config(config.semantic_model_config).eval()`: the model the chained call returns.
      const chained = field(right, "function");
      const inner = chained?.type === "attribute" && /^(eval|float|half|to|requires_grad_)$/.test(p.text_(field(chained, "attribute"))) ? field(chained, "object") : undefined;
      const call = inner?.type === "call" ? inner : right;
      const fn = field(call, "function")!;
      const m = /^(\w+)\._?from_(?:config|pretrained)$/.exec(p.text_(fn));
      if (m) out.push({ owner: c.name, slot, callee: m[1], range, indexed: false });
      // `self.backbone = load_backbone(config)`: the model of the config's backbone_config, resolved
      // like an AutoModel built from that sub-config (DepthAnything's DINOv2).
      else if (p.text_(fn) === "load_backbone") out.push({ owner: c.name, slot, callee: "load_backbone", range, indexed: false });
      else if (fn.type === "subscript" && tables.has(p.text_(field(fn, "value")))) {
        const sub = field(fn, "subscript");
        const key = p.text_(sub);
        const lit = sub?.type === "string" ? key.replace(/^["']|["']$/g, "") : undefined;
        for (const x of tables.get(p.text_(field(fn, "value")))!) {
          if (lit === undefined) out.push({ owner: c.name, slot, callee: dotted(x.value), range, indexed: false, when: `${key} == "${x.key}"` });
          else if (lit === x.key) out.push({ owner: c.name, slot, callee: dotted(x.value), range, indexed: false });
        }
      }
    }
  }
  return out;
}

function edgeOf(p: Parsed, s: Submodule, use: ReturnType<typeof analyzeModule>["uses"][number] | undefined, call: PyNode | undefined, owner: PyNode | undefined, norms: Map<string, NormFacts>, ownerParams: InitParam[] | undefined): Edge {
  const e: Edge = { slot: s.slot, callee: s.callee, indexed: s.indexed, src: p.cite(s.range), affine: true, bias: true, owner: s.owner };
  const args = call ? namedChildren(field(call, "arguments")) : [];
  const kw = (k: string) => args.find((a) => a.type === "keyword_argument" && p.text_(field(a, "name")) === k);
  if (call && !args.some((a) => a.type === "list_splat" || a.type === "dictionary_splat")) {
    const keyword: Record<string, string> = {};
    for (const a of args) if (a.type === "keyword_argument") keyword[p.text_(field(a, "name"))] = p.text_(field(a, "value"));
    e.args = { positional: args.filter((a) => a.type !== "keyword_argument" && a.type !== "comment").map((a) => p.text_(a)), keyword };
  }
  // `bias=bias`, `eps=eps`: a parameter of the owner's `__init__`, bound where the owner is built.
  const isParam = (v: string) => !!ownerParams?.some((x) => x.name === v);
  for (const [k, names] of [["bias", ["bias"]], ["affine", ["elementwise_affine", "affine"]], ["eps", ["eps", "epsilon", "layer_norm_eps"]]] as const) {
    const v = names.map((n) => (kw(n) ? p.text_(field(kw(n), "value")) : "")).find((x) => x);
    if (v && isParam(v)) (e.fromParam ??= {})[k] = v;
  }
  // `self.norm1 = norm_layer(dim)` with `norm_layer: nn.Module = nn.LayerNorm`: the class is what the
  // owner is passed for the parameter, the default otherwise.
  if (call && isParam(p.text_(field(call, "function")))) (e.fromParam ??= {}).layer = p.text_(field(call, "function"));
  const valueOf = (k: string) => p.text_(field(kw(k), "value"));
  if (valueOf("elementwise_affine") === "False" || valueOf("affine") === "False") e.affine = false;
  // torch's InstanceNorm is built without parameters unless `affine=True` is written (BatchNorm and
  // GroupNorm default to affine).
  if (/InstanceNorm\dd$/.test(s.callee) && valueOf("affine") !== "True") e.affine = false;
  if (valueOf("bias") === "False") e.bias = false;
  const key = (v: string) => /^(?:self\.)?config\.(\w+)$/.exec(v)?.[1];
  const biasKey = key(valueOf("bias"));
  const affineKey = key(valueOf("elementwise_affine") || valueOf("affine"));
  if (biasKey) e.biasKey = biasKey;
  if (affineKey) e.affineKey = affineKey;
  for (const a of args) {
    if (a.type !== "keyword_argument") continue;
    const name = p.text_(field(a, "name"));
    const v = p.text_(field(a, "value"));
    if ((v === "True" || v === "False") && !/^(bias|elementwise_affine|affine)$/.test(name)) (e.flags ??= {})[name] = v === "True";
    const k = key(v);
    if (k && name !== "eps" && !/^(bias|elementwise_affine|affine)$/.test(name)) (e.flagKeys ??= {})[name] = k;
  }
  if (use?.eps) {
    // A construction without an eps argument gets the class's default, filled in where the class is
    // resolved (it may live in another file); its `range` is the callee, not an eps expression.
    if (use.eps.kind === "config" && use.eps.key) e.eps = use.eps.key;
    else if (use.eps.kind === "default") e.eps = use.eps.value !== undefined ? pyFloat(use.eps.value) : undefined;
    else if (use.eps.range) e.eps = p.text.slice(use.eps.range.start, use.eps.range.end);
    else if (use.eps.value !== undefined) e.eps = String(use.eps.value);
  }
  if (e.eps === undefined && call) {
    const epsNode = field(kw("eps") ?? kw("epsilon") ?? kw("layer_norm_eps"), "value");
    if (epsNode) e.eps = /(?:^|\.)config\.(\w+)$/.exec(p.text_(epsNode))?.[1] ?? p.text_(epsNode);
  }
  if (e.eps === undefined) {
    const local = norms.get(s.callee);
    if (local?.epsDefault) e.eps = local.epsDefault;
    else if (torchLeaf(s.callee) === "layer" || torchLeaf(s.callee) === "group") e.eps = "1e-05";
  }
  if (call) {
    const m = /from_config\(\s*(?:config\s*=\s*)?(?:self\.)?config\.(\w+)/.exec(p.text_(call));
    // `text_config = config.get_text_config()` ... `AutoModel.from_config(text_config)` (Gemma 4's assistant).
    const local = /from_config\(\s*(?:config\s*=\s*)?(\w+)\s*[,)]/.exec(p.text_(call))?.[1];
    const bound = local && owner ? new RegExp(`\\b${local}\\s*=\\s*(?:self\\.)?config\\.(?:get_text_config\\([^)]*\\)|(\\w+))\\s*$`, "m").exec(p.text_(owner)) : undefined;
    if (m) e.configKey = m[1];
    else if (bound) e.configKey = bound[1] ?? "text_config";
    else if (s.callee === "load_backbone") e.configKey = "backbone_config";
    if (owner) {
      const when = conditionOf(p, call, owner);
      if (when) e.when = when.replace(/\s+/g, " ");
    }
  }
  return e;
}
