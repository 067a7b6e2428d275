import { defineRule, type PythonRuleContext } from "../../rule";

type M = "undecodable" | "tooLarge" | "notebook" | "syntax" | "internal" | "partial";

/**
 * ## What it does
 * Reports a Python file or notebook that normlint could not analyse, or could analyse only in
 * part: bytes that are not UTF-8 text, a file over the size cap, notebook JSON that does not load,
 * and (as information) syntax errors, around which the analysis skips what does not parse.
 *
 * ## Why is this bad?
 * A file that was not analysed has no findings, which looks the same as a clean file. This says
 * which files were skipped and why.
 *
 * ## Example
 * A `.ipynb` truncated in the middle of a cell, or a `modeling.py` saved as UTF-16.
 *
 * ## Use instead
 * Save the file as UTF-8, repair the notebook JSON (re-save it from Jupyter), or raise
 * `maxFileSize` in `.normlint.json`.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "source-unreadable",
  code: "NL200",
  severity: "warning",
  input: "python",
  tags: ["modeling", "syntax"],
  fix: "none",
  summary: "Python file or notebook that could not be analysed",
  messages: {
    undecodable: "Not analysed: {{detail}}; Python source must be UTF-8 text.",
    tooLarge: "Skipped: {{size}} is over the {{cap}} size cap (maxFileSize).",
    notebook: "Not analysed: the notebook does not load ({{detail}}).",
    syntax: "Syntax error: {{detail}}; the norm analysis skips what does not parse here.",
    internal: "Not analysed: {{detail}}.",
    partial: "Part not analysed ({{part}}): normlint internal error: {{detail}}; the rest of the file was checked.",
  },
  check(ctx) {
    if (ctx.decodeProblem) ctx.report({ messageId: ctx.decodeProblem.kind === "internal" ? "internal" : "undecodable", at: { start: 0, end: 0 }, data: { detail: ctx.decodeProblem.detail } });
    if (ctx.tooLarge) ctx.report({ messageId: "tooLarge", at: { start: 0, end: 0 }, data: ctx.tooLarge });
    if (ctx.notebookProblem) ctx.report({ messageId: "notebook", at: ctx.notebookProblem, data: { detail: ctx.notebookProblem.detail } });
    // An analysis failure is contained to the definition (or the pass) it happened in: a note.
    for (const f of ctx.module?.failures ?? []) ctx.report({ messageId: "partial", at: f.range, severity: "info", data: { part: f.part, detail: f.message } });
    const errors = ctx.module?.syntaxErrors ?? [];
    // One finding per broken region is enough; the first few say where to look.
    for (const e of errors.slice(0, 5)) {
      ctx.report({ messageId: "syntax", at: e, severity: "info", data: { detail: e.missing ? `missing \`${ctx.text.slice(e.start, e.end) || "token"}\`` : "unexpected input" } });
    }
  },
});
