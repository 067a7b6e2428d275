// The editor's project index: a finding that depends on other files of the project (a norm
// parameter a loader elsewhere renames, NL205) is judged as the CLI judges it, and editing the
// loader raises or clears the finding in the norm file without linting the workspace again. (What
// each project shows is checked by test/project-fixtures.test.ts; here: how it follows edits.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Controller } from "../../src/extension/controller";
import { FakeHost, ROOT } from "./fake-host";

// The files of two cross-file fixtures (test/project-fixtures): the book's LayerNorm (`scale`/`shift`
// where GPT-2 checkpoints store `weight`/`bias`) and a loader mapping both names, or only `scale`.
const FIXTURES = join(__dirname, "..", "project-fixtures");
const LAYER_NORM = readFileSync(join(FIXTURES, "mapped-in-another-module/pkg/model.py"), "utf8");
const LOADER_BOTH = readFileSync(join(FIXTURES, "mapped-in-another-module/pkg/loader.py"), "utf8");
const LOADER_SCALE_ONLY = readFileSync(join(FIXTURES, "mapped-but-one/pkg/loader.py"), "utf8");
const SHIFT_LINE = LAYER_NORM.split("\n").findIndex((l) => l.includes("self.shift =")) + 1;
const MODEL = `${ROOT}/pkg/model.py`;
const LOADER = `${ROOT}/pkg/loader.py`;

let controller: Controller | undefined;
afterEach(() => controller?.dispose());

function project(loaderText: string | undefined) {
  const host = new FakeHost();
  host.file("pyproject.toml", "");
  host.file("pkg/model.py", LAYER_NORM);
  if (loaderText) host.file("pkg/loader.py", loaderText);
  controller = new Controller(host, { typeDelay: 10 });
  return { host, c: controller };
}

const nl205 = (host: FakeHost, uri = MODEL) => host.diags(uri).filter((d) => d.code.value === "NL205").map((d) => `${d.range.start.line + 1} ${d.severity}`);

async function openFile(host: FakeHost, c: Controller, uri: string) {
  host.open(uri.slice(ROOT.length + 1), new TextDecoder().decode(host.files.get(uri)));
  c.onOpen(uri);
  await c.idle();
}

describe("the editor's project index", () => {
  it("editing the loader raises and clears the finding in the norm file, without relinting it", async () => {
    const { host, c } = project(LOADER_BOTH);
    await openFile(host, c, MODEL);
    await openFile(host, c, LOADER);
    expect(nl205(host)).toEqual([]);
    const parses = host.logs.filter((l) => l.includes("pkg/model.py:")).length;
    // The user deletes the line that maps `shift`.
    host.edit(LOADER, LOADER_SCALE_ONLY);
    c.onChange(LOADER);
    await c.idle();
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    // The norm file was judged again, not linted again.
    expect(host.logs.filter((l) => l.includes("pkg/model.py:")).length).toBe(parses);
    // Undo: the mapping is back, the finding goes.
    host.edit(LOADER, LOADER_BOTH);
    c.onChange(LOADER);
    await c.idle();
    expect(nl205(host)).toEqual([]);
  });

  it("closing an edited loader without saving: the project counts on its disk content again", async () => {
    const { host, c } = project(LOADER_BOTH);
    await openFile(host, c, MODEL);
    await openFile(host, c, LOADER);
    host.edit(LOADER, LOADER_SCALE_ONLY);
    c.onChange(LOADER);
    await c.idle();
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    host.close(LOADER);
    c.onClose(LOADER);
    await c.idle();
    expect(nl205(host)).toEqual([]);
  });

  it("a loader changed or deleted on disk re-judges the open norm file", async () => {
    const { host, c } = project(LOADER_BOTH);
    await openFile(host, c, MODEL);
    expect(nl205(host)).toEqual([]);
    host.file("pkg/loader.py", LOADER_SCALE_ONLY);
    c.onFileEvent(LOADER, "changed");
    await c.idle();
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    host.files.delete(LOADER);
    c.onFileEvent(LOADER, "deleted");
    await c.idle();
    // No loader left: the project loads no weights.
    expect(nl205(host)).toEqual([]);
  });

  it("Lint Workspace judges closed files against the whole project, and its summary counts what is shown", async () => {
    const { host, c } = project(LOADER_SCALE_ONLY);
    await c.commands["normlint.lintWorkspace"]();
    await c.idle();
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    expect(host.infos.at(-1)).toMatch(/1 error/);
    // Opening and closing the norm file leaves the finding as it was.
    await openFile(host, c, MODEL);
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    host.close(MODEL);
    c.onClose(MODEL);
    await c.idle();
    expect(nl205(host)).toEqual([`${SHIFT_LINE} error`]);
    // Editing the loader (opened) clears the closed norm file's finding too.
    await openFile(host, c, LOADER);
    host.edit(LOADER, LOADER_BOTH);
    c.onChange(LOADER);
    await c.idle();
    expect(nl205(host)).toEqual([]);
  });

  it("a norm checked where it is built: fixing the norm's module clears the finding in the model's module", async () => {
    const host = new FakeHost();
    const dir = join(FIXTURES, "generic-norm-built-by-gemma");
    for (const rel of ["pyproject.toml", "pkg/__init__.py", "pkg/layers.py", "pkg/gemma.py"]) host.file(rel, readFileSync(join(dir, rel), "utf8"));
    const c = (controller = new Controller(host, { typeDelay: 10 }));
    const GEMMA = `${ROOT}/pkg/gemma.py`;
    const LAYERS = `${ROOT}/pkg/layers.py`;
    const nl201 = () => host.diags(GEMMA).filter((d) => d.code.value === "NL201").map((d) => `${d.range.start.line + 1} ${d.severity}`);
    await openFile(host, c, GEMMA);
    expect(nl201()).toEqual(["10 warning"]);
    await openFile(host, c, LAYERS);
    const fixed = readFileSync(join(dir, "pkg/layers.py"), "utf8").replace("out * self.weight.float()", "out * (1.0 + self.weight.float())");
    host.edit(LAYERS, fixed);
    c.onChange(LAYERS);
    await c.idle();
    expect(nl201()).toEqual([]);
  });
});
