import { defineRule } from "../../rule";

/**
 * ## What it does
 * Reports a config file larger than the size cap (`maxFileSize` in `.normlint.json`, 8 MiB by
 * default), which normlint skips instead of parsing.
 *
 * ## Why is this bad?
 * A real config.json is a few kilobytes; a file of many megabytes named config.json is usually a
 * misplaced data file. Skipping it keeps a workspace lint fast, and this finding says it happened.
 *
 * ## Example
 * A 50 MB `config.json` holding an exported tensor as a JSON list.
 *
 * ## Use instead
 * Keep data out of config.json, or raise `maxFileSize` for this folder.
 */
export default defineRule({
  name: "file-too-large",
  code: "NL003",
  severity: "warning",
  input: "config",
  tags: ["config"],
  fix: "none",
  summary: "config file over the size cap, skipped",
  messages: {
    tooLarge: "Skipped: {{size}} is over the {{cap}} size cap for config files (maxFileSize).",
  },
  check(ctx) {
    if (ctx.tooLarge) ctx.report({ messageId: "tooLarge", at: { start: 0, end: 0 }, data: ctx.tooLarge });
  },
});
