// A rule is a module of its own: it loads without the registry or any lint entry point, so it can be
// tested alone, and the engine's modules form no import cycle (once registry.ts -> rules/weights/* ->
// folder.ts -> registry.ts made importing a weights rule before the registry throw).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, expect, it, vi } from "vitest";

const ENGINE = join(__dirname, "..", "src", "engine");
const RULES_DIR = join(ENGINE, "rules");

function tsFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith(".ts") ? [p] : [];
    })
    .sort();
}

/** Files under rules/ that hold helpers several rules share; every other file is one rule. */
const HELPERS = new Set(["config/shared.ts", "modeling/shared.ts", "modeling/declared-shared.ts", "weights/shared.ts"]);
/** The input kinds each rules folder holds (`.normlint.json` problems are config rules too). */
const INPUTS_OF: Record<string, string[]> = { config: ["config", "normlint-config"], modeling: ["python"], weights: ["folder"] };
/** Modules a rule must never reach, even indirectly: the registry and the lint entry points. */
const ENTRY_POINTS = ["registry.ts", "index.ts", "python.ts", "folder.ts", "runner.ts", "settings.ts"].map((f) => join(ENGINE, f));

interface Edge {
  to: string;
  /** `import type` or only `type` specifiers: erased when compiled. */
  typeOnly: boolean;
}

/** The relative imports and re-exports of an engine file, resolved to files. */
function importsOf(file: string): Edge[] {
  const src = readFileSync(file, "utf8");
  const edges: Edge[] = [];
  const re = /^\s*(?:import|export)\s+(type\s+)?(?:([^"';]*?)\s+from\s+)?["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of src.matchAll(re)) {
    const base = join(dirname(file), m[3].replace(/\.js$/, ""));
    const to = [`${base}.ts`, join(base, "index.ts")].find((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    if (!to) continue; // JSON data and generated JavaScript: neither imports engine code back.
    const braces = /^\{([^}]*)\}$/.exec((m[2] ?? "").trim());
    const names = braces ? braces[1].split(",").map((s) => s.trim()).filter(Boolean) : [];
    edges.push({ to, typeOnly: Boolean(m[1]) || (names.length > 0 && names.every((n) => n.startsWith("type "))) });
  }
  return edges;
}

const GRAPH = new Map(tsFiles(ENGINE).map((f) => [f, importsOf(f)]));

/** Every cycle the DFS meets (one per back edge), as lists of engine-relative paths. */
function cycles(withTypes: boolean): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const e of GRAPH.get(f) ?? []) {
      if (e.typeOnly && !withTypes) continue;
      if (state.get(e.to) === "open") found.push([...stack.slice(stack.indexOf(e.to)), e.to].map((p) => relative(ENGINE, p)));
      else if (!state.has(e.to)) visit(e.to);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of GRAPH.keys()) if (!state.has(f)) visit(f);
  return found;
}

function reachable(from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [from];
  while (todo.length) {
    for (const e of GRAPH.get(todo.pop()!) ?? []) if (!seen.has(e.to)) todo.push((seen.add(e.to), e.to));
  }
  return seen;
}

const RULE_FILES = tsFiles(RULES_DIR).map((f) => relative(RULES_DIR, f));

describe("rule isolation", () => {
  it("finds the rule files", () => {
    expect(RULE_FILES.length).toBeGreaterThan(30);
    expect(GRAPH.size).toBeGreaterThan(RULE_FILES.length);
  });

  it.each(RULE_FILES)("rules/%s loads on its own and is the rule its name says", async (rel) => {
    vi.resetModules();
    const mod = (await import(/* @vite-ignore */ join(RULES_DIR, rel))) as { default?: { name: string; input: string } };
    if (HELPERS.has(rel)) {
      expect(mod.default).toBeUndefined();
      return;
    }
    expect(mod.default?.name).toBe(basename(rel, ".ts"));
    expect(INPUTS_OF[dirname(rel)]).toContain(mod.default?.input);
  });

  it("no rule reaches the registry or a lint entry point, even through a helper", () => {
    for (const rel of RULE_FILES) {
      const reached = reachable(join(RULES_DIR, rel));
      for (const entry of ENTRY_POINTS) expect(reached.has(entry), `rules/${rel} reaches ${relative(ENGINE, entry)}`).toBe(false);
    }
  });
});

describe("import cycles in src/engine", () => {
  it("the cycle finder sees the imports (parses `import type`, `{ type X }` and re-exports)", () => {
    const rule = (GRAPH.get(join(ENGINE, "rule.ts")) ?? []).map((e) => `${relative(ENGINE, e.to)}${e.typeOnly ? " (type)" : ""}`);
    expect(rule).toContain("config-model.ts (type)");
    const folder = (GRAPH.get(join(ENGINE, "folder.ts")) ?? []).map((e) => relative(ENGINE, e.to));
    expect(folder).toEqual(expect.arrayContaining(["registry.ts", "runner.ts", "folder-model.ts"]));
  });

  it("no module imports itself back at run time", () => {
    expect(cycles(false)).toEqual([]);
  });

  it("no cycle through type-only imports either, except the analysis types' own", () => {
    // analysis/types.ts and analysis/declared-types.ts describe one data model in two files; the
    // cycle is types only and erased when compiled.
    const known = ["analysis/types.ts", "analysis/declared-types.ts", "analysis/types.ts"].join(" -> ");
    expect(cycles(true).map((c) => c.join(" -> ")).filter((c) => c !== known)).toEqual([]);
  });
});
