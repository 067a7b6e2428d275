// npm run kb:diff -- <a.jsonl> <b.jsonl> [--out <file.md>]
//
// Compares two extractions written by `npm run kb:extract` (an older and a newer transformers release):
// model types added and removed, conventions changed, keys renamed. Prints a summary and writes the
// full report (default: next to b, as diff-<a version>-<b version>.md).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { diffExtractions, diffMarkdown } from "../../src/engine/knowledge/extract/diff";
import { fromJsonl } from "../../src/engine/knowledge/extract/index";

const root = resolve(__dirname, "..");
const args = process.argv.slice(2);
const outIdx = args.indexOf("--out");
const [fa, fb] = args.filter((x, i) => !x.startsWith("--") && i !== outIdx + 1);
if (!fa || !fb) {
  console.error("usage: npm run kb:diff -- <a.jsonl> <b.jsonl> [--out <file.md>]");
  process.exit(2);
}
const a = fromJsonl(readFileSync(fa, "utf8"));
const b = fromJsonl(readFileSync(fb, "utf8"));
const external = JSON.parse(readFileSync(join(root, "scripts", "kb", "overrides.json"), "utf8"))._external ?? {};
const d = diffExtractions(a, b, external);
const md = diffMarkdown(a, b, d);
const out = outIdx >= 0 ? resolve(args[outIdx + 1]) : join(dirname(resolve(fb)), `diff-${a.meta.version}-${b.meta.version}.md`);
writeFileSync(out, md);
console.log(md.split("\n## Added")[0].trim());
console.log(`report: ${out}`);
