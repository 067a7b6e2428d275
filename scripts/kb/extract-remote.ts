// npm run kb:extract-remote
//
// Extracts each remote-code family pinned in scripts/kb/remote.json from the files
// scripts/kb/fetch-remote.sh put in .cache/remote/<modelType>/, with the same analysis as transformers'
// own, into scripts/kb/extracted/remote-<modelType>.jsonl (schemas/kb-extraction.schema.json). A family
// whose files are absent, or were fetched at another commit, is skipped and said so.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv from "ajv";
import { toJsonl } from "../../src/engine/knowledge/extract/index";
import { extractRemote, type RemoteEntry } from "../../src/engine/knowledge/extract/remote";
import { createPythonParser } from "../../src/engine/parsers/python";
import { loadPythonWasm } from "../../src/node/wasm";
import { extractedDir, remoteTexts } from "./files";

const root = resolve(__dirname, "..");

async function main() {
  const entries: RemoteEntry[] = JSON.parse(readFileSync(join(root, "scripts", "kb", "remote.json"), "utf8")).families;
  const parser = await createPythonParser(loadPythonWasm([root]));
  const schema = JSON.parse(readFileSync(join(root, "schemas", "kb-extraction.schema.json"), "utf8"));
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);
  let missing = 0;
  for (const e of entries) {
    const dir = join(root, ".cache", "remote", e.modelType);
    const source = existsSync(join(dir, "SOURCE.json")) ? JSON.parse(readFileSync(join(dir, "SOURCE.json"), "utf8")) : undefined;
    // Fetched at another commit, or before remote.json named a file it now needs: fetch again.
    const absent = [e.config, e.modeling, ...(e.modules ?? [])].filter((f) => !existsSync(join(dir, f)));
    if (source?.commit !== e.commit || source?.modelingCommit !== e.modelingFrom?.commit || absent.length) {
      const held = !source ? "is absent" : absent.length ? `lacks ${absent.join(", ")}` : `holds ${source.repo}@${source.commit}${source.modelingCommit ? ` (modeling @${source.modelingCommit})` : ""}`;
      console.warn(`*** ${e.modelType} SKIPPED: .cache/remote/${e.modelType}/ ${held}; run scripts/kb/fetch-remote.sh ***`);
      missing++;
      continue;
    }
    const x = extractRemote(e, remoteTexts(dir, e), parser);
    if (!validate(x)) {
      console.error(JSON.stringify(validate.errors?.slice(0, 10), null, 1));
      throw new Error(`the extraction of ${e.modelType} does not match schemas/kb-extraction.schema.json`);
    }
    const out = join(extractedDir(root), `remote-${e.modelType}.jsonl`);
    writeFileSync(out, toJsonl(x));
    const f = x.families[0];
    console.log(`${e.modelType}: ${f.classes.map((c) => `${c.name} (${c.kind}, ${c.at.length} paths)`).join(", ") || "no norm reached"}${f.gaps?.length ? ` [${f.gaps.join("; ")}]` : ""} -> ${out}`);
  }
  if (missing) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
