// The effective convention across files (issue 15): what a family's norm weight goes through from the
// checkpoint to the multiply, when the steps live in different modules. An engine's model module
// (lmdeploy's `models/gemma.py`) builds a generic runtime norm (`nn/norm.py`'s `RMSNorm`), which
// hands its weight to an op implementation chosen by a backend registry
// (`backends/default/norm.py`'s `DefaultRMSNormImpl`), and the model class's `load_weights` may add
// 1 to the norm weights on the way in. Each module contributes plain data (a loader digest here, the
// norm digests of built.ts); the project composes the chain and judges it:
// - an offset family whose runtime computes `x * w` and whose loader picks out the norm weights and
//   adds nothing: offset-fold-missing (NL216), at the loader's norm branch;
// - an op implementation that adds 1 while a family built through it already has it added by its
//   loader, or stores the plain scale: norm-unexpected-unit-offset (NL202), at the op;
// - an op implementation that casts back before scaling, serving a family that scales in fp32:
//   norm-cast-order-mismatch (NL208), at the op.
// Every message gives the file:line chain. A chain that does not close (no loader seen, an op with
// no implementation that computes in Python) gives nothing.
import { classForSlot, familyForClass } from "../analysis/family";
import type { ModuleAnalysis } from "../analysis/types";
import { family as familyOf } from "../knowledge/index";
import type { LineIndex } from "../util/text";
import type { ChainVerdict, FunctionDigest, LoaderDigest, NormBuild, NormCallDigest, NormDigest } from "./built";

const LOADER_FN = /^([ \t]+)def (load_weights)\(/gm;
const NORM_PICK = /^([ \t]+)((?:for|if|elif)\b[^\n]*norm[^\n]*?):[ \t]*(#[^\n]*)?$/im;

/** The `load_weights` methods of the module's classes of a known family, with their norm branch and shift. */
export function digestLoaders(m: ModuleAnalysis, lines: LineIndex): LoaderDigest[] {
  const text = m.text;
  const classes = [...text.matchAll(/^class (\w+)\b/gm)].map((c) => ({ name: c[1], at: c.index }));
  const out: LoaderDigest[] = [];
  for (const d of text.matchAll(LOADER_FN)) {
    const owner = classes.filter((c) => c.at < d.index).pop();
    if (!owner) continue;
    const ref = familyForClass(owner.name, m.fileFamily);
    if (!ref) continue;
    const bodyStart = d.index + d[0].length;
    const rest = text.slice(bodyStart);
    // The body ends at the next method of the class or at top-level code; a comment at column 0
    // inside the method does not end it.
    const stop = rest.search(new RegExp(`\\n${d[1]}(def |@)|\\n[^\\s#]`));
    const bodyEnd = stop < 0 ? text.length : bodyStart + stop;
    const pickM = NORM_PICK.exec(text.slice(bodyStart, bodyEnd));
    const pickStart = pickM ? bodyStart + pickM.index + pickM[1].length : 0;
    const conv = (m.declared?.conversions ?? []).find((c) => !c.gguf && c.delta !== 0 && c.range.start >= bodyStart && c.range.end <= bodyEnd);
    out.push({
      owner: owner.name,
      fn: d[2],
      modelType: ref.family.modelType,
      line: lines.position(d.index + d[1].length).line,
      ...(pickM ? { pick: { start: pickStart, end: pickStart + pickM[2].length + 1, line: lines.position(pickStart).line } } : {}),
      ...(conv ? { shift: { line: lines.position(conv.range.start).line, delta: conv.delta } } : {}),
    });
  }
  return out;
}

/** The module's calls of imported norm functions, with their lines. */
export function digestNormCalls(m: ModuleAnalysis, lines: LineIndex): NormCallDigest[] {
  return (m.normCalls ?? []).map((c) => ({ callee: c.callee, from: c.from, arg: c.arg, slot: c.slot, modelType: c.modelType, start: c.range.start, end: c.range.end, line: lines.position(c.range.start).line, argc: c.argc, keywords: c.keywords }));
}

/** What the chains need from the project. */
export interface ChainSource {
  modules: ReadonlyArray<{ path: string; test: boolean; builds: NormBuild[]; loaders?: LoaderDigest[]; norms: NormDigest[]; normCalls?: NormCallDigest[] }>;
  digestOf(from: string, spec: string, name: string): { path: string; digest: NormDigest } | undefined;
  /** A norm function of another module, as an import from module `from` names it. */
  functionOf(from: string, spec: string, name: string): { path: string; fn: FunctionDigest } | undefined;
}

const base = (p: string) => p.split("/").pop() ?? p;

/** The op implementation a delegating norm's weight reaches: the one that computes in Python, the `default` backend's first. */
function referenceImpl(src: ChainSource, ops: string[]): { path: string; digest: NormDigest; op: string } | undefined {
  const found: Array<{ path: string; digest: NormDigest; op: string }> = [];
  for (const m of src.modules) {
    if (m.test) continue;
    for (const d of m.norms) {
      const op = d.op && ops.find((o) => d.op!.bases.includes(`${o}Impl`));
      if (op && d.kind === "rms" && d.offset !== undefined) found.push({ path: m.path, digest: d, op });
    }
  }
  return found.find((f) => /(^|\/)default\//.test(f.path)) ?? (found.length === 1 ? found[0] : undefined);
}

/** Every verdict of the project's cross-file chains, by file. */
export function chainVerdicts(src: ChainSource): Map<string, ChainVerdict[]> {
  const out = new Map<string, ChainVerdict[]>();
  const seen = new Set<string>();
  const push = (v: ChainVerdict) => {
    const key = `${v.path}\0${v.rule}\0${v.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.set(v.path, [...(out.get(v.path) ?? []), v]);
  };
  for (const m of src.modules) {
    for (const c of m.normCalls ?? []) {
      const hit = c.from.map((spec) => src.functionOf(m.path, spec, c.callee)).find((h) => h);
      // Only a call on the function's default path (nothing passed for a defaulted parameter) computes what the digest read.
      if (!hit || hit.fn.offset || c.keywords || c.argc > hit.fn.required) continue;
      const fam = familyOf(c.modelType);
      const cls = fam && classForSlot(fam, c.slot);
      push({
        path: m.path,
        rule: "norm-missing-unit-offset",
        messageId: "chainCall",
        start: c.start,
        end: c.end,
        line: c.line,
        data: { fn: c.callee, where: `${hit.path}:${hit.fn.line}`, arg: c.arg, family: c.modelType, cls: cls?.name ?? c.slot },
      });
    }
  }
  const impls = new Map<string, ReturnType<typeof referenceImpl>>();
  for (const m of src.modules) {
    if (m.test || !m.loaders?.length) continue;
    for (const b of m.builds) {
      const fam = familyOf(b.modelType);
      const hit = src.digestOf(m.path, b.module, b.name);
      if (!fam || !hit || hit.digest.judged || hit.digest.kind === "layer") continue;
      const loader = m.loaders.find((l) => l.modelType === b.modelType);
      if (!loader) continue;
      const d = hit.digest;
      const where = `${hit.path}:${d.line}`;
      const builder = `\`${b.owner}\` (${m.path}:${b.line})`;
      const loaderAt = `${m.path}:${loader.shift?.line ?? loader.line}`;
      const family = `${fam.modelType} (family from \`${loader.owner}\`)`;
      // The runtime's scale: the class's own, or its op's reference implementation.
      let impl: ReturnType<typeof referenceImpl>;
      if (d.offset === undefined && d.delegates) {
        const key = d.delegates.join(",");
        if (!impls.has(key)) impls.set(key, referenceImpl(src, d.delegates));
        impl = impls.get(key);
      }
      const offset = d.offset ?? impl?.digest.offset;
      if (offset === undefined) continue;
      const runtime = impl
        ? `hands the weight to its \`${impl.op}\` op, whose reference \`${impl.digest.name}.forward\` computes \`weight * x\` (${impl.path}:${impl.digest.op!.line})`
        : "computes `x * weight`";
      if (fam.offset && !offset && !loader.shift && loader.pick) {
        push({
          path: m.path,
          rule: "offset-fold-missing",
          messageId: "chain",
          ...loader.pick,
          data: { loader: `${loader.owner}.${loader.fn}`, at: `${base(m.path)}:${loader.line}`, pick_line: String(loader.pick.line), cls: b.callee, where, runtime, family },
        });
      }
      if (!impl) continue;
      const op = impl.digest.op!;
      const chain = { impl: impl.digest.name, op: impl.op, cls: b.callee, where, builder, family };
      if (offset && loader.shift && loader.shift.delta > 0) {
        push({ path: impl.path, rule: "norm-unexpected-unit-offset", messageId: "chainTwice", start: op.start, end: op.end, line: op.line, data: { ...chain, loader: `${loader.owner}.${loader.fn}`, loaderAt } });
      } else if (offset && !fam.offset && !loader.shift) {
        push({ path: impl.path, rule: "norm-unexpected-unit-offset", messageId: "chainPlain", start: op.start, end: op.end, line: op.line, data: chain });
      }
      if (op.castFirst && (fam.cast === "gemma" || fam.cast === "fp32")) {
        push({ path: impl.path, rule: "norm-cast-order-mismatch", messageId: "chainAfterCast", start: op.start, end: op.end, line: op.line, data: chain });
      }
    }
  }
  return out;
}
