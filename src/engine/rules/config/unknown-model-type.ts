import type { ConfigScope } from "../../config-model";
import { family, modelTypes } from "../../knowledge/index";
import { property } from "../../parsers/json";
import { defineRule } from "../../rule";
import { closest } from "../../util/text";

/**
 * ## What it does
 * Reports a `model_type` that no transformers release in the knowledge base defines, with the
 * nearest known model type when one is close, unless the repository's own code builds the config
 * (`auto_map.AutoConfig` on the object or an enclosing one): that type is the code's (MiniCPM-V's
 * `minicpmv`, Molmo's `molmo`), not a misspelling of a near one.
 *
 * ## Why is this bad?
 * normlint cannot check the norm keys of a family it does not know, and `AutoConfig` cannot load
 * it either unless the repository ships remote code. A near miss (`lamma`) is usually a typo that
 * makes `from_pretrained` fail.
 *
 * ## Example
 * `"model_type": "lamma"`
 *
 * ## Use instead
 * `"model_type": "llama"`
 */
export default defineRule({
  name: "unknown-model-type",
  code: "NL002",
  severity: "info",
  input: "config",
  tags: ["config", "knowledge"],
  fix: "unsafe",
  summary: "model_type that normlint's knowledge base does not know",
  messages: {
    unknown: "Unknown model_type `{{type}}`: normlint has no norm facts for it (custom or remote-code model?).",
    typo: "Unknown model_type `{{type}}`; did you mean `{{suggestion}}`?",
  },
  check(ctx) {
    const known = modelTypes();
    for (const scope of ctx.config?.scopes ?? []) {
      if (scope.modelType === undefined || family(scope.modelType) || !scope.modelTypeNode) continue;
      const type = scope.modelType;
      const normalized = type.toLowerCase().replace(/-/g, "_");
      const suggestion = remoteCodeConfig(scope) ? undefined : (known.find((k) => k.replace(/-/g, "_") === normalized) ?? closest(type, known, type.length > 6 ? 2 : 1));
      if (suggestion) {
        const node = scope.modelTypeNode;
        ctx.report({
          messageId: "typo",
          at: node,
          data: { type, suggestion },
          fixes: [{ title: `Change model_type to "${suggestion}"`, safe: false, edits: [{ start: node.offset, end: node.offset + node.length, text: JSON.stringify(suggestion) }] }],
        });
      } else {
        ctx.report({ messageId: "unknown", at: scope.modelTypeNode, data: { type } });
      }
    }
  },
});

/**
 * The repository's own config class builds this object: `AutoConfig` loads a config with remote code
 * when its `auto_map` names an `AutoConfig` (transformers@5.18.0:models/auto/configuration_auto.py:398,
 * `has_remote_code`), and that class builds its sub-configs.
 */
function remoteCodeConfig(scope: ConfigScope | undefined): boolean {
  for (let s = scope; s; s = s.parent) if (property(property(s.node, "auto_map")?.valueNode, "AutoConfig")) return true;
  return false;
}
