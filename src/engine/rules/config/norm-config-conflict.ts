import type { Family } from "../../knowledge/index";
import { deletePropertyEdit, nodeValue, properties } from "../../parsers/json";
import { defineRule } from "../../rule";
import { formatValue } from "../../util/text";
import { familyLabel } from "./shared";

type Claim = "RMSNorm" | "LayerNorm" | "a (1 + weight) offset" | "no weight offset" | "QK norms";

/** What a key that the family does not read claims about the norm, if anything. */
export function claimOf(key: string, value: unknown): Claim | undefined {
  const k = key.toLowerCase();
  if (typeof value === "boolean") {
    if (/(^|_)(use_)?rms_?norm($|_)|rmsnorm/.test(k)) return value ? "RMSNorm" : "LayerNorm";
    if (/gemma_?norm|unit_offset|zero_centered_gamma|layernorm_?1p|norm_?1p|norm_plus_one|add_one_to_norm/.test(k)) return value ? "a (1 + weight) offset" : "no weight offset";
    if (/^(use_)?qk_?(layer_?)?norms?$|^(use_)?query_key_norm$/.test(k)) return value ? "QK norms" : undefined;
    return undefined;
  }
  if (typeof value === "string" && /(^|_)norm(alization)?(_?(type|class|kind|name|fn|layer))?$|layer_norm_type/.test(k)) {
    const v = value.toLowerCase();
    if (/rms/.test(v)) return "RMSNorm";
    if (/^(layer_?norm|ln|layer|nn\.layernorm|low_precision_layernorm)$/.test(v)) return "LayerNorm";
    if (/layernorm_?1p|gemma/.test(v)) return "a (1 + weight) offset";
  }
  return undefined;
}

function hasQkNorm(f: Family): boolean {
  return (f.classes ?? []).some((c) => c.at.some((p) => /(^|\.)(q|k)_(norm|layernorm)$|query_norm|key_norm|q_ln|k_ln/.test(p)));
}

function contradicts(claim: Claim, f: Family): string | undefined {
  if (f.norm !== "rms" && f.norm !== "layer") return undefined;
  switch (claim) {
    case "RMSNorm":
      return f.norm === "layer" ? "LayerNorm" : undefined;
    case "LayerNorm":
      return f.norm === "rms" ? "RMSNorm" : undefined;
    case "a (1 + weight) offset":
      return f.offset ? undefined : "x * weight (no offset)";
    case "no weight offset":
      return f.offset ? "x * (1 + weight)" : undefined;
    case "QK norms":
      return hasQkNorm(f) ? undefined : "no QK norms";
  }
}

/**
 * ## What it does
 * Flags keys that claim a norm the family does not use, such as `"rmsnorm": true` on BLOOM (a
 * LayerNorm model), `"norm_type": "layernorm"` on Llama, `"use_gemma_norm": true` on a model
 * without the (1 + weight) offset, or `"use_qk_norm": true` on a family with no QK norms.
 *
 * ## Why is this bad?
 * The family's code never reads these keys, so the model keeps its own norm; whoever wrote the key
 * expected different numerics, often because the weights were trained or converted for them.
 *
 * ## Example
 * `{"model_type": "bloom", "rmsnorm": true}`
 *
 * ## Use instead
 * Remove the key, or use the model type whose code implements that norm.
 */
export default defineRule({
  name: "norm-config-conflict",
  code: "NL104",
  severity: "warning",
  input: "config",
  tags: ["config", "norm"],
  fix: "unsafe",
  summary: "key that claims a norm the family does not use",
  messages: {
    conflict: "`{{key}}: {{value}}` claims {{claim}}, but {{config}} does not read `{{key}}`: {{family}} uses {{actual}}.",
  },
  check(ctx) {
    const config = ctx.config;
    if (!config) return;
    for (const scope of config.scopes) {
      const fam = scope.family;
      if (!fam) continue;
      for (const prop of properties(scope.node)) {
        if (prop.key in fam.eps || prop.key in (fam.normKeys ?? {})) continue;
        const value = nodeValue(config.doc, prop.valueNode);
        const claim = claimOf(prop.key, value);
        const actual = claim && contradicts(claim, fam);
        if (!claim || !actual) continue;
        ctx.report({
          messageId: "conflict",
          at: prop.node,
          data: { key: prop.key, value: formatValue(value), claim, config: fam.config, family: familyLabel(fam), actual },
          fixes: [{ title: `Remove \`${prop.key}\``, safe: false, edits: [deletePropertyEdit(ctx.text, scope.node, prop.node)] }],
        });
      }
    }
  },
});
