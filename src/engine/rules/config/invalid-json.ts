import { defineRule } from "../../rule";

/**
 * ## What it does
 * Flags a config.json that Python's `json` module cannot load: a syntax error, a truncated file, a
 * byte order mark, comments, trailing commas, nesting deeper than any config needs, binary data or
 * bytes that are not UTF-8.
 *
 * ## Why is this bad?
 * `transformers` reads config.json with `json.loads`; any of these makes `from_pretrained` fail,
 * and tools that parse leniently (editors, JSONC readers) hide the problem until load time.
 *
 * ## Example
 * `{"model_type": "llama", "rms_norm_eps": 1e-6,}`
 *
 * ## Use instead
 * `{"model_type": "llama", "rms_norm_eps": 1e-6}`
 */
export default defineRule({
  name: "invalid-json",
  code: "NL001",
  severity: "error",
  input: "config",
  tags: ["syntax", "config"],
  fix: "safe",
  summary: "config.json that Python's json module cannot load",
  messages: {
    syntax: "Invalid JSON: {{detail}}.",
    bom: "The file starts with a UTF-8 byte order mark; Python's json.loads rejects it.",
    comment: "JSON has no comments; Python's json.loads rejects this.",
    trailingComma: "Trailing comma; Python's json.loads rejects it.",
    tooDeep: "Invalid JSON for Python: {{detail}}.",
    undecodable: "Not a text file: {{detail}}; config.json must be UTF-8 JSON.",
    unreadable: "Cannot read this file: {{detail}}.",
  },
  check(ctx) {
    if (ctx.decodeProblem) {
      ctx.report({ messageId: "undecodable", at: { start: 0, end: 0 }, data: { detail: ctx.decodeProblem.detail } });
      return;
    }
    for (const p of ctx.config?.doc.problems ?? []) {
      const at = { start: p.start, end: p.end };
      switch (p.kind) {
        case "bom":
          ctx.report({ messageId: "bom", at, fixes: [{ title: "Remove the byte order mark", safe: true, edits: [{ ...at, text: "" }] }] });
          break;
        case "trailing-comma":
          ctx.report({ messageId: "trailingComma", at, fixes: [{ title: "Remove the trailing comma", safe: true, edits: [{ ...at, text: "" }] }] });
          break;
        case "comment":
          // Deleting a comment deletes the author's words: offered, never applied by --fix.
          ctx.report({ messageId: "comment", at, fixes: [{ title: "Delete the comment", safe: false, edits: [{ ...at, text: "" }] }] });
          break;
        case "too-deep":
          ctx.report({ messageId: "tooDeep", at, data: { detail: p.detail } });
          break;
        default:
          ctx.report({ messageId: "syntax", at, data: { detail: p.detail } });
      }
    }
  },
});
