// The layout's boundaries (STYLE.md): the two faces never import each other, and the Node layer they
// share imports neither. Every import form counts: `import`, `export ... from`, `import()` and require.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "..", "src");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The top-level folder of src/ (or the file name for src/*.ts) each relative import of `file` reaches. */
function importedLayers(file: string): Array<{ spec: string; layer: string }> {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
  return specs
    .filter((s) => s.startsWith("."))
    .map((spec) => ({ spec, layer: relative(SRC, resolve(dirname(file), spec)).split(sep)[0] }));
}

const FORBIDDEN: Record<string, string[]> = {
  extension: ["cli", "generate"],
  cli: ["extension"],
  node: ["cli", "extension", "generate"],
};

describe("layers", () => {
  for (const [layer, banned] of Object.entries(FORBIDDEN)) {
    it(`src/${layer} imports nothing from ${banned.map((b) => `src/${b}`).join(" or ")}`, () => {
      const files = tsFiles(join(SRC, layer));
      expect(files.length).toBeGreaterThan(0);
      const bad = files.flatMap((f) => importedLayers(f).filter((i) => banned.includes(i.layer)).map((i) => `${relative(SRC, f)} imports ${i.spec}`));
      expect(bad).toEqual([]);
    });
  }

  it("the import scanner sees every form (a check of the check)", () => {
    const probe = join(SRC, "extension", "controller.ts");
    const layers = importedLayers(probe).map((i) => i.layer);
    expect(layers).toContain("engine");
    expect(layers).toContain("extension");
  });
});
