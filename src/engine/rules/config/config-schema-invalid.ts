import { isKnownEpsKey } from "../../knowledge/index";
import { nodeAtPointer, nodeValue } from "../../parsers/json";
import { defineRule } from "../../rule";

/**
 * ## What it does
 * Validates each model config object against normlint's JSON Schemas: a base schema for keys every
 * Hugging Face config shares (`architectures` a list of strings, `num_hidden_layers` a
 * non-negative integer...) and the family's schema for its norm keys (`use_qk_norm` a boolean...).
 * Eps values are left to `eps-value-invalid`.
 *
 * ## Why is this bad?
 * transformers stores whatever the file says; a `"use_qk_norm": "false"` string is truthy in Python
 * and switches the norm on.
 *
 * ## Example
 * `{"model_type": "olmoe", "norm_topk_prob": "false"}`
 *
 * ## Use instead
 * `{"model_type": "olmoe", "norm_topk_prob": false}`
 */
export default defineRule({
  name: "config-schema-invalid",
  code: "NL106",
  severity: "warning",
  input: "config",
  tags: ["config", "schema"],
  fix: "none",
  summary: "config key whose value has the wrong type for the family",
  messages: {
    invalid: "`{{path}}` {{message}}.",
  },
  check(ctx) {
    const config = ctx.config;
    if (!config) return;
    for (const scope of config.scopes) {
      const value = nodeValue(config.doc, scope.node);
      const seen = new Set<string>();
      for (const err of ctx.validateSchema(scope.family?.modelType, value)) {
        const pointer = err.instancePath;
        const top = pointer.split("/")[1]?.replace(/~1/g, "/").replace(/~0/g, "~") ?? "";
        if (isKnownEpsKey(top) || seen.has(pointer)) continue;
        seen.add(pointer);
        const node = nodeAtPointer(scope.node, pointer) ?? scope.node;
        const path = [scope.path, pointer.slice(1).replace(/\//g, ".")].filter(Boolean).join(".") || "(root)";
        ctx.report({ messageId: "invalid", at: node, data: { path, message: err.message } });
      }
    }
  },
});
