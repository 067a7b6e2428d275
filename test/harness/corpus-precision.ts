// Precision on a corpus of real projects exported by scripts/corpus/fetch-projects.sh: each project is
// linted as a user lints a checkout (the built CLI over the whole folder, from inside it, .gitignore
// not respected), and its findings at warning or above must be exactly the ones a section of
// docs/findings.md writes up, on the commit that section pins. Shared by the whole-projects and the
// recall corpora; without the cache the suite is skipped and says so.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, type JsonReport, REPO, runCli } from "./cli";

export interface DocumentedCorpus {
  /** Project -> the commit the section pins. */
  commits: Map<string, string>;
  /** `project/file:line rule-name` of every finding the section writes up. */
  findings: Set<string>;
}

/**
 * The pinned commits (`| \`project\` | \`<40 hex>\` |`) and written-up findings
 * (`| \`project/file:line\` | \`rule-name\` |`) of the `## <heading>` section of docs/findings.md.
 */
export function documentedCorpus(heading: string): DocumentedCorpus {
  const text = readFileSync(join(REPO, "docs", "findings.md"), "utf8");
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`docs/findings.md has no "## ${heading}" section`);
  const rest = text.slice(start + 1);
  const next = rest.slice(1).search(/^## /m);
  const section = next < 0 ? rest : rest.slice(0, next + 1);
  const commits = new Map<string, string>();
  for (const m of section.matchAll(/^\| `([\w.-]+)` \| `([0-9a-f]{40})` \|/gm)) commits.set(m[1], m[2]);
  const findings = new Set<string>();
  for (const m of section.matchAll(/^\| `([^`]+:\d+)` \| `([a-z-]+)` \|/gm)) findings.add(`${m[1]} ${m[2]}`);
  return { commits, findings };
}

/** The suite for the projects under `.cache/<corpus>/`, held to docs/findings.md's `## <heading>`. */
export function describeCorpusPrecision(title: string, corpus: string, heading: string): void {
  const cache = join(REPO, ".cache", corpus);
  const projects = existsSync(cache) ? readdirSync(cache).filter((p) => existsSync(join(cache, p, "SOURCE.json"))).sort() : [];
  if (!projects.length) {
    console.warn(`\n*** ${title} SKIPPED: .cache/${corpus}/ is absent. Run scripts/corpus/fetch-projects.sh <project>=<git dir> ... to enable it. ***\n`);
  }

  describe.skipIf(!projects.length)(title, () => {
    const docs = projects.length ? documentedCorpus(heading) : { commits: new Map<string, string>(), findings: new Set<string>() };
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
}
