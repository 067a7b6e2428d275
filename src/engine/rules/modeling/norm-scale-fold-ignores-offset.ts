import { defineRule, type PythonRuleContext } from "../../rule";

type M = "fold" | "enter" | "restore" | "unregistered" | "fallThrough";

/**
 * ## What it does
 * Flags scales folded into the weight of a norm that scales by `1 + weight` (Gemma 1-3, Qwen3-Next,
 * Qwen3.5 and the other offset families) as if it computed `x * w`: `ln.weight.div_(scales)` or
 * `ln.weight.data = ln.weight / s` with no `+ 1` before the fold, for a norm the code identifies as
 * such a family's (`isinstance(ln, GemmaRMSNorm)`, a function or class that serves the family).
 *
 * It also flags a plain-norm stand-in registered for such classes (llm-compressor's
 * `CalibrationOffsetNorm`, whose forward computes `x * w` so that smoothing can fold into its weight)
 * that takes over the original's weight without adding 1, or restores it without subtracting 1, and
 * such a stand-in registered for some norm classes of a model line but not another that also scales
 * by `1 + weight` (`GemmaRMSNorm` and `Gemma3RMSNorm` without `Gemma2RMSNorm`). A fold in the `else`
 * of `isinstance` tests for offset classes counts when a list of the file holds an offset class those
 * tests leave out (AutoAWQ's `allowed_norms`); it is flagged at the test, where the class is missing.
 *
 * ## Why is this bad?
 * Smoothing and AWQ-style quantizers move a per-channel scale from a linear layer into the norm in
 * front of it: the norm's effective scale must become `(1 + w) / s`. Dividing `w` alone gives
 * `1 + w / s`, and since Gemma's `w` sits near 0 the scale is barely applied: the linear layer is
 * rescaled and the norm is not, so every quantized layer is off by the smoothing factor.
 *
 * ## Example
 * `if isinstance(ln, GemmaRMSNorm): ln.weight.div_(scales)`.
 *
 * ## Use instead
 * `ln.weight += 1; ln.weight.div_(scales); ln.weight -= 1` (AutoAWQ's `scale_ln_fcs`), i.e. fold
 * into `1 + w` and store the result minus 1.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-scale-fold-ignores-offset",
  code: "NL217",
  severity: "error",
  input: "python",
  tags: ["modeling", "offset", "conversion"],
  fix: "none",
  summary: "scales folded into an offset norm's weight as if it computed x * w",
  messages: {
    enter: "`{{cls}}` stands in for `{{registered}}` ({{family}}, which scales by `1 + weight`) and computes `x * weight`, but takes over the original weight without adding 1: during calibration every norm scales by about 0 and the scales folded into it are wrong. Use `1 + original.weight`.",
    restore: "`{{cls}}` stands in for `{{registered}}` ({{family}}, which scales by `1 + weight`) with a weight that holds `1 + w`, but hands it back without subtracting 1: the restored norm scales by about `2 + w`. Subtract 1.",
    unregistered: "`{{cls}}` stands in for offset norm classes during calibration, but not for `{{registered}}` ({{family}}, which also scales by `1 + weight`): those norms keep their own forward, and the scales folded into them act on `w`, not `1 + w`. Register `{{registered}}` too.",
    fallThrough: "`{{cls}}` ({{family}}, which scales by `1 + weight`) is listed with these classes (line {{listed}}) but passes none of the `isinstance({{obj}}, ...)` tests: it reaches the plain fold into `{{target}}` (line {{fold}}), which scales `w` where the norm applies `1 + w`. Test for `{{cls}}` too.",
    fold: "This folds scales into `{{target}}` as if the norm computed `x * w`, but {{family}} norms ({{how}}) scale by `1 + weight`: fold into `1 + w` (add 1 before, subtract it after), or the norm keeps almost none of the scale.",
  },
  check(ctx) {
    for (const f of ctx.module?.declared?.offsetBlindFolds ?? []) {
      const ft = f.fallThrough;
      if (ft) ctx.report({ messageId: "fallThrough", at: f.range, data: { cls: ft.cls, family: f.family, listed: String(ft.listedLine), obj: ft.obj, target: f.target, fold: String(ft.foldLine) } });
      else ctx.report({ messageId: "fold", at: f.range, data: { target: f.target, family: f.family, how: f.how } });
    }
    for (const s of ctx.module?.declared?.offsetBlindStandIns ?? []) ctx.report({ messageId: s.side, at: s.range, data: { cls: s.cls, registered: s.registeredFor, family: s.family } });
  },
});
