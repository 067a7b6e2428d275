import { acceptedCasts } from "../../knowledge/index";
import { defineRule, type PythonRuleContext } from "../../rule";
import { checkedNorms, factsLabel } from "./shared";

type M = "afterCast" | "beforeCast" | "offsetLowPrecision" | "chainAfterCast";

/**
 * ## What it does
 * Checks where a norm applies its weight relative to the cast back from fp32. Gemma-style families
 * (knowledge-base cast `gemma` or `fp32`: Gemma 1-3, Qwen3-Next, OLMo 2, Cohere...) multiply in
 * fp32 and cast afterwards, and Gemma adds the 1 of `1 + weight` in fp32; Llama-style families
 * (cast `llama`) cast the normalized activations back first and multiply in the input dtype.
 * Where the family's modeling file takes both orders (Qwen3.5's and Qwen3-Next's gated norms: the
 * eager class casts first, flash-linear-attention's fused kernel, used when installed, multiplies
 * in fp32), either order is accepted.
 *
 * ## Why is this bad?
 * The two orders round differently. In bf16 `1 + w` loses the small offsets Gemma checkpoints
 * store, and multiplying after the cast adds a rounding step the reference does not have, so
 * logits drift from the reference implementation (transformers PR #29402 fixed exactly this for
 * Gemma). The reverse order in a Llama port is a smaller drift of the same kind.
 *
 * Across files, an op implementation (lmdeploy's `DefaultRMSNormImpl`) is held to the families
 * built through the module that hands it the weight: one that casts back first is flagged when a
 * Gemma-style family is among them (scaling in fp32 is right for both orders' families there).
 *
 * ## Example
 * `return self._norm(x.float()).type_as(x) * (1 + self.weight)` in a Gemma RMSNorm.
 *
 * ## Use instead
 * `return (self._norm(x.float()) * (1.0 + self.weight.float())).type_as(x)`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-cast-order-mismatch",
  code: "NL208",
  severity: "warning",
  input: "python",
  tags: ["modeling", "precision"],
  fix: "none",
  summary: "norm weight applied on the wrong side of the cast back from fp32",
  messages: {
    afterCast: "`{{cls}}` casts back to the input dtype before scaling, but {{family}} scales in fp32 and casts afterwards.",
    beforeCast: "`{{cls}}` scales in fp32 before casting back, but {{family}} casts back first and scales in the input dtype.",
    chainAfterCast: "`{{impl}}.forward` casts back to the input dtype before scaling; it is the `{{op}}` op behind `{{cls}}` ({{where}}), which {{builder}} builds for {{family}}, which scales in fp32 and casts afterwards.",
    offsetLowPrecision: "`{{cls}}` adds 1 to `{{param}}` in the weight's dtype; {{family}} adds it in fp32 (`1.0 + {{param}}.float()`).",
  },
  check(ctx) {
    for (const impl of checkedNorms(ctx)) {
      const c = impl.compute;
      const s = c?.scale;
      if (!c || !s || s.implicit || !c.upcast) continue;
      const cast = impl.facts.cast;
      // Either order is right where the family's modeling file takes both (an fp32 kernel when it is
      // installed, an eager class that casts first): Qwen3.5's gated norm.
      const casts = acceptedCasts(cast, impl.facts.alt);
      const data = { cls: impl.name, family: factsLabel(impl.facts), param: s.param };
      if ((cast === "gemma" || cast === "fp32") && s.afterCastBack && !casts.includes("llama")) ctx.report({ messageId: "afterCast", at: s.expr, data });
      else if (cast === "llama" && s.activationDtype === "fp32" && !casts.some((c) => c === "gemma" || c === "fp32")) ctx.report({ messageId: "beforeCast", at: s.expr, data });
      else if (cast === "gemma" && s.offset && s.offsetInFp32 === false && s.offsetExpr) ctx.report({ messageId: "offsetLowPrecision", at: s.offsetExpr, data });
    }
  },
});
