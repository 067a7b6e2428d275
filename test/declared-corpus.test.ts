// Precision on the projects that declare norm conventions for families (TransformerLens, Liger-Kernel,
// axolotl, litgpt, gemma_pytorch, mlx-lm, llama.cpp), exported into .cache/declared/ by
// scripts/corpus/fetch-declared.sh. Every finding of the declared-convention rules must be one that
// docs/findings.md writes up (for the commits it pins), and the declarations those projects get right
// must be recognised. Without the cache the suite is skipped and says so.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { admits } from "../src/engine/analysis/conversions";
import type { DeclaredConventions } from "../src/engine/analysis/declared-types";
import { loadPythonWasm } from "../src/node/wasm";
import { defaultSettings, type Finding } from "../src/engine/index";
import { createPythonParser, lintPython, type PythonParser } from "../src/engine/python";
import { LineIndex } from "../src/engine/util/text";

const root = join(__dirname, "..");
const cache = join(root, ".cache", "declared");
const projects = existsSync(cache) ? readdirSync(cache).filter((p) => existsSync(join(cache, p, "SOURCE.json"))).sort() : [];
if (!projects.length) {
  console.warn("\n*** declared-conventions corpus SKIPPED: .cache/declared/ is absent. Run scripts/corpus/fetch-declared.sh <project>=<git dir> ... to enable it. ***\n");
}

const RULES = new Set(["declared-offset-contradicts-family", "converter-offset-contradicts-family", "declared-norm-kind-contradicts-family", "declared-casting-contradicts-family"]);

let parser: PythonParser;
const results = new Map<string, { findings: Finding[]; declared?: DeclaredConventions; text: string }>();

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : f.endsWith(".py") ? [p] : [];
  });
}

/**
 * The commits docs/findings.md pins per project, and the findings it writes up: its first part only,
 * before "## Whole projects", since the later corpora have projects of the same names (the recall
 * corpus's `axolotl`, `mlx-lm`) with findings of other rules.
 */
function documented(): { commits: Map<string, string>; findings: Set<string> } {
  const all = readFileSync(join(root, "docs", "findings.md"), "utf8");
  const end = all.indexOf("\n## Whole projects");
  expect(end, "docs/findings.md has no \"## Whole projects\" section ending the declared corpus's").toBeGreaterThan(0);
  const text = all.slice(0, end);
  const commits = new Map<string, string>();
  for (const m of text.matchAll(/^\| `([\w.-]+)` \| `([0-9a-f]{40})` \|/gm)) commits.set(m[1], m[2]);
  const findings = new Set<string>();
  for (const m of text.matchAll(/^\| `([^`]+:\d+)` \| `([a-z-]+)` \|/gm)) findings.add(`${m[1]} ${m[2]}`);
  return { commits, findings };
}

describe.skipIf(!projects.length)("declared-conventions corpus", () => {
  beforeAll(async () => {
    parser = await createPythonParser(loadPythonWasm([root]));
    for (const project of projects) {
      for (const file of files(join(cache, project))) {
        const text = readFileSync(file, "utf8");
        const r = lintPython({ path: file, text }, defaultSettings(), parser);
        results.set(relative(cache, file), { findings: r.findings.filter((f) => RULES.has(f.rule)), declared: r.module?.declared, text });
      }
    }
  });

  it("reports exactly the findings docs/findings.md writes up", () => {
    const { commits, findings: written } = documented();
    const found = new Set<string>();
    for (const [file, r] of results) {
      const idx = new LineIndex(r.text);
      for (const f of r.findings) found.add(`${file}:${idx.position(f.start).line} ${f.rule}`);
    }
    const pinned = projects.filter((p) => {
      const src = JSON.parse(readFileSync(join(cache, p, "SOURCE.json"), "utf8")) as { commit: string };
      if (commits.get(p) === src.commit) return true;
      console.warn(`declared corpus: ${p} is at ${src.commit}, docs/findings.md pins ${commits.get(p) ?? "nothing"}; its findings are listed, not compared`);
      return false;
    });
    const inPinned = (key: string) => pinned.some((p) => key.startsWith(`${p}/`));
    console.log(`declared corpus: ${results.size} files of ${projects.length} projects, ${found.size} findings:\n${[...found].sort().join("\n")}`);
    expect([...found].filter(inPinned).sort()).toEqual([...written].filter(inPinned).sort());
  });

  it("recognises the declarations those projects get right", () => {
    const decl = (suffix: string) => [...results].find(([f]) => f.endsWith(suffix))?.[1].declared;
    const tl = decl("supported_architectures/gemma2.py");
    if (tl) expect(tl.declarations.some((d) => d.key === "rmsnorm_uses_offset" && d.value === true && d.serves?.families.some((f) => f.modelType === "gemma2"))).toBe(true);
    const liger = decl("transformers/monkey_patch.py");
    if (liger) expect(liger.declarations.some((d) => d.key === "offset" && d.value === true && d.serves?.families.some((f) => f.modelType === "gemma"))).toBe(true);
    const qwen = decl("conversion/qwen.py");
    if (qwen) {
      const c = qwen.conversions.find((x) => x.unit === "Qwen3NextModel");
      expect(c).toBeDefined();
      expect(admits(c!.guard, "model.layers.0.input_layernorm.weight")).toBe(true);
      expect(admits(c!.guard, "model.layers.0.linear_attn.norm.weight")).toBe(false);
    }
    const mlx = decl("mlx_lm/models/qwen3_next.py");
    if (mlx) expect(mlx.conversions.some((x) => x.delta === 1 && x.serves?.families.some((f) => f.modelType === "qwen3_next"))).toBe(true);
    const gemma = decl("conversion/gemma.py");
    if (gemma) {
      // Gemma3NModel overrides norm_shift with 0.0: no conversion is attributed to it.
      expect(gemma.conversions.some((x) => x.unit === "Gemma3Model")).toBe(true);
      expect(gemma.conversions.some((x) => x.unit === "Gemma3NModel")).toBe(false);
    }
  });
});
