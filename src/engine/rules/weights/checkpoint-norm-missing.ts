import { mainNormClasses, normPathRegex, scaleParam } from "../../folder-model";
import { defineRule, type FolderRuleContext } from "../../rule";

/** Which layers the model builds without this norm: listed indices, or those below a config value. */
function absentLayers(rule: number[] | string | undefined, config: Record<string, unknown>): (layer: number) => boolean {
  if (rule === undefined) return () => false;
  if (typeof rule !== "string") return (l) => rule.includes(l);
  const n = config[rule];
  return typeof n === "number" ? (l) => l < n : () => false;
}

/**
 * ## What it does
 * For each per-layer norm of the family (`layers.{N}.input_layernorm.weight`...) that the checkpoint
 * holds for nearly every layer (at least 90%), lists the layers that lack it, and reports a missing
 * final norm when the layers' norms are present. Layers the model builds without that norm (the
 * knowledge base's `absent`: ModernBERT's layer 0, MoE-only norms on dense layers) are not missing.
 *
 * ## Why is this bad?
 * `from_pretrained` initialises a missing norm weight (ones, or zeros for offset families) and only
 * logs a warning; a partial conversion or a dropped shard then runs with untrained norms.
 *
 * ## Example
 * `model.layers.7.post_attention_layernorm.weight` absent while layers 0-6 and 8-31 have it.
 *
 * ## Use instead
 * Re-export the checkpoint so every layer's norm weights are saved.
 */
export default defineRule<"missingLayers", FolderRuleContext<"missingLayers">>({
  name: "checkpoint-norm-missing",
  code: "NL305",
  severity: "error",
  input: "folder",
  tags: ["checkpoint", "norm"],
  fix: "none",
  summary: "norm weights missing from some layers of a checkpoint",
  messages: {
    missingLayers: "`{{pattern}}` is missing for layer(s) {{layers}} of {{total}} in the checkpoint; {{family}} would initialise them instead of loading trained values.",
  },
  check(ctx) {
    const { family: fam, tensorShapes, anchor, fromGguf } = ctx.folder;
    if (!fam || fromGguf || tensorShapes.size === 0) return;
    const names = [...tensorShapes.keys()];
    // Layer indices the checkpoint has at all (any tensor under layers.N.).
    const allLayers = new Set<number>();
    for (const n of names) {
      const m = /(?:^|\.)layers\.(\d+)\./.exec(n);
      if (m) allLayers.add(Number(m[1]));
    }
    if (allLayers.size === 0) return;
    for (const cls of mainNormClasses(fam)) {
      for (const at of cls.at) {
        if (!at.includes("{N}")) continue;
        const re = normPathRegex(at, scaleParam(cls));
        const have = new Set<number>();
        for (const n of names) {
          const m = re.exec(n);
          if (m) have.add(Number(m[2]));
        }
        const byDesign = absentLayers(fam.absent?.[at], ctx.folder.textConfig);
        const expected = [...allLayers].filter((l) => !byDesign(l));
        if (have.size === 0 || have.size / expected.length < 0.9) continue;
        const missing = expected.filter((l) => !have.has(l)).sort((a, b) => a - b);
        if (missing.length === 0) continue;
        ctx.report({
          messageId: "missingLayers",
          file: anchor.file,
          at: anchor.range,
          data: { pattern: `${at.slice(at.indexOf("layers."))}.${scaleParam(cls)}`, layers: missing.slice(0, 10).join(", ") + (missing.length > 10 ? ", ..." : ""), total: allLayers.size, family: fam.modelType },
        });
      }
    }
  },
});
