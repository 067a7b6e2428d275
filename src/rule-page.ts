// A rule's documentation page (docs/rules/<name>.md), shared by the generator, which commits it,
// and the extension, which shows it for "Explain Rule": neither face imports the other.
import type { RuleDoc } from "./engine/types";
import { RULES } from "./engine/registry";

/** docs/rules/<name>.md: the page each finding's link (and SARIF helpUri) points at. */
export function rulePage(name: string, doc: RuleDoc): string {
  const r = RULES.find((x) => x.name === name)!;
  const fix = r.fix === "safe" ? "safe fix (applied by `--fix`)" : r.fix === "unsafe" ? "suggested fix (offered in the editor, never applied by `--fix`)" : "no fix";
  return [
    `# ${r.name} (${r.code})`,
    "",
    `Default severity: **${r.severity}**. Tags: ${r.tags.map((t) => `\`${t}\``).join(", ")}. ${fix[0].toUpperCase()}${fix.slice(1)}.`,
    "",
    "## What it does",
    "",
    doc.whatItDoes,
    "",
    "## Why is this bad?",
    "",
    doc.why,
    "",
    "## Example",
    "",
    doc.example,
    "",
    "## Use instead",
    "",
    doc.useInstead,
    "",
    "## Configuration",
    "",
    "```json",
    `{ "rules": { "${r.name}": "off" } }`,
    "```",
    "",
    `Select or ignore it on the command line with \`--select ${r.code}\` / \`--ignore ${r.name}\`.`,
    "",
  ].join("\n");
}
