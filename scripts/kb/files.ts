// Node I/O for the knowledge-base tools and tests (the engine does none): a package folder on disk as
// the extraction's SourceFiles, and the committed extractions and overrides that kb:build compiles.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildKnowledge, type BuiltKnowledge, type FamilyRecord } from "../../src/engine/knowledge/extract/build";
import type { Overrides } from "../../src/engine/knowledge/extract/compare";
import { type Extraction, fromJsonl, type SourceFiles } from "../../src/engine/knowledge/extract/index";
import type { RemoteEntry } from "../../src/engine/knowledge/extract/remote";
import { PINNED } from "../../src/engine/knowledge/extract/pin";
import { extractionReport, type NoNormList } from "../../src/engine/knowledge/extract/report";

export function folderFiles(dir: string): SourceFiles {
  return {
    list: (d) => {
      try {
        return readdirSync(join(dir, d)).sort();
      } catch {
        return [];
      }
    },
    read: (p) => {
      try {
        return readFileSync(join(dir, p), "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

export const extractedDir = (root: string) => join(root, "scripts", "kb", "extracted");
export const familiesPath = (root: string) => join(root, "src", "engine", "knowledge", "families.json");

/** The committed extraction files kb:build reads, transformers first: `transformers-<pinned>.jsonl`, then `remote-*.jsonl`. */
export function committedFiles(root: string): string[] {
  return [`transformers-${PINNED}.jsonl`, ...readdirSync(extractedDir(root)).filter((f) => /^remote-.*\.jsonl$/.test(f)).sort()];
}

export function readOverrides(root: string): Overrides {
  return JSON.parse(readFileSync(join(root, "scripts", "kb", "overrides.json"), "utf8"));
}

/** The shipped records of families.json. */
export function shippedFamilies(root: string): Record<string, FamilyRecord> {
  return JSON.parse(readFileSync(familiesPath(root), "utf8")).families;
}

/**
 * The knowledge base kb:build makes from the committed extractions, with `replace` standing in for the
 * committed file of the same name (a fresh extraction of the pinned wheel or of a remote repository).
 */
export function buildCommitted(root: string, replace: Record<string, Extraction> = {}): { files: string[]; extractions: Extraction[]; built: BuiltKnowledge } {
  const files = committedFiles(root);
  for (const f of Object.keys(replace)) if (!files.includes(f)) files.push(f);
  const extractions = files.map((f) => replace[f] ?? fromJsonl(readFileSync(join(extractedDir(root), f), "utf8")));
  return { files, extractions, built: buildKnowledge(extractions, readOverrides(root)) };
}

/** scripts/kb/no-norm.json: the model types that build no norm of their own. */
export function readNoNorm(root: string): NoNormList {
  return JSON.parse(readFileSync(join(root, "scripts", "kb", "no-norm.json"), "utf8"));
}

/** Writes report-<version>.md for the transformers extraction (the first) against the shipped families.json. */
export function writeReport(root: string, extractions: Extraction[], built: BuiltKnowledge, outDir = extractedDir(root)): string {
  const x = extractions[0];
  const report = extractionReport(x, built, shippedFamilies(root), readOverrides(root), readNoNorm(root));
  writeFileSync(join(outDir, `report-${x.meta.version}.md`), report.markdown);
  return report.summary;
}

/** The files of a remote-code family as scripts/kb/fetch-remote.sh put them in `dir`, for extractRemote. */
export function remoteTexts(dir: string, e: RemoteEntry): { config: string; modeling: string; modules: Record<string, string> } {
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { config: read(e.config), modeling: read(e.modeling), modules: Object.fromEntries((e.modules ?? []).map((m) => [m, read(m)])) };
}
