// Precision on whole projects that define their own norms and load real checkpoints (LLMs-from-scratch,
// TransformerLens, nanoGPT, torchtune, ...), exported into .cache/projects/ by
// scripts/corpus/fetch-projects.sh. Each project is linted as a user would lint a checkout: the built
// CLI over the whole directory, from inside it, .gitignore not respected. Every finding at warning or
// above must be a true one that docs/findings.md writes up, and every one written up must still be
// found; the snapshot must be the commit docs/findings.md pins. Without the cache the suite is skipped
// and says so.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, type JsonReport, REPO, runCli } from "./harness/cli";

const cache = join(REPO, ".cache", "projects");
const projects = existsSync(cache) ? readdirSync(cache).filter((p) => existsSync(join(cache, p, "SOURCE.json"))).sort() : [];
if (!projects.length) {
  console.warn("\n*** whole-projects corpus SKIPPED: .cache/projects/ is absent. Run scripts/corpus/fetch-projects.sh <project>=<git dir> ... to enable it. ***\n");
}

/**
 * The commits docs/findings.md pins and the findings it writes up, from its "Whole projects" section
 * only (the declared-conventions corpus above it has tables of the same shape).
 */
function documented(): { commits: Map<string, string>; findings: Set<string> } {
  const text = readFileSync(join(REPO, "docs", "findings.md"), "utf8");
  const start = text.search(/^## Whole projects$/m);
  if (start < 0) throw new Error('docs/findings.md has no "## Whole projects" section');
  const rest = text.slice(start + 1);
  const next = rest.search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next);
  const commits = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([\w.-]+)` \| `([0-9a-f]{40})` \|/gm)) commits.set(m[1], m[2]);
  const findings = new Set<string>();
  for (const m of section.matchAll(/^\| `([^`]+:\d+)` \| `([a-z-]+)` \|/gm)) findings.add(`${m[1]} ${m[2]}`);
  return { commits, findings };
}

describe.skipIf(!projects.length)("whole-projects corpus", () => {
  const docs = projects.length ? documented() : { commits: new Map<string, string>(), findings: new Set<string>() };
  beforeAll(() => ensureBuilt(), 120_000);

  describe.each(projects)("%s", (project) => {
    const dir = join(cache, project);

    it("is the snapshot docs/findings.md pins", () => {
      const source = JSON.parse(readFileSync(join(dir, "SOURCE.json"), "utf8")) as { commit: string };
      expect(source.commit, `docs/findings.md pins no commit (or another one) for ${project}`).toBe(docs.commits.get(project));
    });

    // The largest project takes about 20 s alone; the machine running the suite may be loaded.
    it("reports at warning or above exactly the findings docs/findings.md writes up", { timeout: 300_000 }, () => {
      const r = runCli([".", "--format", "json", "--no-respect-gitignore"], dir, { timeout: 280_000 });
      expect(r.signal, r.stderr).toBeNull();
      expect([0, 1], r.stderr).toContain(r.status);
      const report = JSON.parse(r.stdout) as JsonReport;
      const found = new Set(report.findings.filter((f) => f.severity !== "info").map((f) => `${project}/${f.file}:${f.line} ${f.rule}`));
      const written = [...docs.findings].filter((k) => k.startsWith(`${project}/`));
      expect({
        undocumented: [...found].filter((k) => !docs.findings.has(k)).sort(),
        missing: written.filter((k) => !found.has(k)).sort(),
      }).toEqual({ undocumented: [], missing: [] });
    });
  });
});
