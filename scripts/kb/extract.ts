// npm run kb:extract -- <transformers package folder> [--out <dir>]
//
// Extracts every model type's norm facts from a transformers package folder (the `transformers/`
// folder of an unpacked wheel, see scripts/kb/fetch-transformers-wheel.sh) with normlint's own Python
// analysis, and writes into <dir> (default scripts/kb/extracted/):
//   transformers-<version>.jsonl   the extraction, one model type per line (schemas/kb-extraction.schema.json)
//   report-<version>.md            what kb:build would make of it (with the committed remote-code extractions
//                                  and the overrides) compared with the shipped families.json, record by
//                                  record, and every place a hand-verified override disagrees with the extraction
// Nothing outside the repository and the given folder is read.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import Ajv from "ajv";
import { loadPythonWasm } from "../../src/node/wasm";
import { extractKnowledge, toJsonl } from "../../src/engine/knowledge/extract/index";
import { PINNED } from "../../src/engine/knowledge/extract/pin";
import { buildCommitted, folderFiles, writeReport } from "./files";
import { createPythonParser } from "../../src/engine/parsers/python";

const root = resolve(__dirname, "..");
const args = process.argv.slice(2);
const pkg = args.find((a) => !a.startsWith("--"));
const outIdx = args.indexOf("--out");
const outDir = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, "scripts", "kb", "extracted"));
if (!pkg || !existsSync(join(pkg, "models", "auto"))) {
  console.error("usage: npm run kb:extract -- <transformers package folder (with models/auto/)> [--out <dir>]");
  process.exit(2);
}

async function main() {
  const sourceJson = join(dirname(resolve(pkg!)), "SOURCE.json");
  const source = existsSync(sourceJson) ? JSON.parse(readFileSync(sourceJson, "utf8")) : {};
  const version = source.version ?? /^__version__ = "(.*)"/m.exec(readFileSync(join(pkg!, "__init__.py"), "utf8"))?.[1] ?? "unknown";
  const parser = await createPythonParser(loadPythonWasm([root]));
  const t0 = performance.now();
  const x = extractKnowledge(folderFiles(resolve(pkg!)), parser, { version, wheel: source.wheel, sha256: source.sha256 });
  const seconds = (performance.now() - t0) / 1000;

  const schema = JSON.parse(readFileSync(join(root, "schemas", "kb-extraction.schema.json"), "utf8"));
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
  if (!validate(x)) {
    console.error(JSON.stringify(validate.errors?.slice(0, 20), null, 1));
    throw new Error("the extraction does not match schemas/kb-extraction.schema.json");
  }
  mkdirSync(outDir, { recursive: true });
  const jsonl = join(outDir, `transformers-${version}.jsonl`);
  writeFileSync(jsonl, toJsonl(x));
  // Built as kb:build will once the pin names this version: in place of the pinned transformers
  // extraction, with the committed remote-code extractions.
  const { extractions, built } = buildCommitted(root, { [`transformers-${PINNED}.jsonl`]: x });
  const summary = writeReport(root, extractions, built, outDir);
  const withNorms = x.families.filter((f) => f.classes.length).length;
  console.log(`extracted ${x.families.length} model types (${withNorms} with norms) of transformers ${version} in ${seconds.toFixed(1)} s -> ${jsonl}`);
  console.log(summary);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
