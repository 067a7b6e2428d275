// A transformers package folder on disk as the extraction's SourceFiles (the engine does no I/O).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SourceFiles } from "../../src/engine/knowledge/extract/index";

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
