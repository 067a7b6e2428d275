// Norms analysed where defined and checked where built. A generic norm class (`RMSNorm` in
// `layers.py`, no family of its own) imported and built by a model class of a known family
// (`GemmaDecoderLayer` in `gemma.py`) is held to that family's convention at the construction site:
// the defining module contributes a digest of what the class computes, the building module the
// sites where it builds it, and the project pass compares the two (NL201, NL202, NL204). A class
// defined and built in the same module is judged by the module analysis itself (`built-by` facts).
import { factsFor, familyForClass } from "../analysis/family";
import type { FamilyVia, ModuleAnalysis, NormFacts } from "../analysis/types";
import { family as familyOf } from "../knowledge/index";
import { RULES } from "../registry";
import { format } from "../rule";
import { selectorMatches } from "../settings";
import type { Finding, Severity } from "../types";
import type { LineIndex } from "../util/text";

/** What a norm class computes, as plain data (it crosses worker threads). */
export interface NormDigest {
  name: string;
  line: number;
  kind: "rms" | "layer" | "other";
  /** Scales by `1 + weight` (true), by `weight` (false); absent when it has no scale the analysis saw. */
  offset?: boolean;
  gated: boolean;
  /** The class has a family of its own (its name, a comment, the file): it is judged where defined. */
  judged: boolean;
  /**
   * An op implementation, scaling by a `weight` argument (lmdeploy's `DefaultRMSNormImpl`): its
   * direct bases (`RMSNormImpl`, which names the op), where it scales (the `1 +` when it adds one)
   * and whether it casts back to the input dtype before scaling.
   */
  op?: { bases: string[]; start: number; end: number; line: number; castFirst: boolean };
  /**
   * The ops the class hands `self.weight` to (`self.impl.forward(x, self.weight, residual)` with
   * `self.impl = builder.build(...)` and `get_layer_impl_builder(OpType.RMSNorm)`): the op names.
   */
  delegates?: string[];
}

/** A construction of an imported class inside a model class of a known family. */
export interface NormBuild {
  /** The name as written, and the module it is imported from (`.layers`, `pkg.layers`). */
  callee: string;
  module: string;
  /** The class name in its module (differs from `callee` under `import ... as`). */
  name: string;
  owner: string;
  slot: string;
  start: number;
  end: number;
  line: number;
  modelType: string;
  via: FamilyVia;
}

/** A model class's weight loader (`load_weights`), as plain data. */
export interface LoaderDigest {
  owner: string;
  fn: string;
  modelType: string;
  line: number;
  /** The branch that picks out the norm weights (`for weight_name in norm_layers:`), where a shift belongs. */
  pick?: { start: number; end: number; line: number };
  /** The shift of norm weights inside it (`loaded_weight += 1`). */
  shift?: { line: number; delta: number };
}

/** A module-level norm function another module may call (`fast_rms_layernorm_inference` in llama.py). */
export interface FunctionDigest {
  name: string;
  /** With every default; `required`: the parameters without one. */
  offset: boolean;
  required: number;
  line: number;
}

/**
 * A call of a norm function defined elsewhere on one of the module's own norms
 * (`fast_rms_layernorm_inference(self.model.norm, X)` in unsloth's gemma.py): the norm slot, and
 * the module's family when that slot's class scales by `1 + weight`.
 */
export interface NormCallDigest {
  callee: string;
  /** The module it is imported from (`.llama`), or the modules `*`-imported when it is not named. */
  from: string[];
  arg: string;
  slot: string;
  modelType: string;
  start: number;
  end: number;
  line: number;
  argc: number;
  keywords: boolean;
}

/** One step of a chain's verdict, before it becomes a finding of its file. */
export interface ChainVerdict {
  path: string;
  rule: "offset-fold-missing" | "norm-unexpected-unit-offset" | "norm-cast-order-mismatch" | "norm-missing-unit-offset";
  messageId: string;
  start: number;
  end: number;
  line: number;
  data: Record<string, string>;
}

/** A suppression comment, as plain data, so findings made by the project pass honour it. */
export interface SuppressionDigest {
  kind: "ignore" | "file-ignore";
  line: number;
  selectors: string[];
  start: number;
  end: number;
}

export function digestNorms(m: ModuleAnalysis, lines: LineIndex): NormDigest[] {
  return m.norms.map((n) => {
    const kind = n.compute && n.compute.kind !== "l2" ? n.compute.kind : (n.torchBase ?? "other");
    const s = n.compute?.scale;
    const d: NormDigest = { name: n.name, line: lines.position(n.nameRange.start).line, kind, offset: s && !s.implicit ? s.offset : undefined, gated: !!n.compute?.gated || /Gated/.test(n.name), judged: !!n.facts };
    if (n.opImpl && s && !s.implicit) {
      const at = s.offsetExpr ?? s.expr;
      d.op = { bases: n.bases.map((b) => b.split(".").pop()!), start: at.start, end: at.end, line: lines.position(at.start).line, castFirst: s.afterCastBack || s.activationDtype === "input" };
    }
    const ops = s ? undefined : delegatedOps(m.text.slice(n.range.start, n.range.end), n.name);
    if (ops) d.delegates = ops;
    return d;
  });
}

/**
 * The ops a norm class hands its weight to: a forward calling `self.<impl>(..., self.weight, ...)`
 * (or `.forward(`), an `__init__` setting `self.<impl> = <builder>.build(...)` from a builder
 * looked up by op type (`get_layer_impl_builder(OpType.RMSNorm)`, lmdeploy's registry). Several op
 * types (`OpType.RMSNormW8A8` for a quantized variant): the one named like the class, else all.
 */
function delegatedOps(text: string, cls: string): string[] | undefined {
  const call = /self\.(\w+)(?:\.forward)?\((?:[^()]|\([^()]*\))*\bself\.weight\b/.exec(text);
  if (!call || !new RegExp(`self\\.${call[1]}\\s*=\\s*[\\w.]+\\.build\\(`).test(text)) return undefined;
  const ops = [...text.matchAll(/get_\w*builder\(\s*[\w.]*?(\w+)\s*\)/g)].map((x) => x[1]);
  if (!ops.length) return undefined;
  return ops.includes(cls) ? [cls] : [...new Set(ops)];
}

/** Imported classes built by model classes of a known family (torch and transformers classes are not the project's). */
export function collectBuilds(m: ModuleAnalysis, lines: LineIndex): NormBuild[] {
  const local = new Set(m.norms.map((n) => n.name));
  const out: NormBuild[] = [];
  for (const s of m.submodules) {
    if (!/^[A-Za-z_]\w*$/.test(s.callee) || local.has(s.callee)) continue;
    const path = m.imports.get(s.callee);
    if (!path || /^(torch|transformers|timm|flash_attn|apex)\b/.test(path)) continue;
    const dot = path.lastIndexOf(".");
    if (dot <= 0 || (path.startsWith(".") && dot < path.search(/[^.]/))) continue;
    const ref = familyForClass(s.owner, m.fileFamily);
    if (!ref) continue;
    out.push({
      callee: s.callee,
      module: path.slice(0, dot),
      name: path.slice(dot + 1),
      owner: s.owner,
      slot: s.slot,
      start: s.range.start,
      end: s.range.start + s.callee.length,
      line: lines.position(s.range.start).line,
      modelType: ref.family.modelType,
      via: ref.via,
    });
  }
  return out;
}

export function digestSuppressions(m: ModuleAnalysis): SuppressionDigest[] {
  return m.suppressions.map((s) => ({ kind: s.kind, line: s.line, selectors: s.selectors, start: s.comment.start, end: s.comment.end }));
}

/** The module path (`pkg/layers.py`) an import names from a module at `from`, among `paths`. */
export function resolveModule(from: string, spec: string, paths: ReadonlySet<string>): string | undefined {
  const dir = from.includes("/") ? from.slice(0, from.lastIndexOf("/")) : "";
  if (spec.startsWith(".")) {
    const ups = spec.length - spec.replace(/^\.+/, "").length;
    const parts = dir ? dir.split("/") : [];
    if (ups - 1 > parts.length) return undefined;
    const base = parts.slice(0, parts.length - (ups - 1));
    const rest = spec.slice(ups).split(".").filter(Boolean);
    const stem = [...base, ...rest].join("/");
    for (const c of [`${stem}.py`, `${stem}/__init__.py`]) if (paths.has(c)) return c;
    return undefined;
  }
  // An absolute import of the project's own package: the one module path ending with it.
  const tail = spec.split(".").join("/");
  const hits = [...paths].filter((p) => p === `${tail}.py` || p.endsWith(`/${tail}.py`) || p === `${tail}/__init__.py` || p.endsWith(`/${tail}/__init__.py`));
  return hits.length === 1 ? hits[0] : undefined;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
const NAMES = { rms: "an RMSNorm", layer: "a LayerNorm", other: "another norm" } as const;

export interface BuiltContext {
  path: string;
  builds: NormBuild[];
  suppressions: SuppressionDigest[];
  /** The digest of a class in another module, by resolved module path and class name. */
  digestOf(module: string, name: string): { path: string; digest: NormDigest } | undefined;
  /** The rule's level for this file ("off" silences it); undefined: the rule's default. */
  level(rule: string): string | undefined;
  /** The cross-file chains' verdicts on this file (src/engine/project/effective.ts). */
  chains?: ChainVerdict[];
  /** This file's weight loaders: a built norm's missing offset may be added on the way in. */
  loaders?: LoaderDigest[];
}

/**
 * Findings at the construction sites of imported generic norms: one per class, family and rule in
 * a file, at its first construction (the others are counted in the message). Warning at most
 * (the class's weights could still be shifted on the way in, which this pass does not see),
 * unless the user set the rule's level.
 */
export function builtFindings(ctx: BuiltContext): { findings: Finding[]; usedSuppressions: SuppressionDigest[] } {
  const groups = new Map<string, { build: NormBuild; where: string; digest: NormDigest; facts: NormFacts; count: number }>();
  for (const b of ctx.builds) {
    const hit = ctx.digestOf(b.module, b.name);
    if (!hit || hit.digest.judged) continue;
    const f = familyOf(b.modelType);
    if (!f) continue;
    const facts = factsFor({ family: f, via: b.via }, undefined, hit.digest.kind, hit.digest.gated);
    if (!facts) continue;
    const key = `${hit.path}\0${b.name}\0${b.modelType}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { build: b, where: `${hit.path}:${hit.digest.line}`, digest: hit.digest, facts, count: 1 });
  }
  const findings: Finding[] = [];
  const used: SuppressionDigest[] = [];
  for (const { build: b, where, digest: d, facts, count } of groups.values()) {
    const family = `${facts.family.modelType} (family from \`${b.owner}\`, which builds it)`;
    const more = count > 1 ? ` (built in ${count} places here)` : "";
    const data = { cls: b.callee, where, family, more };
    if (d.kind !== "other" && facts.kind !== "other" && d.kind !== facts.kind) {
      findings.push(...make(ctx, used, "norm-kind-mismatch", b, { ...data, actual: NAMES[d.kind], expected: NAMES[facts.kind] }));
    } else if (facts.offset && d.offset === false) {
      // A loader of this family that adds 1, or picks out the norm weights and adds nothing (the
      // chain's offset-fold-missing, which names the loader): the build itself is not the fault.
      if (!ctx.loaders?.some((l) => l.modelType === b.modelType && (l.shift?.delta === 1 || l.pick))) findings.push(...make(ctx, used, "norm-missing-unit-offset", b, data));
    } else if (!facts.offset && d.offset === true) {
      findings.push(...make(ctx, used, "norm-unexpected-unit-offset", b, data));
    }
  }
  // The chains saw every step (the loader, the runtime, the op): their verdicts keep the rule's severity.
  for (const v of ctx.chains ?? []) findings.push(...make(ctx, used, v.rule, v, v.data, v.messageId));
  return { findings, usedSuppressions: used };
}

function make(ctx: BuiltContext, used: SuppressionDigest[], ruleName: string, b: Pick<NormBuild, "start" | "end" | "line">, data: Record<string, string>, messageId = "built"): Finding[] {
  const rule = RULES.find((r) => r.name === ruleName);
  if (!rule) return [];
  const configured = ctx.level(ruleName);
  if (configured === "off") return [];
  const sup = ctx.suppressions.filter((s) => (s.kind === "file-ignore" || s.line === b.line) && s.selectors.some((sel) => selectorMatches(sel, rule) > 0));
  if (sup.length) {
    used.push(...sup);
    return [];
  }
  const cap = messageId === "built" && RANK[rule.severity] > RANK.warning ? "warning" : rule.severity;
  const severity: Severity = configured ? (configured as Severity) : cap;
  const message = format((rule.messages as Record<string, string>)[messageId] ?? "", data);
  return [{ file: ctx.path, rule: rule.name, code: rule.code, severity, messageId, message, start: b.start, end: b.end, fixes: [], data: { built: true } }];
}
