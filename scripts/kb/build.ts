// npm run kb:build
//
// Builds src/engine/knowledge/families.json, the shipped knowledge base, from the repository alone:
//   scripts/kb/extracted/transformers-<version>.jsonl   the extraction of the pinned transformers release
//   scripts/kb/extracted/remote-*.jsonl                  extractions of remote-code families, pinned by commit
//   scripts/kb/overrides.json                            hand-verified facts extraction cannot decide
// Every record is checked against schemas/kb-families.schema.json; every place an override and the
// extraction disagree is printed (and listed in the extraction report). Nothing outside the repository is read.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv from "ajv";
import { buildKnowledge, familiesJson } from "../../src/engine/knowledge/extract/build";
import type { Overrides } from "../../src/engine/knowledge/extract/compare";
import { fromJsonl } from "../../src/engine/knowledge/extract/index";
import { PINNED } from "../../src/engine/knowledge/extract/pin";

const root = resolve(__dirname, "..");
const dir = join(root, "scripts", "kb", "extracted");
const files = [`transformers-${PINNED}.jsonl`, ...readdirSync(dir).filter((f) => /^remote-.*\.jsonl$/.test(f)).sort()];
const extractions = files.map((f) => fromJsonl(readFileSync(join(dir, f), "utf8")));
const overrides: Overrides = JSON.parse(readFileSync(join(root, "scripts", "kb", "overrides.json"), "utf8"));
const built = buildKnowledge(extractions, overrides);

const schema = JSON.parse(readFileSync(join(root, "schemas", "kb-families.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
if (!validate({ _meta: built.meta, families: built.families })) {
  console.error(JSON.stringify(validate.errors?.slice(0, 20), null, 1));
  console.error("families.json would not match schemas/kb-families.schema.json; nothing written");
  process.exit(1);
}
writeFileSync(join(root, "src", "engine", "knowledge", "families.json"), familiesJson(built));
const n = Object.keys(built.families).length;
const withNorm = Object.values(built.families).filter((f) => f.norm !== "none").length;
console.log(`wrote ${n} families (${withNorm} with a norm) from ${files.join(", ")} and ${Object.keys(overrides).filter((k) => !k.startsWith("_")).length} overridden model type(s)`);
if (built.disagreements.length) {
  console.log(`${built.disagreements.length} override(s) disagree with the extraction:`);
  for (const d of built.disagreements) console.log(`  - ${d}`);
}
