import { isKnownEpsKey } from "../../knowledge/index";
import { properties, property } from "../../parsers/json";
import { defineRule } from "../../rule";
import { sameValue } from "./shared";
import { closest, formatValue } from "../../util/text";

/**
 * ## What it does
 * Flags a key that looks like a misspelling of an eps key the family reads (`rms_nms_eps`,
 * `rms_norm_epsilon` on Llama, `layernorm_eps` on BERT) and offers to rename it. When the model runs
 * with that very value anyway (the key it reads, or its default, holds the same number), the
 * finding is info.
 *
 * ## Why is this bad?
 * A misspelt key is stored and ignored: the model runs with the default eps, not the value the
 * author wrote, and nothing raises an error.
 *
 * ## Example
 * `{"model_type": "llama", "rms_nms_eps": 1e-5}`
 *
 * ## Use instead
 * `{"model_type": "llama", "rms_norm_eps": 1e-5}`
 */
export default defineRule({
  name: "eps-key-misspelled",
  code: "NL102",
  severity: "warning",
  input: "config",
  tags: ["eps", "config"],
  fix: "unsafe",
  summary: "key that looks like a misspelt eps key",
  messages: {
    misspelled: "`{{key}}` looks like a misspelling of `{{suggestion}}`, which {{config}} reads; the model runs with {{effective}} instead.",
    misspelledDuplicate: "`{{key}}` looks like a misspelling of `{{suggestion}}`, which is also set here ({{effective}}); `{{key}}` is ignored.",
  },
  check(ctx) {
    const config = ctx.config;
    if (!config) return;
    for (const scope of config.scopes) {
      const fam = scope.family;
      if (!fam) continue;
      const readKeys = Object.keys(fam.eps);
      if (readKeys.length === 0) continue;
      for (const prop of properties(scope.node)) {
        const key = prop.key;
        if (isKnownEpsKey(key) || key in fam.eps || key in (fam.normKeys ?? {})) continue;
        const epsLike = /eps|epsilon|espilon|epsi|esp$/i.test(key);
        const maxDistance = epsLike ? Math.max(3, Math.floor(key.length / 2)) : 2;
        const suggestion = closest(key, readKeys, maxDistance);
        if (!suggestion) continue;
        const existing = property(scope.node, suggestion);
        const effective = existing ? formatValue(existing.valueNode.value) : `the default ${formatValue(fam.eps[suggestion])}`;
        // The norms run with this very value anyway (the key read, or its default, holds it): the
        // misspelt key is dead, but no number changes (LiquidAI's LFM2 configs carry block_norm_eps
        // beside an equal norm_eps).
        const same = sameValue(prop.valueNode.value, existing ? existing.valueNode.value : fam.eps[suggestion]);
        const severity = same ? { severity: "info" as const } : {};
        if (existing) {
          ctx.report({ messageId: "misspelledDuplicate", at: prop.keyNode, data: { key, suggestion, effective }, ...severity });
          continue;
        }
        ctx.report({
          messageId: "misspelled",
          at: prop.keyNode,
          ...severity,
          data: { key, suggestion, config: fam.config, effective },
          fixes: [{ title: `Rename to \`${suggestion}\``, safe: false, edits: [{ start: prop.keyNode.offset, end: prop.keyNode.offset + prop.keyNode.length, text: JSON.stringify(suggestion) }] }],
        });
      }
    }
  },
});
