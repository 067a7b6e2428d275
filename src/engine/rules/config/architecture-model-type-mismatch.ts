import { describeNorm, family, familiesForArchitecture } from "../../knowledge/index";
import { property } from "../../parsers/json";
import { defineRule } from "../../rule";

/**
 * ## What it does
 * Reports an entry of `architectures` that transformers registers for a different model type than
 * the config's `model_type`, and says when the two families' norms differ.
 *
 * ## Why is this bad?
 * `AutoConfig` trusts `model_type`, while other tools (converters, serving engines) often trust
 * `architectures`. When they disagree, two programs can build different norms from one checkpoint.
 *
 * ## Example
 * `{"model_type": "llama", "architectures": ["Gemma2ForCausalLM"]}`
 *
 * ## Use instead
 * `{"model_type": "gemma2", "architectures": ["Gemma2ForCausalLM"]}`
 */
export default defineRule({
  name: "architecture-model-type-mismatch",
  code: "NL105",
  severity: "info",
  input: "config",
  tags: ["config", "knowledge"],
  fix: "none",
  summary: "architectures entry registered for another model type",
  messages: {
    mismatch: "`{{arch}}` is registered for model_type {{owners}}, not `{{type}}`.",
    mismatchNorm: "`{{arch}}` is registered for model_type {{owners}}, not `{{type}}`, and their norms differ: {{owner}} uses {{theirs}}, {{type}} uses {{ours}}.",
  },
  check(ctx) {
    for (const scope of ctx.config?.scopes ?? []) {
      const fam = scope.family;
      if (!fam || scope.modelType === undefined) continue;
      const arch = property(scope.node, "architectures")?.valueNode;
      if (arch?.type !== "array") continue;
      for (const item of arch.children ?? []) {
        if (item.type !== "string") continue;
        const owners = familiesForArchitecture(item.value as string);
        if (owners.length === 0 || owners.includes(fam.modelType)) continue;
        // A composite's architecture may name its own sub-model type (gemma3 <-> gemma3_text).
        if (owners.some((o) => Object.values(fam.sub ?? {}).includes(o) || family(o)?.sub && Object.values(family(o)?.sub ?? {}).includes(fam.modelType))) continue;
        const other = family(owners[0]);
        const ours = describeNorm(fam);
        const theirs = other ? describeNorm(other) : ours;
        const data = { arch: item.value as string, owners: owners.map((o) => `\`${o}\``).join(" or "), owner: owners[0], type: fam.modelType, theirs, ours };
        ctx.report({ messageId: theirs === ours ? "mismatch" : "mismatchNorm", at: item, data });
      }
    }
  },
});
