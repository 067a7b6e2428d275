// The project model through the CLI: what the cross-file fixtures (test/project-fixtures.test.ts)
// do not show, the fixes. A rename fix inside a norm class is offered only where nothing else in
// the project uses the old name.
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, type JsonReport, runCli, Sandbox } from "./harness/cli";

beforeAll(() => ensureBuilt());

let sb: Sandbox;
afterEach(() => rmSync(sb.root, { recursive: true, force: true }));

const FIXTURES = join(__dirname, "project-fixtures");

function nl205(): JsonReport["findings"] {
  const r = runCli([".", "--format", "json"], sb.root);
  expect(r.status === 0 || r.status === 1).toBe(true);
  return (JSON.parse(r.stdout) as JsonReport).findings.filter((f) => f.code === "NL205");
}

const renames = (findings: JsonReport["findings"], line: number) =>
  findings.find((f) => f.line === line)!.fixes.some((x) => x.title.startsWith("Rename"));

describe("project model: fixes", () => {
  it("a loader that maps every key but one: the rename of that one is offered (nothing else uses the name)", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "mapped-but-one"), sb.root, { recursive: true });
    const found = nl205();
    expect(found.map((f) => [f.file, f.line, f.severity])).toEqual([["pkg/model.py", 12, "error"]]);
    expect(renames(found, 12)).toBe(true);
    // The error says what normlint saw: the loader that maps the sibling and not this one.
    expect(found[0].message).toContain("pkg/loader.py maps `scale` while loading, and not `shift`");
  });

  it("a rename fix is not offered where another module uses the old name", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "loads-without-mapping"), sb.root, { recursive: true });
    sb.write("pkg/report.py", "def report(model):\n    print(model.final_norm.scale.mean())\n");
    const found = nl205();
    expect(found.map((f) => f.line)).toEqual([11, 12]);
    expect(found[0].message).toContain("did not see the checkpoint's keys");
    expect(renames(found, 11)).toBe(false);
    expect(renames(found, 12)).toBe(true);
  });

  it("a norm checked where it is built honours a suppression on that line (and the suppression counts as used)", () => {
    sb = Sandbox.create();
    cpSync(join(FIXTURES, "generic-norm-built-by-gemma"), sb.root, { recursive: true });
    const model = sb.read("pkg/gemma.py").toString("utf8").replace("  # warning: [norm-missing-unit-offset]", "  # normlint: ignore[norm-missing-unit-offset]");
    sb.write("pkg/gemma.py", model);
    const r = runCli([".", "--format", "json"], sb.root);
    expect((JSON.parse(r.stdout) as JsonReport).findings.map((f) => f.rule)).toEqual([]);
  });
});
