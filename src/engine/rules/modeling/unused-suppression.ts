import { defineRule, type PythonRuleContext, type SuppressionUse } from "../../rule";
import type { TextEdit } from "../../types";

type M = "unused" | "unknown";

/**
 * ## What it does
 * Reports a `# normlint: ignore[...]` or `# normlint: file-ignore[...]` comment, or one selector in
 * it, that silenced nothing, and selectors that name no rule, code or tag.
 *
 * ## Why is this bad?
 * A stale suppression hides the next real finding on that line, and a misspelt one silences
 * nothing while looking as if it did.
 *
 * ## Example
 * `self.eps = eps  # normlint: ignore[norm-eps-mismatch]` on a line with no finding.
 *
 * ## Use instead
 * Remove the comment (the safe fix does), or fix the rule name.
 */
export default defineRule<M, PythonRuleContext<M>>({
  name: "unused-suppression",
  code: "NL900",
  severity: "info",
  input: "python",
  tags: ["meta"],
  fix: "safe",
  summary: "suppression comment that silenced nothing",
  messages: {
    unused: "Unused suppression: `{{selector}}` silenced nothing{{where}}.",
    unknown: "Unknown rule `{{selector}}` in a normlint suppression.",
  },
  check(ctx) {
    for (const u of ctx.suppressionUses ?? []) {
      const s = u.suppression;
      const stale = s.selectors.map((_, i) => u.unknown[i] || (u.active[i] && !u.used[i]));
      if (!stale.some(Boolean)) continue;
      const allStale = stale.every(Boolean);
      s.selectors.forEach((sel, i) => {
        if (!stale[i]) return;
        const edits: TextEdit[] = allStale ? removeDirective(ctx.text, s) : removeSelector(ctx.text, s, i);
        ctx.report({
          messageId: u.unknown[i] ? "unknown" : "unused",
          at: s.selectorRanges[i],
          data: { selector: sel, where: s.kind === "file-ignore" ? " in this file" : " on its line" },
          // Only the first stale selector of a comment carries the fix, so fixes never overlap.
          fixes: i === stale.indexOf(true) ? [{ title: allStale ? "Remove the suppression comment" : `Remove \`${sel}\``, safe: true, edits }] : [],
        });
      });
    }
  },
});

function removeDirective(text: string, s: SuppressionUse["suppression"]): TextEdit[] {
  const commentText = text.slice(s.comment.start, s.comment.end);
  const rest = (commentText.slice(0, s.directive.start - s.comment.start) + commentText.slice(s.directive.end - s.comment.start)).replace(/^#\s*/, "").trim();
  if (rest) return [{ start: s.directive.start, end: s.directive.end, text: "" }];
  // The whole comment goes, with the spaces before it; a line holding only the comment goes entirely.
  let start = s.comment.start;
  while (start > 0 && (text[start - 1] === " " || text[start - 1] === "\t")) start--;
  let end = s.comment.end;
  if (start === 0 || text[start - 1] === "\n") {
    if (text[end] === "\r") end++;
    if (text[end] === "\n") end++;
  }
  return [{ start, end, text: "" }];
}

function removeSelector(text: string, s: { selectorRanges: Array<{ start: number; end: number }> }, i: number): TextEdit[] {
  const r = s.selectorRanges[i];
  let start = r.start;
  let end = r.end;
  const after = /^\s*,\s*/.exec(text.slice(end));
  if (after && i < s.selectorRanges.length - 1) end += after[0].length;
  else {
    const before = /\s*,\s*$/.exec(text.slice(0, start));
    if (before) start -= before[0].length;
  }
  return [{ start, end, text: "" }];
}
