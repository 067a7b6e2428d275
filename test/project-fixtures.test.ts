// Cross-file fixtures: each folder under test/project-fixtures/ is a small project (a norm class in
// one module, the loader or converter that maps its keys in another, a governing config.json, test
// code), with the expected findings as inline markers (`# error: [rule]`). Every folder is linted
// three ways and each must equal the markers, nothing missing, nothing extra: the CLI on the
// folder, the editor's Lint Workspace, and the editor with only one file open at a time (its
// project index built in the background). Opening and closing each file after Lint Workspace
// leaves the Problems list as it was.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Controller } from "../src/extension/controller";
import { FakeHost, ROOT } from "./extension/fake-host";
import { ensureBuilt, type JsonReport, runCli } from "./harness/cli";
import { commentStyle, parseMarkers } from "./harness/markers";

const BASE = join(__dirname, "project-fixtures");
const CASES = readdirSync(BASE).filter((d) => statSync(join(BASE, d)).isDirectory()).sort();

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesOf(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The markers of a case as `file line severity rule`, sorted. */
function expected(dir: string): string[] {
  const out: string[] = [];
  for (const file of filesOf(dir)) {
    if (!/\.(py|ipynb)$/.test(file)) continue;
    const rel = relative(dir, file);
    for (const e of parseMarkers(readFileSync(file, "utf8"), commentStyle(file)).expected) out.push(`${rel} ${e.line} ${e.severity} ${e.rule}`);
  }
  return out.sort();
}

beforeAll(() => ensureBuilt());

let controller: Controller | undefined;
afterEach(() => controller?.dispose());

function editor(dir: string) {
  const host = new FakeHost();
  for (const file of filesOf(dir)) host.file(relative(dir, file), readFileSync(file));
  controller = new Controller(host, { typeDelay: 10 });
  return { host, c: controller };
}

function shown(host: FakeHost): string[] {
  return [...host.diagnostics]
    .flatMap(([uri, ds]) => ds.map((d) => `${uri.slice(ROOT.length + 1)} ${d.range.start.line + 1} ${d.severity} ${d.finding.rule}`))
    .sort();
}

describe("cross-file fixtures", () => {
  it("there are cases, each with a README saying what it shows", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(8);
    for (const c of CASES) expect(readFileSync(join(BASE, c, "README.md"), "utf8").length).toBeGreaterThan(20);
  });

  describe.each(CASES)("%s", (name) => {
    const dir = join(BASE, name);

    it("the CLI finds exactly the markers", () => {
      const r = runCli([".", "--format", "json"], dir);
      expect(r.stderr).toBe("");
      const got = (JSON.parse(r.stdout) as JsonReport).findings.map((f) => `${f.file} ${f.line} ${f.severity} ${f.rule}`).sort();
      expect(got).toEqual(expected(dir));
    });

    it("the editor's Lint Workspace finds exactly the markers, and opening and closing files changes nothing", async () => {
      const { host, c } = editor(dir);
      await c.commands["normlint.lintWorkspace"]();
      await c.idle();
      const want = expected(dir);
      expect(shown(host)).toEqual(want);
      for (const file of filesOf(dir).filter((f) => f.endsWith(".py"))) {
        const rel = relative(dir, file);
        const uri = host.open(rel, readFileSync(file, "utf8"));
        c.onOpen(uri);
        await c.idle();
        expect(shown(host)).toEqual(want);
        host.close(uri);
        c.onClose(uri);
        await c.idle();
        expect(shown(host)).toEqual(want);
      }
    });

    it("the editor with one file open at a time shows that file's markers", async () => {
      const want = expected(dir);
      for (const file of filesOf(dir).filter((f) => f.endsWith(".py"))) {
        const rel = relative(dir, file);
        const { host, c } = editor(dir);
        const uri = host.open(rel, readFileSync(file, "utf8"));
        c.onOpen(uri);
        await c.idle();
        expect(shown(host)).toEqual(want.filter((w) => w.startsWith(`${rel} `)));
        c.dispose();
      }
    });
  });
});
