import { CAST_WITHOUT_ORDER, CASTING_MODES } from "../../analysis/declared-vocab";
import { acceptedCasts } from "../../knowledge/index";
import { defineRule, type PythonRuleContext } from "../../rule";
import { factSource, quoted, servedFacts, servedLabel } from "./declared-shared";
import { fix, replace } from "./shared";

type M = "argument" | "default" | "patch";

const ORDER: Record<string, string> = {
  llama: "normalises in fp32, casts back, then multiplies by the weight",
  t5: "normalises in fp32, casts to the weight's dtype, then multiplies by the weight",
  gemma: "multiplies by the weight in fp32 and casts at the end",
  fp32: "multiplies by the weight in fp32 and casts at the end",
  none: "computes in the input dtype throughout",
};

/** The casting mode that reproduces a family's cast order. */
const MODE_FOR: Record<string, string> = { llama: "llama", t5: "llama", gemma: "gemma", fp32: "gemma", none: "none" };

/**
 * ## What it does
 * Flags a kernel casting mode (Liger-Kernel's `casting_mode=`, or the default a binding leaves in
 * place) that contradicts the cast order the knowledge base records for the family: `"llama"`
 * (cast back before the weight multiply) bound to a norm that multiplies in fp32, such as
 * OLMo 2's, GPT-OSS's or Gemma 4's, or `"gemma"` bound to a Llama-style norm.
 *
 * ## Why is this bad?
 * The two orders round differently in bf16 and fp16: the kernel no longer reproduces the
 * reference model, so losses and logits drift from the checkpoint's own implementation by more
 * than the kernel's own tolerance would suggest.
 *
 * ## Example
 * `super().__init__(dim, eps, offset=0.0, casting_mode="llama")` in a Gemma 4 binding.
 *
 * ## Use instead
 * `super().__init__(dim, eps, offset=0.0, casting_mode="gemma")` (the fp32 order, as
 * `LigerRMSNormForGemma4` does).
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "declared-casting-contradicts-family",
  code: "NL213",
  severity: "warning",
  input: "python",
  tags: ["modeling", "declared", "precision"],
  fix: "unsafe",
  summary: "a kernel casting mode contradicts the family's cast order",
  messages: {
    argument: "`casting_mode={{raw}}` {{declared}}, but it serves {{family}}, whose norm {{fact}} ({{src}}).",
    default: "`{{callee}}` defaults to `casting_mode=\"{{mode}}\"`, which {{declared}}, but it serves {{family}}, whose norm {{fact}} ({{src}}): pass `casting_mode=\"{{want}}\"`.",
    patch: "This patch binds `{{callee}}` with `casting_mode=\"{{mode}}\"`, which {{declared}}, to `{{target}}` of {{family_name}}, which {{fact}} ({{src}}).",
  },
  check(ctx) {
    for (const d of ctx.module?.declared?.declarations ?? []) {
      if (d.aspect !== "cast" || (d.inPatch && d.form !== "patch")) continue;
      const mode = String(d.value);
      const allowed = CASTING_MODES[mode] ?? [];
      // A patch whose offset is already wrong is reported by the offset rules; one finding is enough.
      const wrong = servedFacts(d).filter((e) => !CAST_WITHOUT_ORDER.includes(e.cast) && ORDER[e.cast] && !acceptedCasts(e.cast, e.cls?.alt).some((c) => allowed.includes(c)) && (d.patchOffset === undefined || d.patchOffset === e.offset));
      if (!wrong.length) continue;
      const e = wrong[0];
      const want = MODE_FOR[e.cast];
      const data = {
        raw: d.raw,
        mode,
        callee: d.callee ?? "",
        target: d.patchTarget ?? "",
        declared: ORDER[mode === "gemma" ? "gemma" : mode],
        family: wrong.map((x) => servedLabel(x.family, d.serves)).join(", "),
        family_name: e.family.modelType,
        fact: ORDER[e.cast],
        src: factSource(e.family),
        want,
      };
      const messageId: M = d.form === "patch" ? "patch" : d.form === "default" ? "default" : "argument";
      const fixes = messageId === "argument" ? [fix(`Use \`casting_mode=${quoted(d.raw, want)}\``, [replace(d.range, quoted(d.raw, want))])] : [];
      ctx.report({ messageId, at: d.range, data, fixes });
    }
  },
});
