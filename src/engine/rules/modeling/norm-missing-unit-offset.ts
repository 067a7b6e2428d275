import { EXTERNAL_NORMS } from "../../analysis/external";
import { defineRule, type PythonRuleContext } from "../../rule";
import type { Fix } from "../../types";
import { checkedNorms, factsLabel, fix, replace, slice } from "./shared";
import { lineAt } from "../../util/text";

type M = "missing" | "loaded" | "missingParent" | "slot" | "patch" | "built" | "kernel" | "tritonUnused" | "tritonBranch" | "tritonFamily" | "chainCall" | "path";

/**
 * ## What it does
 * Flags a norm that scales by `weight` where its family expects `1 + weight`: Gemma 1-3,
 * Qwen3-Next, non-gated Qwen3.5 RMSNorms, Nemotron's LayerNorm1P and the other offset families of
 * the knowledge base. It also flags a monkey-patch that binds a weight-only norm (such as a plain
 * `LigerRMSNorm`) to one of these families' norm classes, the bug of Liger-Kernel #74 and
 * axolotl #1886, unless the same module adds 1 to the weights of that class's modules
 * (`if isinstance(module, GemmaRMSNorm): module.weight += 1.0`), which the plain forward then needs.
 *
 * Across files, a module of an offset family that hands one of its own norms
 * (`self.model.norm`) to a norm function defined in another module (`*`-imported or named) which
 * scales by the plain weight when called with its defaults (unsloth's Gemma final norm sent
 * through llama.py's `fast_rms_layernorm_inference`).
 *
 * Triton norm kernels are read like any other arithmetic: a kernel that takes an offset argument
 * (Liger's `offset`, axolotl's `UNIT_OFFSET`) but scales by the loaded weight row alone, in every
 * path or in the branch the flag selects, and a kernel or a free norm function named for an offset
 * family (`_gemma_rms_layernorm_forward`, `_gemma3_rms_norm(x, weight, eps)`, a patched `__call__`
 * inside `_fix_gemma3_text_rmsnorm_fp32`) that never adds 1 to its weight. Where such a function
 * sets the scale it multiplies by in both branches of `if out is None: ... else: ...` (a test that
 * only picks where the result is written), each branch is read on its own: one that scales by the
 * plain weight while the other adds 1 is flagged (unsloth's `fast_rms_layernorm_inference_gemma`).
 *
 * A generic norm class (`RMSNorm`, no family of its own) takes the family of the model classes that
 * build it: in the same module it is flagged at the class; defined in one module and built in
 * another (`from .layers import RMSNorm` in a `GemmaDecoderLayer`), it is flagged where it is built,
 * at most as a warning, since the loader could still shift its weights.
 *
 * ## Why is this bad?
 * Those checkpoints store the norm scale as an offset from 1, so their weights sit near 0. Scaling
 * by the raw weight shrinks every normalized activation towards zero; the model loads without an
 * error and produces garbage.
 *
 * ## Example
 * `return self._norm(x.float()) * self.weight` in a Gemma RMSNorm, or
 * `modeling_gemma.GemmaRMSNorm = LigerRMSNorm`.
 *
 * ## Use instead
 * `return (self._norm(x.float()) * (1.0 + self.weight.float())).type_as(x)`, or
 * `modeling_gemma.GemmaRMSNorm = partial(LigerRMSNorm, offset=1.0, init_fn="zeros", casting_mode="gemma")`.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-missing-unit-offset",
  code: "NL201",
  severity: "error",
  input: "python",
  tags: ["modeling", "offset"],
  fix: "unsafe",
  summary: "norm scales by `weight` where the family expects `1 + weight`",
  messages: {
    missing: "`{{cls}}` scales by `{{param}}`, but {{family}} stores the norm scale as an offset from 1: use `1 + {{param}}`.",
    loaded: "`{{cls}}` loads `{{param}}` here with nothing added and scales by it as loaded (line {{line}}), but {{family}} stores the norm scale as an offset from 1: add 1 to the loaded tensor, or scale by `1 + {{param}}`.",
    missingParent: "`{{cls}}` inherits a plain `weight` scale, but {{family}} stores the norm scale as an offset from 1: use `weight + 1`.",
    slot: "`{{slot}}` is a plain `{{callee}}`, but {{family}} scales this norm by `1 + weight`.",
    chainCall: "`{{fn}}` ({{where}}) scales by the plain weight (`x * weight`), and here it computes `{{arg}}`, {{family}}'s `{{cls}}`, which stores the scale as an offset from 1: this norm scales by about 0. Call the {{family}} variant, which adds 1.",
    patch: "This patch binds `{{impl}}`, which scales by `weight`, to `{{target}}`; {{family}} expects `1 + weight`.",
    kernel: "`{{cls}}.{{method}}` passes `{{param}}` to `{{kernel}}`, which scales by it directly, but {{family}} stores the norm scale as an offset from 1: this path needs `1 + {{param}}` (or the family's kernel).",
    tritonUnused: "Triton kernel `{{kernel}}` takes `{{param}}` but scales by `{{operand}}` alone: a caller asking for a Gemma-style `1 + weight` norm gets `x * w`; scale by `({{param}} + {{operand}})`.",
    tritonBranch: "In `{{kernel}}`, the branch `{{param}}` selects scales by `{{operand}}`: the unit offset it asks for is never added; use `({{operand}} + 1.0)`.",
    path: "Where `{{param}}`, `{{kernel}}` (named for {{family}}) scales by `{{operand}}`, while its other path adds 1: {{family}} stores the norm scale as an offset from 1, so this path needs `({{operand}} + 1.0)` too.",
    tritonFamily: "`{{kernel}}` is named for {{family}} but scales by `{{operand}}`, and {{family}} stores the norm scale as an offset from 1: use `({{operand}} + 1.0)`.",
    built: "`{{cls}}` ({{where}}) scales by `weight`, but {{family}} stores the norm scale as an offset from 1: this norm needs `1 + weight`{{more}}.",
  },
  check(ctx) {
    const m = ctx.module;
    if (!m) return;
    for (const impl of checkedNorms(ctx)) {
      if (!impl.facts.offset || impl.loadOffset) continue;
      for (const k of impl.kernelPaths ?? []) {
        if (k.offset) continue;
        ctx.report({ messageId: "kernel", at: k.at, data: { cls: impl.name, method: k.method, kernel: k.kernel, param: slice(ctx.text, k.at).replace(/\.data$/, "").replace(/^self\./, ""), family: factsLabel(impl.facts) } });
      }
    }
    for (const impl of checkedNorms(ctx)) {
      const s = impl.compute?.scale;
      // A load path that adds 1 to the weights supplies the offset (`x * w` then computes `x * (1 + w_ckpt)`).
      if (!impl.facts.offset || !s || s.offset || impl.loadOffset) continue;
      const data = { cls: impl.name, param: s.param, family: factsLabel(impl.facts) };
      if (s.implicit) {
        ctx.report({ messageId: "missingParent", at: impl.nameRange, data });
        continue;
      }
      const operand = slice(ctx.text, s.operand);
      const fp32 = impl.facts.cast === "gemma" && !/\.float\(\)$|float32\)$/.test(operand) ? `${operand}.float()` : operand;
      const edit = s.rewrite === "functional" ? replace(s.operand, `${operand} + 1`) : replace(s.operand, `(1.0 + ${fp32})`);
      const fixes = [fix(`Scale by \`1 + ${s.param}\``, [edit])];
      // A weight a load path reads is reported where it is loaded (where the 1 is usually added); the
      // message names the multiply's line.
      const loaded = impl.params.find((p) => p.name === s.param && p.loaded);
      if (loaded) ctx.report({ messageId: "loaded", at: loaded.range, data: { ...data, line: String(lineAt(ctx.text, s.operand.start)) }, fixes });
      else ctx.report({ messageId: "missing", at: s.operand, data, fixes });
    }
    for (const k of m.declared?.kernelOffsetMisses ?? []) {
      const data = { kernel: k.kernel, param: k.param ?? "", operand: slice(ctx.text, k.operand), family: k.family ?? "" };
      // The branch the offset flag selects is certain to be wrong; an unread parameter may be kept
      // for an API whose callers never pass an offset, and a family read from a name is weaker.
      const severity = k.reason === "branch" ? "error" : "warning";
      const edit = k.reason === "unused" ? replace(k.operand, `(${k.param} + ${data.operand})`) : replace(k.operand, `(${data.operand} + 1.0)`);
      const messageId: M = k.reason === "unused" ? "tritonUnused" : k.reason === "branch" ? "tritonBranch" : k.reason === "path" ? "path" : "tritonFamily";
      ctx.report({ messageId, at: k.range, severity, data, fixes: [fix(`Scale by \`${slice(ctx.text, k.operand)}\` with the offset`, [edit])] });
    }
    for (const use of m.uses) {
      const f = use.facts;
      if (use.origin !== "torch" || use.insideNorm || !use.affine || !use.slot || !f?.cls || !f.offset || /^(torch\.)?nn\./.test(f.cls.name)) continue;
      ctx.report({ messageId: "slot", at: use.calleeRange, data: { slot: use.slot, callee: use.callee.replace(/^torch\.nn\.functional\./, "F.").replace(/^torch\./, ""), family: factsLabel(f) } });
    }
    for (const p of m.patches) {
      const cls = p.family?.classes?.find((c) => c.name === p.target);
      if (!p.family || !cls?.offset || p.impl?.offset !== false) continue;
      // The module adds 1 to the weights of that class's modules (`module.weight += 1.0`): the plain forward gets `1 + w`.
      if (m.instanceShifts?.some((s) => s.patched && s.cls === p.target)) continue;
      ctx.report({
        messageId: "patch",
        at: p.value,
        data: { impl: p.impl.name, target: p.target, family: `${p.family.modelType} (\`${p.target}\`)` },
        fixes: patchFix(ctx, p.impl, p.value),
      });
    }
  },
});

function patchFix(ctx: PythonRuleContext<M>, impl: NonNullable<import("../../analysis/types").NormPatch["impl"]>, value: { start: number; end: number }): Fix[] {
  const kw = EXTERNAL_NORMS[impl.name]?.offsetKwarg ?? (impl.source === "external" ? undefined : undefined);
  if (!kw) return [];
  if (impl.offsetKwarg) return [fix(`Pass \`${kw}=1.0\``, [replace(impl.offsetKwarg, `${kw}=1.0`)])];
  if (impl.partial) {
    const close = impl.partial.end - 1;
    return [fix(`Pass \`${kw}=1.0\``, [{ start: close, end: close, text: `, ${kw}=1.0` }])];
  }
  const partialName = [...(ctx.module?.imports ?? [])].find(([, v]) => v === "functools.partial")?.[0] ?? ([...(ctx.module?.imports ?? [])].some(([k]) => k === "functools") ? "functools.partial" : undefined);
  if (!partialName) return [];
  return [fix(`Bind \`${partialName}(${impl.name}, ${kw}=1.0)\``, [replace(value, `${partialName}(${slice(ctx.text, value)}, ${kw}=1.0)`)])];
}
