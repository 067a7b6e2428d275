// Module-level static analysis of PyTorch modeling code: imports, norm classes and what their
// forward computes, norms built in place, monkey-patches of a family's norm class, weight-loading
// code and suppression comments. Nothing is executed; every fact carries its offsets.
import { field, namedChildren, type PyNode, type PythonTree, textOf, walk } from "../parsers/python";
import { collectDeclared } from "./declarations";
import { EXTERNAL_NORMS } from "./external";
import { collectInstanceShifts } from "./instance-shifts";
import { collectNormCalls } from "./norm-calls";
import { collectPlainCopies } from "./plain-copies";
import { classForSlot, factsFor, factsFromClass, factsFromFamily, familyByLooseName, familyForClass, familyFromConfigClass, familyFromPath, familyHasKind } from "./family";
import { type ClassEnv, Interpreter, type ModV, paramName } from "./interp";
import type { NormClass } from "../knowledge/index";
import type { EpsSource, FamilyRef, ModuleAnalysis, NormFunction, NormImpl, NormParam, NormPatch, NormUse, Range, Submodule, Suppression, WeightLoading } from "./types";
import { table } from "../util/text";

const range = (n: PyNode): Range => ({ start: n.start, end: n.end });

/** Names a snippet may use without importing them (fixtures, notebooks that import in another cell). */
const DEFAULT_ALIASES: Record<string, string> = table({ torch: "torch", nn: "torch.nn", F: "torch.nn.functional" });

const EPS_NAME = /^(eps|epsilon|variance_epsilon|.*_eps|.*_epsilon|norm_eps)$/i;
const NORM_NAME = /(Norm|Normalization|LayerNorm1P|Norm2d|NormGated)$/;

export interface AnalyzeOptions {
  /** The family the caller names (`--model-type`, a test): trusted like a comment. */
  modelType?: string;
  /** The `model_type` of the config.json that governs the file's folder. */
  configModelType?: string;
  /**
   * A store kept across versions of one document (an editor's relint after each edit): classes
   * whose analysis cannot have changed are taken from it instead of analysed again.
   */
  memo?: Map<string, unknown>;
}

interface Ctx {
  text: string;
  imports: Map<string, string>;
  functions: Map<string, PyNode>;
}

export function analyzeModule(tree: PythonTree, path: string, opts: AnalyzeOptions = {}): ModuleAnalysis {
  const text = tree.text;
  const root = tree.root;
  const all = walk(root);
  const imports = collectImports(all, text);
  const functions = new Map<string, PyNode>();
  for (const st of namedChildren(root)) {
    const def = st.type === "decorated_definition" ? field(st, "definition") : st;
    if (def?.type === "function_definition") functions.set(textOf(text, field(def, "name")), def);
  }
  const ctx: Ctx = { text, imports, functions };
  const comments = all.filter((n) => n.type === "comment");

  const fileFamily = resolveFileFamily(path, opts, comments, all, ctx);
  const classes = all.filter((n) => n.type === "class_definition");
  const classNodes = new Map(classes.map((c) => [textOf(text, field(c, "name")), c]));
  const norms: NormImpl[] = [];
  // A construct the analysis does not handle costs only the definition or the pass it is in.
  const failures: NonNullable<ModuleAnalysis["failures"]> = [];
  const contained = <T>(part: string, at: Range, fallback: T, run: () => T): T => {
    try {
      return run();
    } catch (err) {
      failures.push({ part, message: (err as Error).message, range: at });
      return fallback;
    }
  };
  const memo = opts.memo && classMemo(opts.memo, ctx);
  for (const c of classes) {
    const name = textOf(text, field(c, "name"));
    const impl = contained(`class \`${name}\``, range(field(c, "name") ?? c), undefined, () => (memo ? memo.analyze(c, classNodes) : analyzeClass(c, ctx, classNodes)));
    if (impl) norms.push(impl);
  }
  contained("_init_weights", { start: 0, end: 0 }, undefined, () => applyInitWeights(classes, ctx, norms));
  for (const impl of norms) {
    const ref = familyForClass(impl.name, fileFamily);
    if (!ref) continue;
    const kind = impl.compute && impl.compute.kind !== "l2" ? impl.compute.kind : impl.torchBase;
    impl.facts = factsFor(ref, impl.name, kind, impl.compute?.gated || /Gated/.test(impl.name));
  }
  contained("norm registries", { start: 0, end: 0 }, undefined, () => markRegistries(all, text, norms));
  const start: Range = { start: 0, end: 0 };
  const uses = contained("norms built in place", start, [], () => collectUses(all, ctx, norms, fileFamily));
  contained("norms built by model classes", start, undefined, () => adoptBuilders(norms, uses, fileFamily));
  const patches = contained("monkey-patches", start, [], () => collectPatches(all, ctx, norms));
  const loading = contained("weight loading", start, [], () => collectLoading(all, ctx, norms));
  const submodules = contained("submodules", start, [], () => collectSubmodules(classes, ctx, memo));
  memo?.done();
  const suppressions = collectSuppressions(comments, text);
  const declared = contained("declared conventions", start, undefined, () => collectDeclared({ root, text, path, file: fileFamily, patches }));
  const configFields = contained("config classes", start, new Set<string>(), () => collectConfigFields(classes, text));
  const instanceShifts = contained("norm weights shifted by class", start, [], () => collectInstanceShifts(root, text, fileFamily, patches, declared));
  const normFunctions = contained("norm functions", start, [], () => collectNormFunctions(ctx));
  const normCalls = contained("calls of imported norm functions", start, [], () => collectNormCalls({ fileFamily, instanceShifts, imports }, root, text, functions));
  const plainCopies = contained("norm weights copied without the offset", start, [], () => collectPlainCopies(root, text, declared));
  return { path, text, fileFamily, norms, uses, patches, loading, submodules, suppressions, syntaxErrors: tree.errors, imports, declared, configFields, failures, ...(instanceShifts.length ? { instanceShifts } : {}), ...(plainCopies.length ? { plainCopies } : {}), ...(normFunctions.length ? { normFunctions } : {}), ...(normCalls.length ? { normCalls } : {}) };
}

/** Marks the norm classes a dict selects among when it holds classes of more than one kind (see NormImpl.registry). */
function markRegistries(all: readonly PyNode[], text: string, norms: NormImpl[]): void {
  const byName = new Map(norms.map((n) => [n.name, n]));
  for (const d of all) {
    if (d.type !== "dictionary") continue;
    const held = namedChildren(d).flatMap((pair) => {
      const v = pair.type === "pair" ? field(pair, "value") : undefined;
      const impl = v?.type === "identifier" ? byName.get(textOf(text, v)) : undefined;
      return impl ? [impl] : [];
    });
    const kinds = new Set(held.map((i) => i.compute?.kind ?? i.torchBase));
    if (kinds.size < 2) continue;
    for (const impl of held) impl.registry ??= range(d);
  }
}

const CONFIG_CLASS = /(Config|Configuration|Args|Arguments|Params|Hparams|HParams)$/;

/** The fields the module's own config classes declare in their bodies (`norm_eps: float = 1e-5`). */
function collectConfigFields(classes: PyNode[], text: string): Set<string> {
  const out = new Set<string>();
  for (const c of classes) {
    const decorators = c.parent?.type === "decorated_definition" ? namedChildren(c.parent).filter((d) => d.type === "decorator").map((d) => textOf(text, d)) : [];
    if (!CONFIG_CLASS.test(textOf(text, field(c, "name"))) && !decorators.some((d) => /\bdataclass\b/.test(d))) continue;
    for (const st of namedChildren(field(c, "body"))) {
      if (st.type !== "expression_statement") continue;
      for (const a of namedChildren(st)) {
        const left = a.type === "assignment" ? field(a, "left") : undefined;
        if (left?.type === "identifier") out.add(textOf(text, left));
      }
    }
  }
  return out;
}

/**
 * Class analyses kept across versions of one document. A class's analysis reads its own text and
 * its local ancestors' (`localChain`), the imports and the module's functions (the interpreter
 * follows calls into them), and nothing else. The key is the chain's texts with their places
 * relative to the class, and the functions' places; imports and functions' texts are checked once
 * per module. A hit is the stored analysis moved by how far the class moved.
 */
function classMemo(store: Map<string, unknown>, ctx: Ctx) {
  type Entry = { start: number; impl: NormImpl | undefined };
  type Subs = { start: number; subs: Submodule[] };
  const context = JSON.stringify([...ctx.imports]) + [...ctx.functions.values()].map((f) => textOf(ctx.text, f)).join("\0");
  const previous = store.get("classes") as { context: string; entries: Map<string, Entry>; subs: Map<string, Subs> } | undefined;
  const same = previous?.context === context;
  const old = same ? previous.entries : undefined;
  const oldSubs = same ? previous.subs : undefined;
  // Only what this version used is kept, so the store does not grow with every edit.
  const entries = new Map<string, Entry>();
  const subs = new Map<string, Subs>();
  const functions = [...ctx.functions.values()];
  return {
    analyze(c: PyNode, classNodes: Map<string, PyNode>): NormImpl | undefined {
      const chain = localChain(c, ctx, classNodes);
      const key = chain.map((k) => `${k.start - c.start}:${textOf(ctx.text, k)}`).join("\0") + "\0" + functions.map((f) => f.start - c.start).join(",");
      const hit = old?.get(key) ?? entries.get(key);
      if (hit) {
        entries.set(key, hit);
        // Nothing changes an analysis once made, so one that has not moved is shared.
        return hit.impl && { ...(c.start === hit.start ? hit.impl : moved(hit.impl, c.start - hit.start)), node: c };
      }
      const impl = analyzeClass(c, ctx, classNodes);
      // Without its node, so the store keeps no old tree alive.
      entries.set(key, { start: c.start, impl: impl && { ...impl, node: undefined as unknown as PyNode } });
      return impl;
    },
    /** The submodules a class with this text had, moved to where it is now. */
    submodules(c: PyNode): Submodule[] | undefined {
      const key = textOf(ctx.text, c);
      const hit = oldSubs?.get(key) ?? subs.get(key);
      if (!hit) return undefined;
      subs.set(key, hit);
      return c.start === hit.start ? hit.subs : moved(hit.subs, c.start - hit.start);
    },
    keepSubmodules(c: PyNode, found: Submodule[]): void {
      subs.set(textOf(ctx.text, c), { start: c.start, subs: found });
    },
    done() {
      store.set("classes", { context, entries, subs });
    },
  };
}

/** A copy of an analysis with every range moved by `delta` (syntax nodes are not copied). */
function moved<T>(v: T, delta: number): T {
  if (Array.isArray(v)) return v.map((x) => moved(x, delta)) as T;
  if (!v || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  const src = v as Record<string, unknown>;
  for (const k in src) out[k] = k === "node" ? src[k] : moved(src[k], delta);
  if (typeof out.start === "number" && typeof out.end === "number") {
    out.start += delta;
    out.end += delta;
  }
  return out as T;
}

function collectImports(all: readonly PyNode[], text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of all) {
    if (n.type === "import_statement") {
      for (const name of n.children.filter((c) => c.field === "name")) {
        if (name.type === "aliased_import") out.set(textOf(text, field(name, "alias")), textOf(text, field(name, "name")));
        else {
          const full = textOf(text, name);
          const head = full.split(".")[0];
          if (!out.has(head)) out.set(head, head);
          out.set(full, full);
        }
      }
    } else if (n.type === "import_from_statement") {
      const mod = textOf(text, field(n, "module_name"));
      for (const name of n.children.filter((c) => c.field === "name")) {
        if (name.type === "aliased_import") out.set(textOf(text, field(name, "alias")), `${mod}.${textOf(text, field(name, "name"))}`);
        else out.set(textOf(text, name), `${mod}.${textOf(text, name)}`);
      }
    } else if (n.type === "assignment") {
      // mg = importlib.import_module("transformers.models.gemma.modeling_gemma")
      const left = field(n, "left");
      const right = field(n, "right");
      if (left?.type === "identifier" && right?.type === "call" && /(^|\.)import_module$/.test(textOf(text, field(right, "function")))) {
        const arg = namedChildren(field(right, "arguments"))[0];
        const s = arg ? stringValue(arg, text) : undefined;
        if (s) out.set(textOf(text, left), s);
      }
    }
  }
  return out;
}

/** The literal value of a plain string node, or undefined (f-strings and concatenations are not literal). */
export function stringValue(n: PyNode, text: string): string | undefined {
  if (n.type !== "string") return undefined;
  if (n.children.some((c) => c.type === "interpolation")) return undefined;
  const content = n.children.filter((c) => c.type === "string_content");
  return content.map((c) => text.slice(c.start, c.end)).join("");
}

/** The dotted path an expression names, with its first segment resolved through the imports. */
export function resolveDotted(n: PyNode, ctx: Ctx): string | undefined {
  // Built from the right: every call of every collector comes through here.
  let tail = "";
  let cur: PyNode | undefined = n;
  while (cur?.type === "attribute") {
    tail = `.${textOf(ctx.text, field(cur, "attribute"))}${tail}`;
    cur = field(cur, "object");
  }
  if (cur?.type !== "identifier") return undefined;
  const head = textOf(ctx.text, cur);
  const mapped = ctx.imports.get(head) ?? (tail ? DEFAULT_ALIASES[head] : head);
  if (!mapped) return undefined;
  return `${mapped}${tail}`;
}

function resolveFileFamily(path: string, opts: AnalyzeOptions, comments: PyNode[], all: readonly PyNode[], ctx: Ctx): FamilyRef | undefined {
  if (opts.modelType) {
    const f = familyByLooseName(opts.modelType);
    if (f) return { family: f, via: "option" };
  }
  for (const c of comments) {
    const m = /normlint(?:-test)?:\s*model_type\s*=\s*([\w.-]+)/.exec(textOf(ctx.text, c));
    if (!m) continue;
    const f = familyByLooseName(m[1]);
    if (f) return { family: f, via: "comment", at: range(c) };
  }
  if (opts.configModelType) {
    const f = familyByLooseName(opts.configModelType);
    if (f) return { family: f, via: "config-json" };
  }
  const byPath = familyFromPath(path);
  if (byPath) return { family: byPath, via: "file-name" };
  // `from transformers.models.gemma.modeling_gemma import ...`: evidence when one family only is
  // imported (a patch module importing many families' modeling files names none of them).
  const imported = new Set<string>();
  for (const from of ctx.imports.values()) {
    const m = /^transformers\.models\.([a-z0-9_]+)(\.|$)/.exec(from);
    if (m && m[1] !== "auto") imported.add(m[1]);
  }
  if (imported.size === 1) {
    const f = familyByLooseName([...imported][0]);
    if (f) return { family: f, via: "import" };
  }
  for (const n of all) {
    if (n.type !== "assignment") continue;
    const left = field(n, "left");
    if (left?.type !== "identifier" || textOf(ctx.text, left) !== "config_class") continue;
    const f = familyFromConfigClass(textOf(ctx.text, field(n, "right")).split(".").pop() ?? "");
    if (f) return { family: f, via: "config-class", at: range(n) };
  }
  for (const [name, from] of ctx.imports) {
    if (!/Config$/.test(name) || !/configuration_/.test(from)) continue;
    const f = familyFromConfigClass(name);
    if (f) return { family: f, via: "config-class" };
  }
  return undefined;
}

/** Norm bases from torch: the subclass inherits their weight, bias and statistics. */
function torchNormBase(dotted: string | undefined): "layer" | "rms" | undefined {
  if (!dotted) return undefined;
  if (/^torch\.nn\.(modules\.normalization\.)?LayerNorm$|^mlx\.nn\.LayerNorm$/.test(dotted)) return "layer";
  if (/^torch\.nn\.(modules\.normalization\.)?RMSNorm$|^mlx\.nn\.RMSNorm$/.test(dotted)) return "rms";
  return undefined;
}

function initOf(n: PyNode | undefined, ctx: Ctx): NormParam["init"] {
  if (!n) return "other";
  if (n.type === "call") {
    const fn = resolveDotted(field(n, "function")!, ctx) ?? "";
    const name = fn.split(".").pop() ?? "";
    // MLX ports create placeholders the loaded weights replace (mlx-lm's Gemma norm starts at ones
    // and scales by `1 + weight`); their initial value says nothing about the convention.
    if (fn.startsWith("mlx.")) return "none";
    if (/Parameter$/.test(name)) return initOf(namedChildren(field(n, "arguments"))[0], ctx);
    if (/^ones(_like)?$/.test(name)) return "ones";
    if (/^zeros(_like)?$/.test(name)) return "zeros";
    if (name === "full") {
      const v = namedChildren(field(n, "arguments"))[1];
      const num = v ? Number(textOf(ctx.text, v)) : NaN;
      return num === 1 ? "ones" : num === 0 ? "zeros" : "other";
    }
    if (/^(to|float|half|bfloat16|type)$/.test(name) && field(field(n, "function"), "object")) return initOf(field(field(n, "function"), "object"), ctx);
    return "other";
  }
  if (n.type === "parenthesized_expression") return initOf(namedChildren(n)[0], ctx);
  return "other";
}

/** A tensor read from a checkpoint (`weights.get_tensor(...)`, `get_sharded`, `safe_open(...).get_tensor`). */
const LOADED_TENSOR = /\.(get_tensor|get_sharded|get_slice|load_tensor)\(/;

/** The class itself, called from one of its methods (`cls(...)` in a classmethod). */
const OWN_CLASS = /^(cls|self\.__class__|type\(self\))$/;

/**
 * What a model's `_init_weights` does to a norm class of the file: `elif isinstance(module, XNorm):
 * init.zeros_(module.weight)` (VideoPrism's offset LayerNorm) decides the weight's start over the
 * `nn.Parameter(torch.ones(...))` or the torch parent's ones, since from_pretrained and training from
 * scratch both run it.
 */
function applyInitWeights(classes: PyNode[], ctx: Ctx, norms: NormImpl[]): void {
  const byName = new Map(norms.map((n) => [n.name, n]));
  for (const c of classes) {
    const fn = findMethod(c, "_init_weights", ctx.text);
    if (!fn) continue;
    const module = textOf(ctx.text, namedChildren(field(fn, "parameters"))[1]);
    if (!module) continue;
    for (const n of walk(fn)) {
      if (n.type !== "if_statement" && n.type !== "elif_clause") continue;
      const cond = field(n, "condition");
      const m = cond && /^isinstance\(\s*(\w+)\s*,\s*\(?([\w.,\s]+?)\)?\s*\)$/.exec(textOf(ctx.text, cond));
      if (!m || m[1] !== module) continue;
      const targets = m[2].split(",").map((x) => x.trim().split(".").pop()!).filter((x) => byName.has(x));
      if (!targets.length) continue;
      for (const call of walk(field(n, "consequence")!)) {
        if (call.type !== "call") continue;
        const callee = textOf(ctx.text, field(call, "function"));
        const args = namedChildren(field(call, "arguments"));
        let param: string | undefined;
        let value: NormParam["init"] | undefined;
        const viaInit = /(?:^|\.)(zeros_|ones_|constant_)$/.exec(callee);
        if (viaInit) {
          param = new RegExp(`^${module}\\.(\\w+)(?:\\.data)?$`).exec(textOf(ctx.text, args[0]))?.[1];
          const v = viaInit[1] === "constant_" ? Number(textOf(ctx.text, args[1])) : undefined;
          value = viaInit[1] === "zeros_" || v === 0 ? "zeros" : viaInit[1] === "ones_" || v === 1 ? "ones" : undefined;
        } else {
          const d = new RegExp(`^${module}\\.(\\w+)(?:\\.data)?\\.(zero_|fill_)$`).exec(callee);
          param = d?.[1];
          const v = d?.[2] === "fill_" ? Number(textOf(ctx.text, args[0])) : d ? 0 : undefined;
          value = v === 0 ? "zeros" : v === 1 ? "ones" : undefined;
        }
        if (!param || !value) continue;
        for (const t of targets) {
          const p = byName.get(t)!.params.find((x) => x.name === param);
          if (p) Object.assign(p, { init: value, reinit: range(call) });
        }
      }
    }
  }
}

function isParameterCall(n: PyNode | undefined, ctx: Ctx): boolean {
  if (n?.type === "conditional_expression") return isParameterCall(namedChildren(n)[0], ctx);
  if (n?.type !== "call") return false;
  const fn = resolveDotted(field(n, "function")!, ctx) ?? textOf(ctx.text, field(n, "function"));
  // An MLX module's parameters are the arrays it holds (`self.weight = mx.ones((dims,))`).
  return /(^|\.)Parameter$/.test(fn) || /^mlx\.core\.(ones|zeros|full|array)$/.test(fn);
}

function moduleKind(n: PyNode | undefined, ctx: Ctx): ModV | undefined {
  if (n?.type !== "call") return undefined;
  const base = torchNormBase(resolveDotted(field(n, "function")!, ctx));
  if (!base) return undefined;
  const args = namedChildren(field(n, "arguments"));
  const affineKw = args.find((a) => a.type === "keyword_argument" && textOf(ctx.text, field(a, "name")) === "elementwise_affine");
  const affine = affineKw ? textOf(ctx.text, field(affineKw, "value")) !== "False" : true;
  return { t: "mod", kind: base, affine };
}

/** A literal eps or the config attribute it reads. */
export function epsFromExpr(n: PyNode | undefined, ctx: Ctx, epsParams?: Map<string, EpsSource>): EpsSource {
  if (!n) return { kind: "unknown" };
  const t = textOf(ctx.text, n);
  if (n.type === "float" || n.type === "integer") return { kind: "literal", value: Number(t.replace(/_/g, "")), range: range(n) };
  if (n.type === "unary_operator") return { kind: "unknown", range: range(n) };
  if (n.type === "identifier" && epsParams?.has(t)) return { ...epsParams.get(t)!, range: range(n) };
  if (n.type === "identifier") return { kind: "param", range: range(n) };
  const m = /(?:^|\.)(?:config|text_config|vision_config|audio_config)\.(\w+)$/.exec(t) ?? /^\w*config\w*\.(\w+)$/i.exec(t);
  if (n.type === "attribute" && m) return { kind: "config", key: m[1], range: range(n) };
  if (n.type === "call" && /^getattr\(/.test(t)) {
    const args = namedChildren(field(n, "arguments"));
    const key = args[1] ? stringValue(args[1], ctx.text) : undefined;
    if (key) return { kind: "config", key, range: range(n) };
  }
  if (n.type === "attribute" && /^self\./.test(t)) return { kind: "attr", range: range(n) };
  return { kind: "unknown", range: range(n) };
}

function basesOf(c: PyNode, ctx: Ctx): string[] {
  return namedChildren(field(c, "superclasses")).filter((b) => b.type !== "keyword_argument").map((b) => resolveDotted(b, ctx) ?? textOf(ctx.text, b));
}

/** The class and its local ancestors (first local base each time), nearest first. */
function localChain(c: PyNode, ctx: Ctx, classNodes: Map<string, PyNode>): PyNode[] {
  const chain = [c];
  for (let cur = c; chain.length < 6; ) {
    const next = basesOf(cur, ctx).map((b) => classNodes.get(b)).find((n) => n !== undefined && !chain.includes(n));
    if (!next) break;
    chain.push(next);
    cur = next;
  }
  return chain;
}

function analyzeClass(c: PyNode, ctx: Ctx, classNodes: Map<string, PyNode>): NormImpl | undefined {
  const { text } = ctx;
  const nameNode = field(c, "name");
  if (!nameNode) return undefined;
  const name = textOf(text, nameNode);
  const bases = basesOf(c, ctx);
  // Methods, __init__s and torch bases are inherited from classes defined in the same module.
  const chain = localChain(c, ctx, classNodes);
  const torchBase = chain.flatMap((k) => basesOf(k, ctx)).map((b) => torchNormBase(b)).find((b) => b !== undefined);
  const body = field(c, "body");
  const methods = new Map<string, PyNode>();
  const staticMethods = new Set<string>();
  for (const k of [...chain].reverse()) {
    for (const st of namedChildren(field(k, "body"))) {
      const def = st.type === "decorated_definition" ? field(st, "definition") : st;
      if (def?.type !== "function_definition") continue;
      const mname = textOf(text, field(def, "name"));
      methods.set(mname, def);
      if (st.type === "decorated_definition" && namedChildren(st).some((d) => d.type === "decorator" && /^@\s*staticmethod\b/.test(textOf(text, d)))) staticMethods.add(mname);
      else staticMethods.delete(mname);
    }
  }
  const inits = [...chain].reverse().map((k) => findMethod(k, "__init__", text)).filter((n): n is PyNode => n !== undefined);
  const looksNorm = NORM_NAME.test(name) || !!torchBase;
  // The reference computation: `forward`; a custom op's `forward_native` (vLLM, SGLang: the other
  // `forward_cuda`/`forward_hip` paths call kernels); an MLX module's `__call__`.
  const forward = methods.get("forward") ?? methods.get("forward_native") ?? methods.get("__call__");
  if (!looksNorm && !forward) return undefined;

  const params: NormParam[] = [];
  const epsAttrs = new Map<string, EpsSource>();
  const offsetAttrs = new Set<string>();
  const submodules = new Map<string, ModV>();
  let epsParam: NormImpl["epsParam"];
  let epsInInit: EpsSource | undefined;
  let torchAffine = true;
  let torchBias = true;
  // Ancestors first, so what the class's own __init__ sets wins.
  for (const init of inits) {
    const epsParams = new Map<string, EpsSource>();
    let ownEps: NormImpl["epsParam"];
    for (const p of namedChildren(field(init, "parameters"))) {
      const pn = paramName(p, text);
      if (!pn || !EPS_NAME.test(pn)) continue;
      const def = field(p, "value");
      const src: EpsSource = def ? epsFromExpr(def, ctx) : { kind: "param" };
      const dflt: EpsSource = src.kind === "literal" ? { ...src, kind: "default" } : src;
      epsParams.set(pn, dflt);
      ownEps ??= { name: pn, default: def ? dflt : undefined };
    }
    if (ownEps) epsParam = ownEps;
    for (const n of walk(field(init, "body")!)) {
      if (n.type === "assignment") {
        const left = field(n, "left");
        const right = field(n, "right");
        if (!left || !right) continue;
        const targets = left.type === "pattern_list" || left.type === "tuple_pattern" ? namedChildren(left) : [left];
        const values = right.type === "expression_list" || right.type === "tuple" ? namedChildren(right) : [right];
        targets.forEach((t, i) => {
          const v = targets.length === values.length ? values[i] : targets.length === 1 ? right : undefined;
          if (t.type !== "attribute" || textOf(text, field(t, "object")) !== "self" || !v) return;
          const attrNode = field(t, "attribute")!;
          const attr = textOf(text, attrNode);
          if (isParameterCall(v, ctx)) {
            const call = v.type === "conditional_expression" ? namedChildren(v)[0] : v;
            if (!params.some((p) => p.name === attr)) {
              const conditional = v.type === "conditional_expression" || underCondition(n, init);
              params.push({ name: attr, storage: "parameter", init: initOf(call, ctx), range: range(n), nameRange: range(attrNode), ...(conditional ? { conditional } : {}) });
            }
            return;
          }
          const mod = moduleKind(v, ctx);
          if (mod) {
            submodules.set(attr, mod);
            return;
          }
          if (EPS_NAME.test(attr)) {
            const src = epsFromExpr(v, ctx, epsParams);
            epsAttrs.set(attr, src);
            if (src.kind === "literal") epsInInit = src;
            return;
          }
          if (/offset/i.test(attr)) offsetAttrs.add(attr);
        });
      } else if (n.type === "call") {
        const fn = textOf(text, field(n, "function"));
        const args = namedChildren(field(n, "arguments"));
        if (/^self\.register_(buffer|parameter)$/.test(fn) && args[0]) {
          const pn = stringValue(args[0], text);
          const val = args[1];
          if (!pn || !val || textOf(text, val) === "None") continue;
          if (!params.some((p) => p.name === pn)) {
            const conditional = val.type === "conditional_expression" || underCondition(n, init);
            params.push({ name: pn, storage: fn.endsWith("buffer") ? "buffer" : "parameter", init: initOf(val, ctx), range: range(n), nameRange: range(args[0]), ...(conditional ? { conditional } : {}) });
          }
        } else if (torchBase && /^super\(.*\)\.__init__$/.test(fn)) {
          // nn.LayerNorm(normalized_shape, eps, elementwise_affine, bias, ...)
          const pos = args.filter((a) => a.type !== "keyword_argument");
          const kw = (k: string) => args.find((a) => a.type === "keyword_argument" && textOf(text, field(a, "name")) === k);
          const epsNode = field(kw("eps"), "value") ?? pos[1];
          if (epsNode) {
            const src = epsFromExpr(epsNode, ctx, epsParams);
            epsAttrs.set("eps", src);
          }
          const aff = field(kw("elementwise_affine"), "value") ?? pos[2];
          if (aff && textOf(text, aff) === "False") torchAffine = false;
          const b = field(kw("bias"), "value") ?? (torchBase === "layer" ? pos[3] : undefined);
          if (b && textOf(text, b) === "False") torchBias = false;
        }
      }
    }
  }
  // Weights created or loaded outside __init__: a `load()`/`from_weights` classmethod building the
  // class (`norm = cls(...)`, `norm.weight = nn.Parameter(weights.get_tensor(...))`) or a method
  // setting `self.weight` (text-generation-inference, exllama, custom loaders).
  const forwardReadsWeight = !!forward && /\bself\.weight\b/.test(textOf(text, forward));
  for (const [mname, def] of methods) {
    if (mname === "__init__" || mname === "forward") continue;
    const owners = new Set(["self"]);
    const loaded = new Map<string, Range>();
    for (const n of walk(field(def, "body")!)) {
      // `weight = weights.get_tensor(f"{prefix}.weight") + 1; return cls(weight, eps)`: the loaded
      // tensor goes through a constructor this file may not hold (text-generation-inference's
      // `GemmaFastRMSNorm(FastRMSNorm).load`, whose base sets `self.weight` in layers/layernorm.py).
      if (n.type === "call" && OWN_CLASS.test(textOf(text, field(n, "function"))) && forwardReadsWeight && !params.some((p) => p.name === "weight")) {
        const args = namedChildren(field(n, "arguments"));
        const arg = args.find((a) => a.type === "keyword_argument" && textOf(text, field(a, "name")) === "weight") ?? args[0];
        const value = arg?.type === "keyword_argument" ? field(arg, "value") : arg;
        const from = value?.type === "identifier" ? loaded.get(textOf(text, value)) : value && LOADED_TENSOR.test(textOf(text, value)) ? range(value) : undefined;
        // `range` is where the tensor is read (the assignment), `nameRange` where it is handed over.
        if (value && from) params.push({ name: "weight", storage: "parameter", init: "none", range: from, nameRange: range(value), loaded: true });
      }
      if (n.type !== "assignment") continue;
      const left = field(n, "left");
      const right = field(n, "right");
      if (!left || !right) continue;
      const fromTensor = LOADED_TENSOR.test(textOf(text, right));
      if (left.type === "identifier" && fromTensor) loaded.set(textOf(text, left), range(n));
      if (left.type === "identifier" && right.type === "call" && OWN_CLASS.test(textOf(text, field(right, "function")))) owners.add(textOf(text, left));
      if (left.type !== "attribute" || !owners.has(textOf(text, field(left, "object")))) continue;
      const attrNode = field(left, "attribute")!;
      const attr = textOf(text, attrNode);
      if (params.some((p) => p.name === attr) || !(fromTensor || isParameterCall(right, ctx))) continue;
      params.push({ name: attr, storage: "parameter", init: initOf(right, ctx), range: range(n), nameRange: range(attrNode), ...(fromTensor ? { loaded: true } : {}) });
    }
  }
  if (torchBase) {
    if (!epsAttrs.has("eps")) epsAttrs.set("eps", { kind: "default", value: torchBase === "layer" ? 1e-5 : undefined });
    if (torchAffine && !params.some((p) => p.name === "weight")) params.push({ name: "weight", storage: "inherited", init: "ones", range: range(nameNode), nameRange: range(nameNode) });
    if (torchAffine && torchBias && torchBase === "layer" && !params.some((p) => p.name === "bias")) params.push({ name: "bias", storage: "inherited", init: "zeros", range: range(nameNode), nameRange: range(nameNode) });
  }

  // An op implementation (lmdeploy's `DefaultRMSNormImpl.forward(self, x, weight, residual)`) is
  // handed the module's weight: with no weight of its own, the `weight` argument is its scale.
  const weightArg = !!forward && !params.some((p) => p.name === "weight") && namedChildren(field(forward, "parameters")).some((p) => paramName(p, text) === "weight");
  const env: ClassEnv = {
    text,
    params: new Set(params.map((p) => p.name)),
    epsAttrs,
    offsetAttrs,
    submodules,
    methods,
    staticMethods,
    torchBase: torchBase ? { kind: torchBase, affine: torchAffine } : undefined,
    weightArgs: weightArg ? new Set(["weight"]) : undefined,
    functions: ctx.functions,
    resolve: (n) => resolveDotted(n, ctx),
  };
  let compute: NormImpl["compute"];
  if (forward) {
    const it = new Interpreter(env);
    const out = it.runFunction(forward);
    // A block that calls its own `self.norm` submodule (BertOutput) is not itself a norm.
    if (out.t === "tensor" && out.norm && (out.norm.via !== "submodule" || NORM_NAME.test(name))) {
      const norm = out.norm;
      compute = {
        kind: norm.kind,
        via: norm.via,
        centering: norm.centering,
        stats: norm.stats,
        statsDtype: norm.statsDtype,
        statsBase: norm.statsBase,
        rsqrt: norm.rsqrt,
        upcast: norm.statsUpcast ?? it.upcasts[0],
        castBack: out.castBack ?? it.castBacks[it.castBacks.length - 1],
        scale: out.scale,
        bias: out.bias,
        eps: norm.eps,
        gated: out.gated,
      };
    }
  } else if (torchBase) {
    compute = { kind: torchBase, via: "parent", stats: range(nameNode), statsDtype: "unknown", eps: epsAttrs.get("eps") };
  }
  if (!compute && !(looksNorm && params.length)) return undefined;
  const loadOffset = findLoadOffset(methods, text);
  const kernelPaths = findKernelPaths(methods, forward, params, text);
  const loadHook = methods.has("_load_from_state_dict") || walk(body!).some((n) => n.type === "call" && /register_load_state_dict_(pre_|post_)?hook$/.test(textOf(text, field(n, "function"))));
  const opImpl = weightArg && compute?.scale?.param === "weight" ? { opImpl: true as const } : {};
  return { name, nameRange: range(nameNode), range: range(c), bases, torchBase, params, epsParam, epsInInit, compute, loadHook, ...(loadOffset ? { loadOffset } : {}), ...(kernelPaths.length ? { kernelPaths } : {}), ...opImpl, node: c };
}

const ONE = /^1(\.0*)?$/;

/** Kernels that compute a norm from a weight argument; Gemma's variants add the 1 themselves. */
const NORM_KERNEL = /(^|[._])(fused_add_)?(gemma_)?(rms_?norm|layer_?norm)\w*$/i;

/** The kernel calls of a custom op's other paths that take the class's weight. */
function findKernelPaths(methods: Map<string, PyNode>, reference: PyNode | undefined, params: NormParam[], text: string): NonNullable<NormImpl["kernelPaths"]> {
  const out: NonNullable<NormImpl["kernelPaths"]> = [];
  const weight = params.find((p) => p.name === "weight" || p.name === "scale" || p.name === "gamma")?.name;
  if (!weight) return out;
  const ref = new RegExp(`^self\\.${weight}(\\.data)?$`);
  for (const [mname, def] of methods) {
    if (def === reference || !/^forward_\w+$/.test(mname) || mname === "forward_static") continue;
    for (const n of walk(field(def, "body")!)) {
      if (n.type !== "call") continue;
      const fn = textOf(text, field(n, "function"));
      if (!NORM_KERNEL.test(fn)) continue;
      for (const a of namedChildren(field(n, "arguments"))) {
        const arg = a.type === "keyword_argument" ? field(a, "value") : a;
        if (!arg) continue;
        const t = textOf(text, arg).replace(/\s+/g, "");
        const plain = ref.test(t);
        const plusOne = new RegExp(`^\\(?(1(\\.0*)?\\+self\\.${weight}(\\.data)?|self\\.${weight}(\\.data)?\\+1(\\.0*)?)\\)?$`).test(t);
        if (!plain && !plusOne) continue;
        out.push({ method: mname, kernel: fn, offset: plusOne || /gemma/i.test(fn), at: range(arg) });
      }
    }
  }
  return out;
}

/**
 * `+ 1` applied to a tensor read from a checkpoint in the class's own load path (a method other
 * than __init__/forward): `weights.get_tensor(p) + 1`, `w = weights.get_tensor(p); w = w + 1`,
 * `w += 1`, `w.add_(1)`.
 */
function findLoadOffset(methods: Map<string, PyNode>, text: string): Range | undefined {
  for (const [mname, def] of methods) {
    if (mname === "__init__" || /^forward/.test(mname) || mname === "__call__") continue;
    const loaded = new Set<string>();
    const isLoaded = (n: PyNode | undefined): boolean => {
      if (!n) return false;
      if (n.type === "identifier") return loaded.has(textOf(text, n));
      if (n.type === "parenthesized_expression") return isLoaded(namedChildren(n)[0]);
      if (n.type === "call" && field(n, "function")?.type === "attribute" && /^(to|float|half|bfloat16|type|contiguous|clone)$/.test(textOf(text, field(field(n, "function"), "attribute")))) return isLoaded(field(field(n, "function"), "object"));
      return n.type === "call" && LOADED_TENSOR.test(textOf(text, n));
    };
    for (const n of walk(field(def, "body")!)) {
      if (n.type === "binary_operator" && textOf(text, field(n, "operator")) === "+") {
        const l = field(n, "left");
        const r = field(n, "right");
        if ((isLoaded(l) && ONE.test(textOf(text, r))) || (isLoaded(r) && ONE.test(textOf(text, l)))) return range(n);
      } else if (n.type === "augmented_assignment" && textOf(text, field(n, "operator")) === "+=" && isLoaded(field(n, "left")) && ONE.test(textOf(text, field(n, "right")))) {
        return range(n);
      } else if (n.type === "call" && field(n, "function")?.type === "attribute" && /^add_?$/.test(textOf(text, field(field(n, "function"), "attribute"))) && isLoaded(field(field(n, "function"), "object"))) {
        const arg = namedChildren(field(n, "arguments"))[0];
        if (arg && ONE.test(textOf(text, arg))) return range(n);
      }
      if (n.type === "assignment" && field(n, "left")?.type === "identifier" && isLoaded(field(n, "right"))) loaded.add(textOf(text, field(n, "left")));
    }
  }
  return undefined;
}

/** Is `n` inside an `if`/`try` (or a conditional expression) below `top`? */
function underCondition(n: PyNode, top: PyNode): boolean {
  for (let p = n.parent; p && p !== top; p = p.parent) if (/^(if_statement|else_clause|elif_clause|try_statement|conditional_expression)$/.test(p.type)) return true;
  return false;
}

function enclosing(n: PyNode, type: string): PyNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === type) return p;
  return undefined;
}

/** `self.input_layernorm = X(...)`, also through nn.ModuleList([...]) and comprehensions. */
function slotOf(call: PyNode, text: string): string | undefined {
  let cur: PyNode = call;
  for (let i = 0; i < 8 && cur.parent; i++) {
    const p: PyNode = cur.parent;
    if (p.type === "assignment") {
      if (cur.field !== "right") return undefined;
      const left = field(p, "left");
      if (left?.type === "attribute") return textOf(text, field(left, "attribute"));
      if (left?.type === "identifier") return textOf(text, left);
      return undefined;
    }
    if (/statement|block|function_definition|class_definition/.test(p.type)) return undefined;
    cur = p;
  }
  return undefined;
}

const TORCH_NORMS: Record<string, { kind: "rms" | "layer"; functional: boolean; epsPos: number; epsDefault?: number; weightPos?: number }> = table({
  "torch.nn.LayerNorm": { kind: "layer", functional: false, epsPos: 1, epsDefault: 1e-5 },
  "torch.nn.RMSNorm": { kind: "rms", functional: false, epsPos: 1 },
  "torch.nn.functional.layer_norm": { kind: "layer", functional: true, epsPos: 4, epsDefault: 1e-5, weightPos: 2 },
  "torch.layer_norm": { kind: "layer", functional: true, epsPos: 4, epsDefault: 1e-5, weightPos: 2 },
  "torch.nn.functional.rms_norm": { kind: "rms", functional: true, epsPos: 3, weightPos: 2 },
  "mlx.nn.LayerNorm": { kind: "layer", functional: false, epsPos: 1, epsDefault: 1e-5 },
  "mlx.nn.RMSNorm": { kind: "rms", functional: false, epsPos: 1, epsDefault: 1e-5 },
  "mlx.core.fast.rms_norm": { kind: "rms", functional: true, epsPos: 2, weightPos: 1 },
  "mlx.core.fast.layer_norm": { kind: "layer", functional: true, epsPos: 3, weightPos: 1 },
  "torch.rms_norm": { kind: "rms", functional: true, epsPos: 3, weightPos: 2 },
});

const TORCH_NORM_NAMES = new Set(Object.keys(TORCH_NORMS).map((k) => k.slice(k.lastIndexOf(".") + 1)));

/** A cheap necessary condition for a call to be a torch norm or a local norm class (most calls are neither). */
function mayBuildNorm(fn: PyNode, ctx: Ctx, local: Map<string, NormImpl>): boolean {
  if (fn.type === "attribute") return TORCH_NORM_NAMES.has(textOf(ctx.text, field(fn, "attribute")));
  if (fn.type !== "identifier") return false;
  const name = textOf(ctx.text, fn);
  if (local.has(name)) return true;
  const dotted = ctx.imports.get(name) ?? name;
  return TORCH_NORM_NAMES.has(dotted.slice(dotted.lastIndexOf(".") + 1));
}

function collectUses(all: readonly PyNode[], ctx: Ctx, norms: NormImpl[], file: FamilyRef | undefined): NormUse[] {
  const { text } = ctx;
  const byName = new Map(norms.map((n) => [n.name, n]));
  const instantiated = new Set<string>();
  for (const n of all) if (n.type === "call" && field(n, "function")?.type === "identifier") instantiated.add(textOf(text, field(n, "function")));
  const uses: NormUse[] = [];
  for (const n of all) {
    if (n.type !== "call") continue;
    const fnNode = field(n, "function")!;
    if (fnNode && !mayBuildNorm(fnNode, ctx, byName)) continue;
    const dotted = resolveDotted(fnNode, ctx);
    const torch = dotted ? TORCH_NORMS[dotted.replace(/^torch\.nn\.modules\.normalization\./, "torch.nn.")] : undefined;
    const local = fnNode.type === "identifier" ? byName.get(textOf(text, fnNode)) : undefined;
    if (!torch && !local) continue;
    const args = namedChildren(field(n, "arguments"));
    if (args.some((a) => a.type === "list_splat" || a.type === "dictionary_splat")) continue;
    const pos = args.filter((a) => a.type !== "keyword_argument");
    const kw = (k: string) => field(args.find((a) => a.type === "keyword_argument" && textOf(text, field(a, "name")) === k), "value");
    const cls = enclosing(n, "class_definition");
    const owner = cls ? textOf(text, field(cls, "name")) : undefined;
    const ownerImpl = owner ? byName.get(owner) : undefined;
    const slot = slotOf(n, text);
    let eps: EpsSource;
    let affine = true;
    let kind: NormUse["kind"];
    if (torch) {
      kind = torch.kind;
      const e = kw("eps") ?? pos[torch.epsPos];
      eps = e ? epsFromExpr(e, ctx) : torch.epsDefault !== undefined ? { kind: "default", value: torch.epsDefault, range: range(fnNode) } : { kind: "default", range: range(fnNode) };
      if (!torch.functional) {
        const aff = kw("elementwise_affine") ?? pos[2];
        if (aff && textOf(text, aff) === "False") affine = false;
      } else {
        const w = kw("weight") ?? pos[torch.weightPos ?? 2];
        if (!w || textOf(text, w) === "None") affine = false;
      }
    } else {
      const impl = local!;
      kind = impl.compute?.kind === "rms" || impl.compute?.kind === "layer" ? impl.compute.kind : impl.torchBase ?? "other";
      const initParams = namedChildren(field(findMethod(impl.node, "__init__", text), "parameters")).slice(1);
      const epsName = impl.epsParam?.name;
      const epsIndex = epsName ? initParams.findIndex((p) => paramName(p, text) === epsName) : -1;
      const e = epsName ? (kw(epsName) ?? (epsIndex >= 0 ? pos[epsIndex] : undefined)) : undefined;
      eps = e ? epsFromExpr(e, ctx) : impl.epsParam?.default ? { ...impl.epsParam.default, range: range(fnNode) } : impl.epsInInit ?? { kind: "unknown" };
    }
    const use: NormUse = {
      callee: dotted ?? textOf(text, fnNode),
      origin: torch ? "torch" : "local",
      kind,
      functional: torch?.functional ?? false,
      range: range(n),
      calleeRange: range(fnNode),
      slot,
      owner,
      eps,
      affine,
      insideNorm: !!ownerImpl && (!!ownerImpl.compute || !!torch?.functional),
    };
    const ref = familyForClass(owner, file);
    // Knowledge-base records list what a model builds; a class nothing instantiates is dead code.
    const reachable = !owner || instantiated.has(owner);
    if (ref) Object.assign(use, useFacts(use, ref, local, reachable));
    uses.push(use);
  }
  return uses;
}

/**
 * A norm class with no family of its own (a generic `RMSNorm`) is checked as the norm of the model
 * that builds it: when every class building it outside norm classes belongs to one family
 * (`GemmaDecoderLayer`, `GemmaModel`), it is held to that family's convention, and the message says
 * which class settled it. Builders of several families, or any builder with none, leave it unjudged.
 */
function adoptBuilders(norms: NormImpl[], uses: NormUse[], file: FamilyRef | undefined): void {
  for (const impl of norms) {
    if (impl.facts) continue;
    const builders = uses.filter((u) => u.origin === "local" && u.callee === impl.name && !u.insideNorm);
    if (!builders.length || builders.some((u) => !u.owner)) continue;
    const refs = builders.map((u) => familyForClass(u.owner, file));
    const first = refs[0];
    if (!first || refs.some((r) => r?.family.modelType !== first.family.modelType)) continue;
    const kind = impl.compute && impl.compute.kind !== "l2" ? impl.compute.kind : impl.torchBase;
    const facts = factsFor({ family: first.family, via: "built-by" }, undefined, kind, impl.compute?.gated || /Gated/.test(impl.name));
    if (!facts) continue;
    impl.facts = { ...facts, builtBy: builders[0].owner };
    for (const u of builders) if (!u.facts || u.factsVia === "local") Object.assign(u, { facts: impl.facts, factsVia: "local" });
  }
}

function findMethod(cls: PyNode, name: string, text: string): PyNode | undefined {
  for (const st of namedChildren(field(cls, "body"))) {
    const def = st.type === "decorated_definition" ? field(st, "definition") : st;
    if (def?.type === "function_definition" && textOf(text, field(def, "name")) === name) return def;
  }
  return undefined;
}

/**
 * Does the class building a norm in `slot` plausibly sit where the knowledge-base class does? A
 * named class must share its model prefix (LlamaDecoderLayer and LlamaRMSNorm, not
 * Llama4VisionEncoderLayer and Llama4TextRMSNorm); a torch norm's path must name the owner
 * (`esm.embeddings.layer_norm` is built by EsmEmbeddings, not by an EsmFold block).
 */
function ownerMatches(owner: string, c: NormClass, slot: string): boolean {
  if (!/^(torch\.)?nn\./.test(c.name)) {
    const prefix = modelPrefix(c.name);
    return !prefix || owner.startsWith(prefix);
  }
  const o = owner.toLowerCase();
  return c.at.some((path) => {
    const parts = path.split(".").filter((p) => p !== "{N}");
    if (parts[parts.length - 1] !== slot) return false;
    const parent = (parts[parts.length - 2] ?? "").toLowerCase().replace(/_/g, "").replace(/s$/, "");
    return parent.length < 3 || o.includes(parent);
  });
}

/** "Llama4Text" from Llama4TextRMSNorm: the part of a norm class name that names its model. */
function modelPrefix(cls: string): string {
  return cls.replace(/(RMSNorm|LayerNorm|GroupNorm|Norm)\w*$/, "");
}

/**
 * The facts a norm built in place is held to, and how sure that is. A slot (`input_layernorm`)
 * names one knowledge-base class; the match is trusted when the owner class belongs to the same
 * model as that class (LlamaDecoderLayer and LlamaRMSNorm), so a vision tower's `input_layernorm`
 * inside a composite model's file is not held to the text model's norm.
 */
function useFacts(use: NormUse, ref: FamilyRef, local: NormImpl | undefined, reachable: boolean): Pick<NormUse, "facts" | "factsVia"> {
  const f = ref.family;
  if (use.slot) {
    const c = classForSlot(f, use.slot);
    const explicit = ref.via === "option" || ref.via === "comment";
    const trusted = !!c && (explicit || !use.owner || ownerMatches(use.owner, c, use.slot));
    if (c && trusted) return { facts: factsFromClass(f, ref.via, c), factsVia: "slot" };
    if (c) return {};
  }
  if (local) return { facts: local.facts, factsVia: "local" };
  if (use.kind === "other") return {};
  const torchEntry = (f.classes ?? []).find((c) => /^(torch\.)?nn\.(LayerNorm|RMSNorm)/.test(c.name) && (c.kind === use.kind || (use.kind === "rms" && c.kind === "rms-gated")));
  if (torchEntry) return { facts: factsFromClass(f, ref.via, torchEntry), factsVia: "torch-entry" };
  // A family with no norm of this kind anywhere: only a single-model family is sure of that
  // (a composite model's sub-models may be missing from the knowledge base).
  const composite = Object.keys(f.sub ?? {}).length > 0;
  if (!familyHasKind(f, use.kind) && (!composite || ref.via === "option" || ref.via === "comment") && reachable) return { facts: factsFromFamily(f, ref.via), factsVia: "family" };
  return {};
}

function collectPatches(all: readonly PyNode[], ctx: Ctx, norms: NormImpl[]): NormPatch[] {
  const { text } = ctx;
  const out: NormPatch[] = [];
  const add = (modulePath: string, target: string, targetNode: PyNode, valueNode: PyNode) => {
    const m = /(?:^|\.)modeling_([A-Za-z0-9_]+)$/.exec(modulePath);
    // `modeling_qwen2_vl.LayerNorm`: torch's class imported under its bare name, not a family's norm.
    if (!m || !/^[A-Z]/.test(target) || /^(LayerNorm|RMSNorm|GroupNorm)$/.test(target)) return;
    const fam = familyByLooseName(m[1]);
    out.push({ module: modulePath, modelType: m[1], family: fam, target, targetRange: range(targetNode), value: range(valueNode), impl: implOf(valueNode, ctx, norms), valueNode });
  };
  // `GemmaRMSNorm.forward = fn`, `setattr(GemmaRMSNorm, "forward", fn)`, and per instance
  // `if isinstance(m, GemmaRMSNorm): m.forward = types.MethodType(fn, m)`: a free function installed
  // as a norm's forward is analysed as that forward.
  const addForward = (classPath: string | undefined, targetNode: PyNode, valueNode: PyNode) => {
    const m = classPath ? /^(.*)\.([A-Z]\w*)$/.exec(classPath) : null;
    if (!m) return;
    const before = out.length;
    add(m[1], m[2], targetNode, valueNode);
    if (out.length > before) out[out.length - 1].impl = forwardImpl(valueNode, ctx) ?? out[out.length - 1].impl;
  };
  for (const n of all) {
    if (n.type === "assignment") {
      const left = field(n, "left");
      const right = field(n, "right");
      if (left?.type !== "attribute" || !right || right.type === "assignment") continue;
      const obj = field(left, "object")!;
      const attr = textOf(text, field(left, "attribute"));
      if (attr === "forward") {
        const local = obj.type === "identifier" && !ctx.imports.has(textOf(text, obj));
        addForward(local ? isinstanceGuard(n, textOf(text, obj), ctx) : resolveDotted(obj, ctx), field(left, "attribute")!, right);
        continue;
      }
      const mod = resolveDotted(obj, ctx);
      if (mod) add(mod, attr, field(left, "attribute")!, right);
    } else if (n.type === "call") {
      const fn = textOf(text, field(n, "function"));
      if (!/(^|\.)setattr$/.test(fn)) continue;
      const args = namedChildren(field(n, "arguments")).filter((a) => a.type !== "keyword_argument");
      if (args.length === 3) {
        const mod = resolveDotted(args[0], ctx);
        const name = stringValue(args[1], text);
        if (name === "forward") addForward(mod, args[1], args[2]);
        else if (mod && name) add(mod, name, args[1], args[2]);
      } else if (args.length === 2) {
        // monkeypatch.setattr("transformers.models.gemma.modeling_gemma.GemmaRMSNorm", X)
        const s = stringValue(args[0], text);
        if (s && s.includes(".")) add(s.slice(0, s.lastIndexOf(".")), s.slice(s.lastIndexOf(".") + 1), args[0], args[1]);
      }
    }
  }
  return out;
}

/** The class an `if isinstance(<name>, Cls):` around `n` guarantees, resolved through the imports. */
function isinstanceGuard(n: PyNode, name: string, ctx: Ctx): string | undefined {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === "function_definition") return undefined;
    if (p.type !== "if_statement") continue;
    const cond = field(p, "condition");
    if (cond?.type !== "call" || textOf(ctx.text, field(cond, "function")) !== "isinstance") continue;
    const [obj, cls] = namedChildren(field(cond, "arguments"));
    if (obj && cls && textOf(ctx.text, obj) === name) return resolveDotted(cls, ctx);
  }
  return undefined;
}

/**
 * A function installed as a norm's `forward` (`fn`, `types.MethodType(fn, m)`, `fn.__get__(m)`),
 * interpreted as that forward: `self.weight` is the weight, `self.variance_epsilon`/`self.eps` the eps.
 */
function forwardImpl(v: PyNode, ctx: Ctx): NormPatch["impl"] {
  const { text } = ctx;
  let fnNode: PyNode | undefined = v;
  if (v.type === "call") {
    const callee = resolveDotted(field(v, "function")!, ctx) ?? textOf(text, field(v, "function"));
    if (/(^|\.)MethodType$/.test(callee)) fnNode = namedChildren(field(v, "arguments"))[0];
    else if (/\.__get__$/.test(callee)) fnNode = field(field(v, "function"), "object");
  }
  if (fnNode?.type !== "identifier") return undefined;
  const name = textOf(text, fnNode);
  const def = ctx.functions.get(name);
  if (!def) return undefined;
  const res = interpretAsForward(def, ctx);
  return res && { name, ...res, source: "local" };
}

/**
 * A free function taking the module as `self`, interpreted as its forward: `self.weight` is the
 * weight, `self.variance_epsilon`/`self.eps` the eps. `defaultPath`: as called with every default.
 */
function interpretAsForward(def: PyNode, ctx: Ctx, defaultPath = false): { offset?: boolean; kind: "rms" | "layer" } | undefined {
  const { text } = ctx;
  const eps: EpsSource = { kind: "attr" };
  const env: ClassEnv = {
    text,
    params: new Set(["weight"]),
    epsAttrs: new Map([["variance_epsilon", eps], ["eps", eps], ["epsilon", eps]]),
    offsetAttrs: new Set(),
    submodules: new Map(),
    methods: new Map(),
    functions: ctx.functions,
    resolve: (n) => resolveDotted(n, ctx),
    ...(defaultPath ? { defaultPath } : {}),
  };
  const res = new Interpreter(env).runFunction(def);
  if (res.t !== "tensor" || !res.norm || res.norm.kind === "l2") return undefined;
  return { offset: res.scale ? res.scale.offset : undefined, kind: res.norm.kind };
}

/**
 * Module-level norm functions that take the norm module as their first argument (unsloth's
 * `fast_rms_layernorm_inference(self, X, ...)` in llama.py, called from gemma.py with
 * `self.model.norm`): what they scale by, for the modules that call them (src/engine/project).
 */
function collectNormFunctions(ctx: Ctx): NormFunction[] {
  const out: NormFunction[] = [];
  for (const [name, def] of ctx.functions) {
    if (!/norm|rms/i.test(name)) continue;
    const first = namedChildren(field(def, "parameters"))[0];
    if (!first || paramName(first, ctx.text) !== "self") continue;
    // Called from other modules with the module and the activations only (`fn(self.model.norm, X)`).
    const res = interpretAsForward(def, ctx, true);
    const required = namedChildren(field(def, "parameters")).filter((p) => p.type === "identifier" || p.type === "typed_parameter").length;
    if (res?.offset !== undefined) out.push({ name, offset: res.offset, required, kind: res.kind, at: range(field(def, "name")!) });
  }
  return out;
}

function implOf(v: PyNode, ctx: Ctx, norms: NormImpl[]): NormPatch["impl"] {
  const { text } = ctx;
  let target = v;
  let partialCall: PyNode | undefined;
  if (v.type === "call" && /(^|\.)partial$/.test(resolveDotted(field(v, "function")!, ctx) ?? "")) {
    partialCall = v;
    target = namedChildren(field(v, "arguments"))[0];
    if (!target) return undefined;
  }
  if (target.type !== "identifier" && target.type !== "attribute") return undefined;
  const name = textOf(text, target).split(".").pop()!;
  const local = target.type === "identifier" ? norms.find((n) => n.name === name) : undefined;
  let offset: boolean | undefined;
  let kind: "rms" | "layer" | undefined;
  let source: "local" | "external";
  const ext = EXTERNAL_NORMS[name];
  if (local) {
    source = "local";
    offset = local.compute?.scale ? local.compute.scale.offset : undefined;
    kind = local.compute?.kind === "rms" || local.compute?.kind === "layer" ? local.compute.kind : undefined;
  } else if (ext) {
    source = "external";
    offset = ext.offset !== 0;
    kind = ext.kind;
  } else return undefined;
  let offsetKwarg: Range | undefined;
  if (partialCall) {
    const args = namedChildren(field(partialCall, "arguments"));
    const kwName = ext?.offsetKwarg ?? "offset";
    const kwNode = args.find((a) => a.type === "keyword_argument" && textOf(text, field(a, "name")) === kwName);
    const posNode = ext?.offsetPosition !== undefined ? args.filter((a) => a.type !== "keyword_argument")[ext.offsetPosition + 1] : undefined;
    const valNode = kwNode ? field(kwNode, "value") : posNode;
    if (valNode) {
      const num = Number(textOf(text, valNode));
      offset = Number.isFinite(num) ? num !== 0 : undefined;
      offsetKwarg = range(kwNode ?? valNode);
    }
  }
  return { name, offset, kind, source, offsetKwarg, partial: partialCall };
}

const PARAM_TARGET = /^[A-Za-z_]\w*$/;

/**
 * Calls that read trained weights: torch and numpy/MLX loads, safetensors, the Hub, TensorFlow
 * checkpoints (GPT-2's original release), GGUF readers, and `from_pretrained` of any library.
 */
const CHECKPOINT_READ = /(^|\.)((torch|np|numpy|mx|jnp)\.load|load_file|safe_open|load_safetensors|from_pretrained|hf_hub_download|snapshot_download|load_variable|load_checkpoint|load_weights|load_pretrained|load_tf_weights\w*|GGUFReader|load_model|get_tensor)$/;

function collectLoading(all: readonly PyNode[], ctx: Ctx, norms: NormImpl[]): WeightLoading[] {
  const { text } = ctx;
  const out: WeightLoading[] = [];
  const lastSeg = (s: string) => s.split(/[.\[\]"']/).filter(Boolean).pop() ?? s;
  for (const impl of norms) if (impl.loadHook) out.push({ kind: "hook", range: impl.nameRange, targets: impl.params.map((p) => p.name) });
  for (const n of all) {
    if (n.type === "call") {
      const fnNode = field(n, "function");
      const fn = textOf(text, fnNode);
      const args = namedChildren(field(n, "arguments"));
      if (/\.load_state_dict$/.test(fn)) out.push({ kind: "load_state_dict", range: range(n), targets: [] });
      else if (CHECKPOINT_READ.test(fn)) out.push({ kind: "read", range: range(n), targets: [] });
      else if (/register_load_state_dict_(pre_|post_)?hook$/.test(fn)) out.push({ kind: "hook", range: range(n), targets: [] });
      else if (/\.replace$/.test(fn) && args.length >= 2) {
        const a = stringValue(args[0], text);
        const b = stringValue(args[1], text);
        if (a !== undefined && b !== undefined) out.push({ kind: "rename-call", range: range(n), from: a, to: b, targets: b ? [lastSeg(b)] : [] });
      } else if (/(^|\.)sub$/.test(fn) && args.length >= 3) {
        const b = stringValue(args[1], text);
        if (b !== undefined) out.push({ kind: "rename-call", range: range(n), from: stringValue(args[0], text), to: b, targets: b ? [lastSeg(b.replace(/\\\d/g, ""))] : [] });
      } else if (/\.(copy_|set_)$/.test(fn) && fnNode?.type === "attribute") {
        // model.norm1.scale.copy_(...), model.norm1.scale.data.copy_(...)
        let obj = field(fnNode, "object");
        if (obj?.type === "attribute" && textOf(text, field(obj, "attribute")) === "data") obj = field(obj, "object");
        if (obj?.type === "attribute" && textOf(text, field(obj, "object")) !== "self") out.push({ kind: "assign", range: range(n), targets: [textOf(text, field(obj, "attribute"))] });
      }
    } else if (n.type === "dictionary") {
      for (const pair of namedChildren(n).filter((c) => c.type === "pair")) {
        const k = field(pair, "key");
        const v = field(pair, "value");
        const ks = k ? stringValue(k, text) : undefined;
        const vs = v ? stringValue(v, text) : undefined;
        if (ks !== undefined && vs !== undefined && (ks.includes(".") || vs.includes("."))) out.push({ kind: "rename-map", range: range(pair), from: ks, to: vs, targets: [lastSeg(vs)] });
      }
    } else if (n.type === "assignment") {
      // gpt.trf_blocks[b].norm1.scale = assign(gpt.trf_blocks[b].norm1.scale, params["g"])
      const left = field(n, "left");
      const right = field(n, "right");
      if (left?.type === "subscript" && right) {
        // state_dict[f"blocks.{l}.ln1.w"] = hf.transformer.h[l].ln_1.weight (TransformerLens builds its own keys)
        const key = field(left, "subscript");
        const parts = key?.type === "string" ? key.children.filter((c) => c.type === "string_content").map((c) => textOf(text, c)) : [];
        const last = parts.length ? lastSeg(parts[parts.length - 1]) : "";
        if (parts.join("").includes(".") && PARAM_TARGET.test(last)) out.push({ kind: "assign", range: range(n), targets: [last] });
        continue;
      }
      if (left?.type !== "attribute" || !right) continue;
      const obj = field(left, "object");
      if (!obj || textOf(text, obj) === "self" || obj.type === "identifier" && ctx.imports.has(textOf(text, obj))) continue;
      if (resolveDotted(obj, ctx)?.includes("modeling_")) continue; // a patch, not a load
      const attr = textOf(text, field(left, "attribute"));
      if (!PARAM_TARGET.test(attr) || /^[A-Z]/.test(attr)) continue;
      if (right.type === "call" || right.type === "subscript") out.push({ kind: "assign", range: range(n), targets: [attr] });
    }
  }
  return out;
}

/** A condition's negation as source text, without a double `not` (`not config.x` -> `config.x`). */
function negated(c: string): string {
  const m = /^not\s+([\w.]+)$/.exec(c) ?? /^not\s*\(([^()]*)\)$/.exec(c);
  return m ? m[1] : `not (${c})`;
}

/** A method's local names: the expressions assigned to each, and the classes chosen into one. */
interface Locals {
  values: Map<string, Array<{ node: PyNode; indexed: boolean }>>;
  classes: Map<string, Array<{ callee: string; when?: string }>>;
  /** Local helper functions and the expressions they return. */
  returns: Map<string, PyNode[]>;
  /** Local names bound to torch's skip_init. */
  wrappers: Set<string>;
  /** The classes an expression names, with their conditions; false when it names anything else. */
  named: (n: PyNode | undefined, when: string | undefined, out: Array<{ callee: string; when?: string }>) => boolean;
}

/** Calls that hold modules rather than being one: their module arguments get an index segment. */
const CONTAINERS = /^(ModuleList|Sequential|ModuleDict|OrderedDict|list|tuple|dict)$/;

/** `memo`: a class's submodules depend on its text and the imports alone (see classMemo). */
function collectSubmodules(classes: PyNode[], ctx: Ctx, memo?: ReturnType<typeof classMemo>): Submodule[] {
  const { text } = ctx;
  let out: Submodule[] = [];
  // Classes of this file are modules whatever their case (xLSTM's `xLSTMModel`, `xLSTMBlock`).
  const localClasses = new Set(classes.map((c) => textOf(text, field(c, "name"))));
  const calleeOf = (fn: PyNode) => {
    const dotted = fn.type === "identifier" ? textOf(text, fn) : resolveDotted(fn, ctx);
    // AutoModel.from_config(...) builds an AutoModel as far as the slot is concerned.
    return dotted?.replace(/^torch\.nn\.modules\.\w+\./, "torch.nn.").replace(/\._?from_(config|pretrained)$/, "");
  };
  type Add = (call: PyNode, callee: string, indexed: boolean, when?: string) => void;
  // The constructor calls an expression evaluates to, through containers, lists (and their
  // concatenation), conditionals, local lists (`layers = []; layers.append(Block(...));
  // self.layers = nn.ModuleList(layers)`) and classes chosen into a local name
  // (`decoder_layer = A if config.x else B; [decoder_layer(config) for ...]`).
  const visit = (n: PyNode | undefined, indexed: boolean, add: Add, locals: Locals, depth = 0): void => {
    if (!n || depth > 12) return;
    const next = (c: PyNode | undefined, idx: boolean) => visit(c, idx, add, locals, depth + 1);
    switch (n.type) {
      case "identifier":
        for (const v of locals.values.get(textOf(text, n)) ?? []) next(v.node, v.indexed || indexed);
        return;
      case "call": {
        const fn = field(n, "function")!;
        const name = fn.type === "identifier" ? textOf(text, fn) : undefined;
        const chosen = name ? locals.classes.get(name) : undefined;
        if (chosen) {
          for (const c of chosen) add(n, c.callee, indexed, c.when);
          return;
        }
        // A local helper that returns the module (`def build_layer(i): return GLMBlock(config, i)`).
        const returned = name ? locals.returns.get(name) : undefined;
        if (returned) {
          for (const r of returned) next(r, indexed);
          return;
        }
        const callee = calleeOf(fn);
        // torch.nn.utils.skip_init(Cls, *args), directly or through a local name (ChatGLM's `init_method`).
        if (callee && (/(?:^|\.)skip_init$/.test(callee) || (name && locals.wrappers.has(name)))) {
          const first = namedChildren(field(n, "arguments"))[0];
          const built: Array<{ callee: string; when?: string }> = [];
          if (first && locals.named(first, undefined, built)) for (const c of built) add(n, c.callee, indexed, c.when);
          return;
        }
        const last = callee?.split(".").pop() ?? "";
        if (!callee) return;
        if (CONTAINERS.test(last)) {
          for (const a of namedChildren(field(n, "arguments"))) next(a.type === "keyword_argument" ? field(a, "value") : a, true);
        } else if (/^[A-Z]/.test(last) || localClasses.has(callee)) add(n, callee, indexed);
        return;
      }
      case "binary_operator":
        // `[A(c) for _ in range(n)] + [A(c) for _ in range(m)]` (D-FINE's decoder layers).
        if (textOf(text, field(n, "operator")) !== "+") return;
        next(field(n, "left"), indexed);
        next(field(n, "right"), indexed);
        return;
      case "list":
      case "tuple":
      case "set":
        for (const c of namedChildren(n)) next(c, true);
        return;
      case "list_comprehension":
      case "generator_expression":
        next(field(n, "body"), true);
        return;
      case "dictionary":
        for (const pair of namedChildren(n)) next(field(pair, "value"), true);
        return;
      case "list_splat":
      case "parenthesized_expression":
        next(namedChildren(n)[0], indexed);
        return;
      case "conditional_expression": {
        const parts = namedChildren(n);
        next(parts[0], indexed);
        next(parts[2], indexed);
        return;
      }
    }
  };
  /**
   * What local names hold in a method: `layers = [...]`, `layers.append(X(...))`, `norm = X(...)`,
   * and classes chosen by name (`layer_cls = A if config.x else B`), each with the condition it is chosen under.
   */
  const localLists = (body: PyNode): Locals => {
    const values = new Map<string, Array<{ node: PyNode; indexed: boolean }>>();
    const classes = new Map<string, Array<{ callee: string; when?: string }>>();
    const push = (name: string, node: PyNode | undefined, indexed: boolean) => {
      if (!node) return;
      const list = values.get(name) ?? [];
      list.push({ node, indexed });
      values.set(name, list);
    };
    /** The classes an expression names: `A`, `mod.A`, `A if cond else B` (nested), with their conditions. */
    const named = (n: PyNode | undefined, when: string | undefined, out: Array<{ callee: string; when?: string }>, depth = 0): boolean => {
      if (!n || depth > 6) return false;
      if (n.type === "parenthesized_expression") return named(namedChildren(n)[0], when, out, depth + 1);
      if (n.type === "conditional_expression") {
        const [a, cond, b] = namedChildren(n);
        const c = textOf(text, cond).replace(/\s+/g, " ");
        return named(a, when ?? c, out, depth + 1) && named(b, when ?? negated(c), out, depth + 1);
      }
      if (n.type !== "identifier" && n.type !== "attribute") return false;
      const callee = n.type === "identifier" ? textOf(text, n) : resolveDotted(n, ctx);
      if (!callee || !/^[A-Z]/.test(callee.split(".").pop() ?? "")) return false;
      out.push({ callee: callee.replace(/^torch\.nn\.modules\.\w+\./, "torch.nn."), ...(when ? { when } : {}) });
      return true;
    };
    const returns = new Map<string, PyNode[]>();
    const wrappers = new Set<string>();
    for (const n of walk(body)) {
      if (n.type === "assignment" || n.type === "augmented_assignment") {
        const left = field(n, "left");
        const right = field(n, "right");
        if (left?.type === "identifier" && right && /^(list|list_comprehension|call)$/.test(right.type)) push(textOf(text, left), right, false);
        const chosen: Array<{ callee: string; when?: string }> = [];
        if (n.type === "assignment" && left?.type === "identifier" && named(right, undefined, chosen)) classes.set(textOf(text, left), [...(classes.get(textOf(text, left)) ?? []), ...chosen]);
        if (left?.type === "identifier" && right && /(?:^|\.)skip_init$/.test(textOf(text, right))) wrappers.add(textOf(text, left));
      } else if (n.type === "function_definition") {
        const fname = textOf(text, field(n, "name"));
        for (const r of walk(field(n, "body")!)) {
          const v = r.type === "return_statement" ? namedChildren(r)[0] : undefined;
          if (v) returns.set(fname, [...(returns.get(fname) ?? []), v]);
        }
      } else if (n.type === "call") {
        const m = /^(\w+)\.(append|extend|insert)$/.exec(textOf(text, field(n, "function")));
        if (m && m[1] !== "self") push(m[1], namedChildren(field(n, "arguments")).pop(), true);
      }
    }
    return { values, classes, returns, wrappers, named };
  };
  const all: Submodule[] = [];
  for (const c of classes) {
    if (memo) {
      const known = memo.submodules(c);
      if (known) {
        for (const s of known) all.push(s);
        continue;
      }
    }
    out = [];
    const owner = textOf(text, field(c, "name"));
    for (const st of namedChildren(field(c, "body"))) {
      const def = st.type === "decorated_definition" ? field(st, "definition") : st;
      if (def?.type !== "function_definition") continue;
      const locals = localLists(field(def, "body")!);
      for (const n of walk(field(def, "body")!)) {
        let slot: string | undefined;
        let value: PyNode | undefined;
        let indexed = false;
        if (n.type === "assignment") {
          const left = field(n, "left");
          if (left?.type !== "attribute" || textOf(text, field(left, "object")) !== "self") continue;
          slot = textOf(text, field(left, "attribute"));
          value = field(n, "right");
        } else if (n.type === "call") {
          // self.layers.append(Block(...)), self.layers.extend([...])
          const fn = field(n, "function");
          const m = fn ? /^self\.(\w+)\.(append|extend|add_module)$/.exec(textOf(text, fn)) : null;
          if (!m) continue;
          slot = m[1];
          const args = namedChildren(field(n, "arguments"));
          value = m[2] === "add_module" ? args[1] : args[0];
          indexed = true;
        } else continue;
        visit(value, indexed, (call, callee, idx, when) => out.push({ owner, slot: slot!, callee, range: range(call), indexed: idx, ...(when ? { when } : {}) }), locals);
      }
    }
    memo?.keepSubmodules(c, out);
    for (const s of out) all.push(s);
  }
  return all;
}

function collectSuppressions(comments: PyNode[], text: string): Suppression[] {
  const out: Suppression[] = [];
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (off: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  for (const c of comments) {
    const body = text.slice(c.start, c.end);
    const re = /normlint:\s*(ignore|file-ignore)\[([^\]]*)\](?:\s*--\s*([^#]*))?/g;
    for (const m of body.matchAll(re)) {
      const line = lineOf(c.start);
      const lineStart = lineStarts[line - 1];
      const standalone = text.slice(lineStart, c.start).trim() === "";
      let target = line;
      if (standalone && m[1] === "ignore") target = nextCodeLine(text, lineStarts, line);
      const listStart = c.start + m.index! + m[0].indexOf("[") + 1;
      const selectors: string[] = [];
      const selectorRanges: Range[] = [];
      let off = listStart;
      for (const part of m[2].split(",")) {
        const lead = part.length - part.trimStart().length;
        const s = part.trim();
        if (s) {
          selectors.push(s);
          selectorRanges.push({ start: off + lead, end: off + lead + s.length });
        }
        off += part.length + 1;
      }
      out.push({
        kind: m[1] as Suppression["kind"],
        selectors,
        selectorRanges,
        reason: m[3]?.trim() || undefined,
        comment: range(c),
        directive: { start: c.start + m.index!, end: c.start + m.index! + m[0].length },
        line: target,
        standalone,
      });
    }
  }
  return out;
}

/** The first line after `line` that holds code (not blank, not only a comment). */
function nextCodeLine(text: string, lineStarts: number[], line: number): number {
  for (let l = line + 1; l <= lineStarts.length; l++) {
    const s = text.slice(lineStarts[l - 1], lineStarts[l] ?? text.length).trim();
    if (s && !s.startsWith("#")) return l;
  }
  return line;
}
