import { family, modelTypes } from "../../knowledge/index";
import { defineRule } from "../../rule";
import { closest } from "../../util/text";

/**
 * ## What it does
 * Reports a `model_type` that no transformers release in the knowledge base defines, with the
 * nearest known model type when one is close.
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
      const suggestion = known.find((k) => k.replace(/-/g, "_") === normalized) ?? closest(type, known, type.length > 6 ? 2 : 1);
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
