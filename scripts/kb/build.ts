// npm run kb:build
//
// Builds src/engine/knowledge/families.json, the shipped knowledge base, from the repository alone:
//   scripts/kb/extracted/transformers-<version>.jsonl   the extraction of the pinned transformers release
//   scripts/kb/extracted/remote-*.jsonl                  extractions of remote-code families, pinned by commit
//   scripts/kb/overrides.json                            hand-verified facts extraction cannot decide
//   scripts/kb/layouts.json                              storage-layout facts (GGUF, MLX, Megatron), each
//                                                        citing the converter line; written to
//                                                        src/engine/knowledge/layouts.json
// Every record is checked against schemas/kb-families.schema.json; every place an override and the
// extraction disagree is printed, and report-<version>.md is rewritten against the new families.json.
// Nothing outside the repository is read.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv from "ajv";
import { familiesJson } from "../../src/engine/knowledge/extract/build";
import { buildCommitted, familiesPath, readOverrides, writeReport } from "./files";

const root = resolve(__dirname, "..");
const { files, extractions, built } = buildCommitted(root);

const schema = JSON.parse(readFileSync(join(root, "schemas", "kb-families.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
if (!validate({ _meta: built.meta, families: built.families })) {
  console.error(JSON.stringify(validate.errors?.slice(0, 20), null, 1));
  console.error("families.json would not match schemas/kb-families.schema.json; nothing written");
  process.exit(1);
}
const layouts: { facts: Array<{ id: string; families: string[] }> } = JSON.parse(readFileSync(join(root, "scripts", "kb", "layouts.json"), "utf8"));
const validateLayouts = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(root, "schemas", "kb-layouts.schema.json"), "utf8")));
if (!validateLayouts(layouts as unknown)) {
  console.error(JSON.stringify(validateLayouts.errors?.slice(0, 20), null, 1));
  console.error("scripts/kb/layouts.json does not match schemas/kb-layouts.schema.json; nothing written");
  process.exit(1);
}
const unknownFamilies = layouts.facts.flatMap((f) => f.families.filter((t) => t !== "*" && !(t in built.families)).map((t) => `${f.id}: ${t}`));
if (unknownFamilies.length) {
  console.error(`layouts.json names model types the knowledge base does not have: ${unknownFamilies.join(", ")}; nothing written`);
  process.exit(1);
}
writeFileSync(familiesPath(root), familiesJson(built));
writeFileSync(join(root, "src", "engine", "knowledge", "layouts.json"), `${JSON.stringify(layouts, null, 2)}\n`);
writeReport(root, extractions, built);
const n = Object.keys(built.families).length;
const withNorm = Object.values(built.families).filter((f) => f.norm !== "none").length;
const overridden = Object.keys(readOverrides(root)).filter((k) => !k.startsWith("_")).length;
console.log(`wrote ${layouts.facts.length} layout facts to src/engine/knowledge/layouts.json`);
console.log(`wrote ${n} families (${withNorm} with a norm) from ${files.join(", ")} and ${overridden} overridden model type(s)`);
if (built.disagreements.length) {
  console.log(`${built.disagreements.length} override(s) disagree with the extraction (listed in scripts/kb/extracted/report-${extractions[0].meta.version}.md):`);
  for (const d of built.disagreements) console.log(`  - ${d.length > 300 ? `${d.slice(0, 300)}...` : d}`);
}
