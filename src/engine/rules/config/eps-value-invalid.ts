import { isKnownEpsKey } from "../../knowledge/index";
import { nodeValue, properties } from "../../parsers/json";
import { defineRule } from "../../rule";
import { formatValue } from "../../util/text";

/** Plausible eps range: BERT's 1e-12 to 1e-2; outside it the value is almost certainly a mistake. */
export const EPS_MIN = 1e-12;
export const EPS_MAX = 1e-2;

/**
 * ## What it does
 * Checks the value of every eps key: an error when it is not a number, NaN, infinite, zero or
 * negative; a warning when it lies outside 1e-12..1e-2.
 *
 * ## Why is this bad?
 * A string eps (`"1e-6"`) fails deep inside the first forward pass; zero divides by zero on an
 * all-zero row; a negative or NaN eps turns activations into NaN; an eps of 0.1 swamps the
 * statistics of small activations. None of these is caught when the config loads.
 *
 * ## Example
 * `"rms_norm_eps": "1e-6"`
 *
 * ## Use instead
 * `"rms_norm_eps": 1e-6`
 */
export default defineRule({
  name: "eps-value-invalid",
  code: "NL103",
  severity: "error",
  input: "config",
  tags: ["eps", "config"],
  fix: "unsafe",
  summary: "eps that is not a positive finite number, or implausibly large or small",
  messages: {
    notNumber: "`{{key}}` must be a number, not {{value}}.",
    notFinite: "`{{key}}` is {{value}}; the norm's output becomes NaN.",
    notPositive: "`{{key}}` is {{value}}; eps must be > 0 (zero divides by zero on an all-zero row, a negative one yields NaN).",
    outOfRange: "`{{key}}` = {{value}} is outside the plausible range 1e-12..1e-2 for a norm eps.",
  },
  check(ctx) {
    const config = ctx.config;
    if (!config) return;
    for (const scope of config.scopes) {
      for (const prop of properties(scope.node)) {
        const checked = scope.family ? prop.key in scope.family.eps : isKnownEpsKey(prop.key);
        if (!checked) continue;
        const node = prop.valueNode;
        const value = nodeValue(config.doc, node);
        const data = { key: prop.key, value: formatValue(value) };
        if (typeof value !== "number") {
          const asNumber = typeof value === "string" ? Number(value) : Number.NaN;
          const fixes = typeof value === "string" && value.trim() !== "" && Number.isFinite(asNumber) && asNumber > 0
            ? [{ title: `Use the number ${value.trim()}`, safe: false, edits: [{ start: node.offset, end: node.offset + node.length, text: value.trim() }] }]
            : [];
          ctx.report({ messageId: "notNumber", at: node, data: { ...data, value: node.type === "null" ? "null" : `${node.type} ${formatValue(value)}` }, fixes });
        } else if (!Number.isFinite(value)) ctx.report({ messageId: "notFinite", at: node, data });
        else if (value <= 0) ctx.report({ messageId: "notPositive", at: node, data });
        else if (value < EPS_MIN || value > EPS_MAX) ctx.report({ messageId: "outOfRange", at: node, data, severity: "warning" });
      }
    }
  },
});
