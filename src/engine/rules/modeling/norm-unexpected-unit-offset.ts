import { defineRule, type PythonRuleContext } from "../../rule";
import { family } from "../../knowledge/index";
import { factSource } from "./declared-shared";
import { checkedNorms, factsLabel, fix, replace, slice } from "./shared";
import { lineAt } from "../../util/text";

type M = "unexpected" | "patch" | "built" | "twice" | "loaded" | "kernel" | "twiceShifted" | "everyLoad" | "chainTwice" | "chainPlain" | "instanceTwice";

/**
 * ## What it does
 * Flags a norm that scales by `1 + weight` (or adds 1 to the weight passed to `F.layer_norm`) in a
 * family whose checkpoints store the plain scale: Llama, Mistral, Qwen2/3, Gemma 3n, Gemma 4 and
 * every other family of the knowledge base without a unit offset. It also flags a monkey-patch
 * that binds an offset norm to such a family's norm class.
 *
 * A generic norm class takes the family of the model classes that build it, in the same module or
 * (flagged where it is built, at most as a warning) in another.
 *
 * Whatever the family, a norm class whose load path shifts its weight by a constant
 * (exllamav2's `self.weight += self.archparams.norm_constant_bias` in `load()`) must not add 1
 * again in a compute path (`forward_torch`, the weight handed to a kernel): a warning. So is a norm
 * class named for no family (lmdeploy's `RMSNorm`) whose `weight_loader` adds 1 to every weight.
 *
 * A load-time `module.weight += 1` on the modules an `isinstance` test picks out as an offset
 * family's norm class (unsloth's Gemma `post_patch`) meets a runtime that adds 1 as well: the class's
 * own forward, or the kernels the module calls on them with `gemma=True` (an error then; a warning
 * when only the class's forward says so, since another module may install a plain one).
 *
 * Across files, an op implementation (lmdeploy's `DefaultRMSNormImpl`, the reference behind the
 * `RMSNorm` module) that scales by `1 + weight` while a model module builds that module for a
 * family whose `load_weights` already adds 1 (Gemma), or for a family that stores the plain scale.
 *
 * ## Why is this bad?
 * Those checkpoints store weights near 1. Adding 1 doubles every normalized activation; the model
 * loads without an error and its outputs drift or blow up. It is the usual result of copying a
 * Gemma 1-3 RMSNorm into a Gemma 3n or Llama port.
 *
 * ## Example
 * `return output * (1.0 + self.weight.float())` in a Gemma 3n RMSNorm.
 *
 * ## Use instead
 * `return output * self.weight.float()`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-unexpected-unit-offset",
  code: "NL202",
  severity: "error",
  input: "python",
  tags: ["modeling", "offset"],
  fix: "unsafe",
  summary: "norm scales by `1 + weight` where the family stores the plain scale",
  messages: {
    unexpected: "`{{cls}}` scales by `1 + {{param}}`, but {{family}} stores the plain scale: use `{{param}}`.",
    patch: "This patch binds `{{impl}}`, which scales by `1 + weight`, to `{{target}}`; {{family}} scales by `weight`.",
    twice: "`{{cls}}` adds 1 to `{{param}}` when loading it (line {{line}}) and also scales by `1 + {{param}}`: the offset is applied twice, so the norm scales by `2 + weight` of the {{family}} checkpoint.",
    twiceShifted: "`{{cls}}.{{method}}` scales by `1 + weight`, but `{{load}}()` already adds `{{by}}` to the weight when loading it (line {{line}}): where that constant is 1 the offset is applied twice (`2 + weight`), where it is 0 a plain-scale family gets `1 + weight`.",
    everyLoad: "`{{cls}}.{{method}}` adds 1 to every weight it loads, under no condition, and `{{cls}}` is named for no family: every model that builds it gets `1 + weight`, also the families that store the plain scale (Llama, Qwen); add the offset in the loader of the families that need it.",
    loaded: "`{{cls}}` adds 1 to `{{param}}` when loading it, but {{family}} stores the plain scale: the norm then scales by `1 + weight`.",
    kernel: "`{{cls}}.{{method}}` scales by `1 + weight` through `{{kernel}}`, but {{family}} stores the plain scale: this path needs the plain weight.",
    built: "`{{cls}}` ({{where}}) scales by `1 + weight`, but {{family}} stores the plain scale: this norm needs `weight`{{more}}.",
    instanceTwice: "`{{shift}}` adds 1 to the weight of every `{{cls}}`, whose runtime adds 1 already: {{runtime}}. Every such norm then scales by `2 + weight` of the {{family}} checkpoint; leave the 1 to the runtime.",
    chainTwice: "`{{impl}}.forward` scales by `1 + weight`; it is the `{{op}}` op behind `{{cls}}` ({{where}}), which {{builder}} builds for {{family}}, and `{{loader}}` already adds 1 to those norm weights ({{loaderAt}}): the offset is applied twice, so every norm scales by `2 + weight`.",
    chainPlain: "`{{impl}}.forward` scales by `1 + weight`; it is the `{{op}}` op behind `{{cls}}` ({{where}}), which {{builder}} builds for {{family}}, whose checkpoints store the plain scale: the op needs `weight`.",
  },
  check(ctx) {
    const m = ctx.module;
    if (!m) return;
    // Family-independent: the load path's shift and the compute path's `1 +` disagree for every value of the constant.
    for (const d of m.declared?.loadShifts ?? []) {
      if (d.kind === "everyLoad") ctx.report({ messageId: "everyLoad", at: d.range, severity: "warning", data: { cls: d.cls, method: d.method } });
      if (d.kind !== "twice") continue;
      const line = lineAt(ctx.text, d.otherRange.start);
      ctx.report({ messageId: "twiceShifted", at: d.range, severity: "warning", data: { cls: d.cls, method: d.method, load: d.load, by: d.by, line: String(line) } });
    }
    for (const s of m.instanceShifts ?? []) {
      if (s.patched) continue;
      const lines = (at: number) => String(lineAt(ctx.text, at));
      const runtime = s.kernelAt
        ? `this module calls \`${s.kernel}\` on them with \`${s.kernelArg}\` (line ${lines(s.kernelAt.start)}), a kernel that scales by \`1 + weight\``
        : `\`${s.cls}\` scales by \`1 + weight\` (${factSource(family(s.modelType)!)}) and this module installs no other forward on it`;
      ctx.report({ messageId: "instanceTwice", at: s.range, severity: s.kernelAt ? "error" : "warning", data: { shift: slice(ctx.text, s.range), cls: s.cls, runtime, family: s.modelType } });
    }
    for (const impl of checkedNorms(ctx)) {
      if (impl.facts.offset || impl.loadOffset) continue;
      for (const k of impl.kernelPaths ?? []) if (k.offset) ctx.report({ messageId: "kernel", at: k.at, data: { cls: impl.name, method: k.method, kernel: k.kernel, family: factsLabel(impl.facts) } });
    }
    for (const impl of checkedNorms(ctx)) {
      const s = impl.compute?.scale;
      const data = { cls: impl.name, param: s?.param ?? "weight", family: factsLabel(impl.facts) };
      if (impl.loadOffset && s && !s.implicit) {
        // The class's load path adds 1: forward must scale by the plain weight, and the family must expect the offset.
        if (s.offset && s.offsetExpr) {
          const line = lineAt(ctx.text, impl.loadOffset.start);
          const fixes = s.weightSide ? [fix("Remove the `1 +` offset", [replace(s.offsetExpr, slice(ctx.text, s.weightSide))])] : [];
          ctx.report({ messageId: "twice", at: s.offsetExpr, data: { ...data, line: String(line) }, fixes });
        } else if (!impl.facts.offset) ctx.report({ messageId: "loaded", at: impl.loadOffset, data });
        continue;
      }
      if (impl.facts.offset || !s?.offset || !s.offsetExpr) continue;
      const fixes = s.weightSide ? [fix("Remove the `1 +` offset", [replace(s.offsetExpr, slice(ctx.text, s.weightSide))])] : [];
      ctx.report({ messageId: "unexpected", at: s.offsetExpr, data: { cls: impl.name, param: s.param, family: factsLabel(impl.facts) }, fixes });
    }
    for (const p of m.patches) {
      const cls = p.family?.classes?.find((c) => c.name === p.target);
      if (!p.family || !cls || cls.offset || p.impl?.offset !== true) continue;
      const fixes = p.impl.offsetKwarg ? [fix("Pass `offset=0.0`", [replace(p.impl.offsetKwarg, `${slice(ctx.text, p.impl.offsetKwarg).split("=")[0]}=0.0`)])] : [];
      ctx.report({ messageId: "patch", at: p.value, data: { impl: p.impl.name, target: p.target, family: `${p.family.modelType} (\`${p.target}\`)` }, fixes });
    }
  },
});
