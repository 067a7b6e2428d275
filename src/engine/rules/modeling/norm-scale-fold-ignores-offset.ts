import { defineRule, type PythonRuleContext } from "../../rule";

type M = "fold";

/**
 * ## What it does
 * Flags scales folded into the weight of a norm that scales by `1 + weight` (Gemma 1-3, Qwen3-Next,
 * Qwen3.5 and the other offset families) as if it computed `x * w`: `ln.weight.div_(scales)` or
 * `ln.weight.data = ln.weight / s` with no `+ 1` before the fold, for a norm the code identifies as
 * such a family's (`isinstance(ln, GemmaRMSNorm)`, a function or class that serves the family).
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
    fold: "This folds scales into `{{target}}` as if the norm computed `x * w`, but {{family}} norms ({{how}}) scale by `1 + weight`: fold into `1 + w` (add 1 before, subtract it after), or the norm keeps almost none of the scale.",
  },
  check(ctx) {
    for (const f of ctx.module?.declared?.offsetBlindFolds ?? []) ctx.report({ messageId: "fold", at: f.range, data: { target: f.target, family: f.family, how: f.how } });
  },
});
