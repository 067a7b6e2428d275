import { defineRule, type PythonRuleContext } from "../../rule";
import { closest } from "../../util/text";

type M = "missing";

/**
 * ## What it does
 * Flags a monkey-patch that assigns a norm class name the target modeling module does not define,
 * such as `modeling_mixtral.MistralRMSNorm = LigerRMSNorm` (Mixtral's class is `MixtralRMSNorm`).
 *
 * ## Why is this bad?
 * Assigning to a module attribute always succeeds, so the patch silently does nothing: the model
 * keeps its original norm while you believe the kernel (or the fix) is in place.
 *
 * ## Example
 * `modeling_mixtral.MistralRMSNorm = LigerRMSNorm`
 *
 * ## Use instead
 * `modeling_mixtral.MixtralRMSNorm = LigerRMSNorm`
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "norm-patch-target-missing",
  code: "NL209",
  severity: "warning",
  input: "python",
  tags: ["modeling", "patch"],
  fix: "unsafe",
  summary: "patch assigns a norm class the target module does not define",
  messages: {
    missing: "`{{module}}` defines no `{{target}}` (its norm classes: {{known}}), so this patch changes nothing.",
  },
  check(ctx) {
    for (const p of ctx.module?.patches ?? []) {
      const names = (p.family?.classes ?? []).map((c) => c.name).filter((n) => /^[A-Z]/.test(n));
      if (!p.family || !names.length || !/Norm/.test(p.target) || names.includes(p.target)) continue;
      const hint = closest(p.target, names, 8);
      ctx.report({
        messageId: "missing",
        at: p.targetRange,
        data: { module: p.module.split(".").pop() ?? p.module, target: p.target, known: names.map((n) => `\`${n}\``).join(", ") },
        fixes: hint ? [{ title: `Patch \`${hint}\` instead`, safe: false, edits: [{ start: p.targetRange.start, end: p.targetRange.end, text: hint }] }] : [],
      });
    }
  },
});
