import { defineRule } from "../../rule";

/**
 * ## What it does
 * Reports a `.normlint.json` that is not valid JSON or does not match its schema: an unknown rule,
 * a severity other than off/info/warning/error, a malformed `overrides` or `ignore` entry.
 *
 * ## Why is this bad?
 * A broken configuration silently falls back to the defaults, so a rule someone turned off comes
 * back, or an ignore stops working, without anybody knowing why.
 *
 * ## Example
 * `{"rules": {"eps-key-unsued": "off"}}`
 *
 * ## Use instead
 * `{"rules": {"eps-key-unused": "off"}}`
 */
export default defineRule({
  name: "invalid-normlint-config",
  code: "NL005",
  severity: "error",
  input: "normlint-config",
  tags: ["config"],
  fix: "none",
  summary: ".normlint.json that is invalid (normlint falls back to defaults)",
  messages: {
    invalid: "Invalid .normlint.json: {{detail}}",
  },
  check() {
    // Reported by the configuration loader (settings.ts), which knows the ranges.
  },
});
