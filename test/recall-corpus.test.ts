// Recall and precision on real engines and frameworks (issue 15). Recall: scripts/corpus/mutate.mjs
// injects the known bug patterns of scripts/corpus/mutations.json into the projects' real files and
// counts, per idiom, the mutations a finding of the expected rule catches; the count may only rise,
// so each idiom has a floor below (raise it when engine work catches more; README's "Recall on real
// engines" table shows the same numbers). Precision: the unmutated recall corpus (.cache/engines/)
// reports at warning or above exactly the findings docs/findings.md triages, and is the snapshot it
// pins. Without the exported projects (scripts/corpus/fetch-projects.sh) the corpus suites are
// skipped and say so; the data checks always run.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, REPO } from "./harness/cli";
import { describeCorpusPrecision } from "./harness/corpus-precision";

interface Mutation {
  id: string;
  project: string;
  file: string;
  find: string;
  replace: string;
  idiom: string;
  incident: string;
  rule: string;
}
interface MutateReport {
  idioms: Array<{ idiom: string; caught: number; total: number; skipped: number }>;
  results: Array<{ id: string; idiom: string; caught: boolean }>;
  absent: string[];
}

/** Mutations caught per idiom today: the recall test fails when one drops below its floor. */
const FLOOR: Record<string, number> = {
  "hf-module": 2,
  "custom-op": 4,
  "weight-outside-init": 6,
  "free-function": 8,
  "load-transform": 8,
  "declaration-flag": 7,
  "kernel-wrapper": 8,
  mlx: 6,
  fold: 5,
};

const data = JSON.parse(readFileSync(join(REPO, "scripts", "corpus", "mutations.json"), "utf8")) as { mutations: Mutation[] };
const exported = (project: string) => ["engines", "projects"].some((c) => existsSync(join(REPO, ".cache", c, project, "SOURCE.json")));
const absent = [...new Set(data.mutations.map((m) => m.project))].filter((p) => !exported(p)).sort();
if (absent.length) {
  console.warn(`\n*** recall on real engines SKIPPED: ${absent.join(", ")} not exported. Run scripts/corpus/fetch-projects.sh <project>=<git dir> ... to enable it. ***\n`);
}

describe("recall mutations data", () => {
  it("matches schemas/mutations.schema.json", () => {
    const schema = JSON.parse(readFileSync(join(REPO, "schemas", "mutations.schema.json"), "utf8"));
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(data), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it("has unique ids and a floor for every idiom, never above the idiom's mutations", () => {
    const ids = data.mutations.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    const schema = JSON.parse(readFileSync(join(REPO, "schemas", "mutations.schema.json"), "utf8"));
    const all: string[] = schema.properties.mutations.items.properties.idiom.enum;
    expect(Object.keys(FLOOR).sort()).toEqual([...all].sort());
    for (const idiom of all) expect(FLOOR[idiom], idiom).toBeLessThanOrEqual(data.mutations.filter((m) => m.idiom === idiom).length);
  });
});

describe.skipIf(absent.length > 0)("recall on real engines", () => {
  let report: MutateReport;
  // One run lints every mutated project: about 50 mutations over 13 projects, several minutes on a
  // loaded 2-core machine.
  beforeAll(() => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(REPO, "scripts", "corpus", "mutate.mjs"), "--format", "json"], { cwd: REPO, encoding: "utf8", maxBuffer: 1 << 28, timeout: 1_700_000 });
    if (r.status !== 0) throw new Error(`mutate.mjs exited ${r.status ?? r.signal}\n${r.stderr}`);
    report = JSON.parse(r.stdout) as MutateReport;
  }, 1_800_000);

  it("ran every mutation", () => {
    expect(report.absent).toEqual([]);
    expect(report.results.map((r) => r.id).sort()).toEqual(data.mutations.map((m) => m.id).sort());
  });

  it("catches at least the recorded floor of each idiom", () => {
    const caught = Object.fromEntries(report.idioms.map((i) => [i.idiom, i.caught]));
    const below = Object.entries(FLOOR).filter(([idiom, floor]) => (caught[idiom] ?? 0) < floor);
    const missed = report.results.filter((r) => !r.caught).map((r) => `${r.idiom}: ${r.id}`);
    expect(below, `missed:\n${missed.join("\n")}`).toEqual([]);
  });
});

// Every finding at warning or above, true or false, is triaged in docs/findings.md ("Recall corpus").
describeCorpusPrecision("recall-corpus precision", "engines", "Recall corpus");
