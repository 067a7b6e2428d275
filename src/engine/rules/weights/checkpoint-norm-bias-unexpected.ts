import { mainNormClasses, normPathRegex, scaleParam } from "../../folder-model";
import { defineRule, type FolderRuleContext } from "../../rule";

/**
 * ## What it does
 * Flags a `.bias` tensor at a norm whose class has no bias in this family (a LayerNorm bias in a
 * Llama or Cohere checkpoint), and a norm weight without the bias its class requires (GPT-2's
 * `ln_1` without `ln_1.bias`).
 *
 * ## Why is this bad?
 * An unexpected bias is dropped at load time, so whatever it encoded (often a LayerNorm model
 * converted to an RMSNorm family) is lost; a missing required bias is initialised to zeros.
 *
 * ## Example
 * `model.layers.0.input_layernorm.bias` in a Llama checkpoint.
 *
 * ## Use instead
 * Convert to a family whose norm has a bias, or fold the bias into the following projection.
 */
export default defineRule<"unexpected" | "missing", FolderRuleContext<"unexpected" | "missing">>({
  name: "checkpoint-norm-bias-unexpected",
  code: "NL307",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm"],
  fix: "none",
  summary: "norm bias in a bias-free family, or a required norm bias missing",
  messages: {
    unexpected: "{{count}} norm bias tensor(s) such as `{{example}}`, but {{cls}} in {{family}} has no bias: they are dropped at load time.",
    missing: "{{count}} norm weight(s) such as `{{example}}` have no bias, but {{cls}} in {{family}} has one: it would be initialised to zeros.",
  },
  check(ctx) {
    const { family: fam, tensorShapes, anchor, fromGguf } = ctx.folder;
    if (!fam || fromGguf || tensorShapes.size === 0) return;
    // Bias facts are read from each class's own code (its parameters, `bias=False` at the
    // construction, `self.norm.bias = None`), so every family's main norms are trusted.
    const names = [...tensorShapes.keys()];
    // A config switch for the norms' bias (ModernBERT's norm_bias) decides over the default.
    const biasKey = Object.keys(fam.normKeys ?? {}).find((k) => /norm.*bias|bias.*norm/.test(k));
    const configBias = biasKey ? ctx.folder.textConfig[biasKey] : undefined;
    for (const known of mainNormClasses(fam)) {
      const cls = typeof configBias === "boolean" && known.kind === "layer" ? { ...known, bias: configBias } : known;
      const unexpected: string[] = [];
      const missing: string[] = [];
      for (const at of cls.at) {
        const scale = scaleParam(cls);
        const w = normPathRegex(at, scale);
        const b = normPathRegex(at, "bias");
        for (const n of names) {
          if (!cls.bias && b.test(n)) unexpected.push(n);
          if (cls.bias && w.test(n) && !tensorShapes.has(`${n.slice(0, -scale.length)}bias`)) missing.push(n);
        }
      }
      const data = { cls: cls.name, family: fam.modelType };
      if (unexpected.length) ctx.report({ messageId: "unexpected", file: anchor.file, at: anchor.range, data: { ...data, count: unexpected.length, example: unexpected[0] } });
      if (missing.length) ctx.report({ messageId: "missing", file: anchor.file, at: anchor.range, data: { ...data, count: missing.length, example: missing[0] } });
    }
  },
});
