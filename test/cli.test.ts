// End-to-end tests of the built CLI (dist/cli.js): each test writes files into its own temporary
// folder, runs `node dist/cli.js` there and checks exit codes, output contracts and the files left
// behind. Positions are computed from the written text, never copied from the CLI's output.
import { lstatSync, readdirSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RULES } from "../src/engine/index";
import { type JsonFinding, type JsonReport, positionOf, runCli, Sandbox, ensureBuilt, sarifValidator } from "./harness/cli";

/** A Llama config with one warning: `layer_norm_eps` is never read (eps-key-unused, NL101). */
const LLAMA_UNUSED_EPS = '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05\n}\n';

let box: Sandbox;
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(() => {
  box = Sandbox.create();
});
afterEach(() => box.remove(), 60_000); // removing 10,000 folders takes seconds on a loaded machine

/** `file line:column code severity` for compact, order-independent comparisons. */
const brief = (f: JsonFinding) => `${f.file} ${f.line}:${f.column} ${f.code} ${f.severity}`;
const byFile = (r: JsonReport, file: string) => r.findings.filter((f) => f.file === file);

describe("exit codes", () => {
  it("is 0 when the findings are warnings and infos only", () => {
    box.write("warn/config.json", LLAMA_UNUSED_EPS);
    box.writeJson("info/config.json", { model_type: "my-custom-model" });
    const r = box.run(["."]);
    expect(r.stdout).toMatch(/ NL101 \[warning\] /);
    expect(r.stdout).toMatch(/ NL002 \[info\] /);
    expect(r.status).toBe(0);
  });

  it("is 1 when a finding is an error", () => {
    box.writeJson("m/config.json", { model_type: "llama", rms_norm_eps: "1e-6" });
    const r = box.run(["."]);
    expect(r.stdout).toMatch(/ NL103 \[error\] /);
    expect(r.status).toBe(1);
  });

  it.each([
    ["an unknown flag", ["--bogus"]],
    ["a bad --format", ["--format", "xml"]],
    ["an unknown --select rule", ["--select", "no-such-rule"]],
    ["a --select prefix that picks no rule", ["--select", "NL8"]],
    ["an unknown --ignore rule", ["--ignore", "eps-key-unsued"]],
    ["a missing path", ["does-not-exist"]],
    ["a non-numeric --max-warnings", ["--max-warnings", "some"]],
    ["a missing --config file", ["--config", "missing.normlint.json"]],
    ["explain without a rule", ["explain"]],
    ["explain of an unknown rule", ["explain", "no-such-rule"]],
  ])("is 2 for %s", (_, args) => {
    box.write("m/config.json", LLAMA_UNUSED_EPS);
    const r = box.run(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^normlint: /);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it("is 2 for a missing path even when the other paths are linted and reported", () => {
    box.write("m/config.json", LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["m", "gone"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/gone/);
    expect(report.findings.map(brief)).toEqual(["m/config.json 3:3 NL101 warning"]);
  });

  it("--max-warnings turns more warnings than allowed into exit 1", () => {
    box.write("a/config.json", LLAMA_UNUSED_EPS);
    box.write("b/config.json", LLAMA_UNUSED_EPS);
    expect(box.run(["--max-warnings", "0"]).status).toBe(1);
    expect(box.run(["--max-warnings", "1"]).status).toBe(1);
    expect(box.run(["--max-warnings", "2"]).status).toBe(0);
  });

  it("-o writes the report to a file and keeps the exit code; an unwritable -o is a usage error", () => {
    box.writeJson("m/config.json", { model_type: "llama", rms_norm_eps: 0 });
    const r = box.run(["--format", "json", "-o", "report.json"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const report = JSON.parse(box.read("report.json").toString("utf8")) as JsonReport;
    expect(report.findings.map((f) => f.code)).toEqual(["NL103"]);
    const bad = box.run(["-o", "no/such/folder/report.txt"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^normlint: cannot write/);
  });
});

describe("text output", () => {
  const LINE = /^(.+):(\d+):(\d+): (NL\d{3}) \[(error|warning|info)\] (.+)$/;
  const SUMMARY = /^(\d+) problems? \((\d+) errors?, (\d+) warnings?, (\d+) infos?\); (\d+) files? linted\.(?: .*)?$/;

  it("prints path:line:col: code [severity] message with 1-based positions, then a summary", () => {
    // CRLF line endings: the column after a \r\n still counts from 1.
    const crlf = '{\r\n  "model_type": "llama",\r\n  "rms_norm_eps": 1e-06,\r\n    "layer_norm_eps": 1e-05\r\n}\r\n';
    box.write("crlf/config.json", crlf);
    box.write("nested/deeper/config.json", LLAMA_UNUSED_EPS);
    const r = box.run(["."]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/); // no colour when not a terminal
    const lines = r.stdout.trimEnd().split("\n");
    const summary = lines.pop()!;
    expect(lines.pop()).toBe(""); // a blank line before the summary
    const parsed = lines.map((l) => {
      const m = LINE.exec(l);
      expect(m, l).not.toBeNull();
      return `${m![1]} ${m![2]}:${m![3]} ${m![4]} ${m![5]}`;
    });
    const a = positionOf(crlf, '"layer_norm_eps"');
    const b = positionOf(LLAMA_UNUSED_EPS, '"layer_norm_eps"');
    expect(parsed).toEqual([`crlf/config.json ${a.line}:${a.column} NL101 warning`, `nested/deeper/config.json ${b.line}:${b.column} NL101 warning`]);
    expect(a).toEqual({ line: 4, column: 5 });
    const m = SUMMARY.exec(summary);
    expect(m, summary).not.toBeNull();
    expect(m!.slice(1, 6).map(Number)).toEqual([2, 0, 2, 0, 2]);
  });

  it("says there are no problems for a clean folder", () => {
    box.writeJson("m/config.json", { model_type: "llama", rms_norm_eps: 1e-6 });
    const r = box.run(["."]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("No problems: 1 file linted.\n");
  });

  it("does not count a byte order mark as a column", () => {
    const text = '\uFEFF{"model_type": "llama", "layer_norm_eps": 1e-5}';
    box.write("m/config.json", text);
    const r = box.run(["."]);
    const where = positionOf(text.slice(1), '"layer_norm_eps"'); // as an editor shows the line
    expect(r.stdout).toContain("m/config.json:1:1: NL001 [error]");
    expect(r.stdout).toContain(`m/config.json:1:${where.column}: NL101 [warning]`);
  });
});

describe("JSON output", () => {
  const FINDING_KEYS = ["code", "column", "endColumn", "endLine", "file", "fixes", "line", "message", "rule", "severity"];
  const SUMMARY_KEYS = ["errors", "files", "fixable", "fixed", "infos", "linted", "skipped", "warnings"];

  it("has exactly version, findings and summary, and findings have exactly the documented keys", () => {
    box.write("models/a/config.json", LLAMA_UNUSED_EPS);
    box.write("models/b/config.json", '{"model_type": "llama", "rms_norm_eps": 1e-6,}');
    const { result, report } = box.json(["."]);
    expect(result.status).toBe(1);
    expect(Object.keys(report).sort()).toEqual(["findings", "summary", "version"]);
    expect(report.version).toBe(1);
    expect(Object.keys(report.summary).sort()).toEqual(SUMMARY_KEYS);
    expect(report.summary).toMatchObject({ files: 2, linted: 2, skipped: 0, errors: 1, warnings: 1, infos: 0, fixable: 1, fixed: 0 });
    expect(report.findings).toHaveLength(2);
    for (const f of report.findings) {
      expect(Object.keys(f).sort()).toEqual(FINDING_KEYS);
      expect(f.code).toMatch(/^NL\d{3}$/);
      expect(["error", "warning", "info"]).toContain(f.severity);
      expect(f.message.length).toBeGreaterThan(0);
      for (const n of [f.line, f.column, f.endLine, f.endColumn]) expect(Number.isInteger(n) && n >= 1).toBe(true);
      for (const fx of f.fixes) {
        expect(Object.keys(fx).sort()).toEqual(["edits", "safe", "title"]);
        for (const e of fx.edits) expect(Object.keys(e).sort()).toEqual(["column", "end", "endColumn", "endLine", "line", "start", "text"]);
      }
    }
    const unused = report.findings.find((f) => f.code === "NL101")!;
    const at = positionOf(LLAMA_UNUSED_EPS, '"layer_norm_eps"');
    expect(unused).toMatchObject({ file: "models/a/config.json", rule: "eps-key-unused", line: at.line, column: at.column, endLine: at.line, endColumn: at.column + '"layer_norm_eps"'.length });
    const comma = report.findings.find((f) => f.code === "NL001")!;
    const c = positionOf('{"model_type": "llama", "rms_norm_eps": 1e-6,}', ",}");
    expect(comma).toMatchObject({ file: "models/b/config.json", rule: "invalid-json", severity: "error", line: c.line, column: c.column });
    expect(comma.fixes).toEqual([{ title: expect.any(String), safe: true, edits: [expect.objectContaining({ line: c.line, column: c.column, text: "" })] }]);
  });

  it("reports `file` relative to the working directory, however the path was given", () => {
    box.write("models/a/config.json", LLAMA_UNUSED_EPS);
    box.mkdir("elsewhere");
    expect(box.json([box.path("models")]).report.findings.map((f) => f.file)).toEqual(["models/a/config.json"]);
    expect(box.json(["a"], { cwd: "models" }).report.findings.map((f) => f.file)).toEqual(["a/config.json"]);
    expect(box.json(["./models/a/../a/config.json"]).report.findings.map((f) => f.file)).toEqual(["models/a/config.json"]);
    // Outside the working directory a relative path would start with "..": the path is absolute.
    expect(box.json(["../models"], { cwd: "elsewhere" }).report.findings.map((f) => f.file)).toEqual([box.path("models/a/config.json")]);
  });
});

describe("SARIF output", () => {
  interface SarifResult {
    ruleId: string;
    ruleIndex: number;
    level: string;
    message: { text: string };
    locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number } } }>;
    partialFingerprints: Record<string, string>;
  }

  function sarif(args: string[] = ["."]) {
    const r = box.run([...args, "--format", "sarif"]);
    expect(r.stderr).toBe("");
    return { status: r.status, log: JSON.parse(r.stdout) };
  }

  function writeCorpus(): void {
    box.write("models/a/config.json", LLAMA_UNUSED_EPS);
    box.writeJson("with space/config.json", { model_type: "my-custom-model" });
    // Two identical lines with the same finding: the fingerprints must still differ.
    box.write("dup/config.json", '{"model_type": "llama",\n  "x": 1,\n  "x": 1,\n  "x": 1\n}\n');
    box.writeJson("bad/config.json", { model_type: "llama", rms_norm_eps: -1 });
  }

  it("validates against the SARIF 2.1.0 schema", () => {
    writeCorpus();
    const { status, log } = sarif();
    expect(status).toBe(1);
    const validate = sarifValidator();
    const ok = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    expect(log.version).toBe("2.1.0");
  });

  it("carries what GitHub code scanning needs", () => {
    writeCorpus();
    const { log } = sarif();
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe("normlint");
    const rules = run.tool.driver.rules as Array<Record<string, any>>;
    expect(rules.map((r) => r.id).sort()).toEqual(RULES.map((r) => r.code).sort());
    for (const r of rules) {
      expect(r.shortDescription.text.length).toBeGreaterThan(0);
      expect(r.fullDescription.text.length).toBeGreaterThan(0);
      expect(r.helpUri).toMatch(/^https:\/\//);
      expect(["error", "warning", "note"]).toContain(r.defaultConfiguration.level);
    }
    expect(run.originalUriBaseIds["%SRCROOT%"].uri).toBe(pathToFileURL(box.root + "/").href);
    const results = run.results as SarifResult[];
    expect(results.map((r) => r.ruleId).sort()).toEqual(["NL002", "NL004", "NL004", "NL101", "NL103"]);
    for (const r of results) {
      expect(rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(["error", "warning", "note"]).toContain(r.level);
      expect(r.message.text.length).toBeGreaterThan(0);
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uriBaseId).toBe("%SRCROOT%");
      const uri = loc.artifactLocation.uri;
      expect(uri).not.toMatch(/^[a-z]+:|^\/|\\/); // relative to the repository, forward slashes
      expect(statSync(join(box.root, decodeURI(uri))).isFile()).toBe(true);
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
      expect(loc.region.startColumn).toBeGreaterThanOrEqual(1);
      expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]+:\d+$/);
    }
    expect(results.find((r) => r.ruleId === "NL002")!.level).toBe("note");
    expect(results.find((r) => r.ruleId === "NL002")!.locations[0].physicalLocation.artifactLocation.uri).toBe("with%20space/config.json");
    const unused = results.find((r) => r.ruleId === "NL101")!;
    const at = positionOf(LLAMA_UNUSED_EPS, '"layer_norm_eps"');
    expect(unused.locations[0].physicalLocation.region).toMatchObject({ startLine: at.line, startColumn: at.column });
    const dups = results.filter((r) => r.ruleId === "NL004").map((r) => r.partialFingerprints.primaryLocationLineHash);
    expect(new Set(dups).size).toBe(2);
  });

  it("keeps fingerprints stable across runs and when lines above a finding move", () => {
    writeCorpus();
    const prints = () =>
      (sarif().log.runs[0].results as SarifResult[])
        .map((r) => `${r.locations[0].physicalLocation.artifactLocation.uri} ${r.ruleId} ${r.partialFingerprints.primaryLocationLineHash}`)
        .sort();
    const first = prints();
    expect(prints()).toEqual(first);
    box.write("models/a/config.json", "\n\n" + LLAMA_UNUSED_EPS);
    expect(prints()).toEqual(first);
  });
});

describe("--fix", () => {
  const BROKEN = '\uFEFF{\n  "model_type": "llama",\n  "rms_nms_eps": 1e-06,\n}\n';
  const FIXED = '{\n  "model_type": "llama",\n  "rms_nms_eps": 1e-06\n}\n';

  it("applies safe fixes only, atomically, keeping the file mode", () => {
    const file = box.write("m/config.json", BROKEN, 0o664);
    // A strict umask in the CLI's process: the rewritten file must get the old mode back.
    const run = box.json(["--fix"], { umask: 0o077 });
    expect(run.result.status).toBe(0);
    expect(run.report.summary).toMatchObject({ fixed: 2, errors: 0 });
    // The misspelt eps key stays: renaming it changes the model's numerics (an unsafe fix).
    expect(run.report.findings.map((f) => [f.code, f.fixes.map((x) => x.safe)])).toEqual([["NL102", [false]]]);
    const bytes = box.read("m/config.json");
    expect(bytes.toString("utf8")).toBe(FIXED);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual({ model_type: "llama", rms_nms_eps: 1e-6 });
    expect(statSync(file).mode & 0o7777).toBe(0o664);
    expect(readdirSync(box.path("m"))).toEqual(["config.json"]);

    const before = statSync(file);
    const again = box.json(["--fix"]);
    expect(again.report.summary.fixed).toBe(0);
    expect(box.read("m/config.json").equals(bytes)).toBe(true);
    expect(statSync(file).ino).toBe(before.ino); // not rewritten
    expect(readdirSync(box.path("m"))).toEqual(["config.json"]);
  });

  it("writes what the reported safe edits describe", () => {
    box.write("m/config.json", BROKEN);
    const { report } = box.json(["."]);
    const edits = report.findings.flatMap((f) => f.fixes.filter((x) => x.safe).flatMap((x) => x.edits)).sort((a, b) => b.start - a.start);
    let text = BROKEN;
    for (const e of edits) text = text.slice(0, e.start) + e.text + text.slice(e.end);
    box.run(["--fix"]);
    expect(box.read("m/config.json").toString("utf8")).toBe(text);
  });

  it("leaves comments (an unsafe fix) and reports them", () => {
    const fixed = '{\n  "model_type": "llama", // base model\n  "rms_norm_eps": 1e-06\n}\n';
    box.write("m/config.json", fixed.replace("1e-06\n", "1e-06,\n"));
    const { result, report } = box.json(["--fix"]);
    expect(box.read("m/config.json").toString("utf8")).toBe(fixed);
    const at = positionOf(fixed, "// base");
    expect(report.findings.map(brief)).toEqual([`m/config.json ${at.line}:${at.column} NL001 error`]);
    expect(result.status).toBe(1);
  });

  it("fixes a symlinked config.json through the link", () => {
    box.write("shared/llama.json", '{"model_type": "llama",}');
    box.symlink("../shared/llama.json", "m/config.json");
    expect(box.run(["--fix", "m"]).status).toBe(0);
    expect(lstatSync(box.path("m/config.json")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(box.path("m/config.json"))).toBe("../shared/llama.json");
    expect(box.read("shared/llama.json").toString("utf8")).toBe('{"model_type": "llama"}');
  });
});

describe("file discovery", () => {
  it("skips .gitignore'd folders (also from a parent .gitignore inside the repository) and node_modules", () => {
    box.write(".gitignore", "proj/generated/\n");
    box.write("proj/.gitignore", "local/\n");
    for (const dir of ["a", "generated", "local", "sub/local", "node_modules/pkg", "a/node_modules/pkg"]) box.write(`proj/${dir}/config.json`, LLAMA_UNUSED_EPS);
    const { report } = box.json(["."], { cwd: "proj" });
    expect(report.findings.map((f) => f.file)).toEqual(["a/config.json"]);
    expect(report.summary.files).toBe(1);
  });

  it("does not apply a .gitignore above the repository root", () => {
    box.write("outer/.gitignore", "gen/\n");
    box.mkdir("outer/repo/.git");
    box.write("outer/repo/sub/gen/config.json", LLAMA_UNUSED_EPS);
    const { report } = box.json(["."], { cwd: "outer/repo/sub" });
    expect(report.findings.map((f) => f.file)).toEqual(["gen/config.json"]);
  });

  it("ends on a symlink loop and reports each file once", () => {
    box.write("proj/a/config.json", LLAMA_UNUSED_EPS);
    box.symlink("..", "proj/a/loop");
    box.symlink("a", "proj/b");
    const { result, report } = box.json(["."], { cwd: "proj" });
    expect(result.signal).toBeNull();
    expect(report.findings.map((f) => f.file)).toEqual(["a/config.json"]);
    expect(report.summary.files).toBe(1);
  });

  it("lints a file named explicitly whatever its name, and skips one that is not a model config", () => {
    const gemma = '{"model_type": "gemma2", "layer_norm_eps": 1e-5}';
    box.write("gemma2-base.json", gemma);
    box.writeJson("tokenizer_config.json", { padding_side: "left" });
    box.writeJson("walked/weights.json", { model_type: "llama", layer_norm_eps: 1e-5 }); // not config.json: not walked
    const { result, report } = box.json(["gemma2-base.json", "tokenizer_config.json", "walked"]);
    const at = positionOf(gemma, '"layer_norm_eps"');
    expect(report.findings.map(brief)).toEqual([`gemma2-base.json ${at.line}:${at.column} NL101 warning`]);
    expect(report.summary).toMatchObject({ files: 2, linted: 1, skipped: 1 });
    expect(result.status).toBe(0);
  });

  it("does not hang on a folder or a FIFO named config.json, nor on FIFOs named .normlint.json or .gitignore", () => {
    box.mkdir("dir/config.json");
    box.fifo("fifo/config.json");
    box.fifo("pipes/.normlint.json");
    box.fifo("pipes/.gitignore");
    box.write("pipes/m/config.json", LLAMA_UNUSED_EPS);
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["."]);
    expect(result.signal).toBeNull();
    expect(report.findings.map((f) => f.file).sort()).toEqual(["good/config.json", "pipes/m/config.json"]);
    expect(result.status).toBe(0);
  });

  it("reports a FIFO named explicitly without waiting on it, and lints the rest", () => {
    box.fifo("fifo/config.json");
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["fifo/config.json", "good"]);
    expect(result.signal).toBeNull();
    expect(report.findings.map(brief)).toEqual(["fifo/config.json 1:1 NL001 error", "good/config.json 3:3 NL101 warning"]);
    expect(result.status).toBe(1);
  });
});

describe("bad input", () => {
  /** Deterministic bytes that include NULs and invalid UTF-8 (a linear congruential generator). */
  function junk(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    out[7] = 0;
    return out;
  }

  it("gives each broken file a positioned finding and goes on with the others", () => {
    const truncated = '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-06,\n  "num_hidden_layers": 32';
    const dup = '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-05,\n  "rms_norm_eps": 1e-06\n}\n';
    const comments = '{\n  // exported by hand\n  "model_type": "llama", /* was 1e-5 */ "rms_norm_eps": 1e-06\n}\n';
    box.write("truncated/config.json", truncated);
    box.write("binary/config.json", junk(4096));
    box.write("latin1/config.json", Buffer.from('{"model_type": "llama", "name": "caf\xe9"}', "latin1"));
    box.write("deep/config.json", "[".repeat(100_000));
    box.write("dup/config.json", dup);
    box.write("comments/config.json", comments);
    // 50 MB of valid JSON: skipped by size, never parsed.
    const head = '{"model_type": "llama", "data": [';
    const big = Buffer.alloc(50 * 1024 * 1024, " ");
    big.write(head);
    big.write("0]}", big.length - 3);
    box.write("big/config.json", big);
    box.write("good/config.json", LLAMA_UNUSED_EPS);

    const { result, report } = box.json(["."]);
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe("");
    expect(result.status).toBe(1);
    expect(report.summary).toMatchObject({ files: 8, linted: 8 });
    const end = { line: truncated.split("\n").length, column: truncated.length - truncated.lastIndexOf("\n") };
    const d = positionOf(dup, '"rms_norm_eps"');
    const c1 = positionOf(comments, "// exported");
    const c2 = positionOf(comments, "/* was");
    expect(report.findings.map((f) => `${brief(f)} ${f.rule}`).sort()).toEqual(
      [
        "big/config.json 1:1 NL003 warning file-too-large",
        "binary/config.json 1:1 NL001 error invalid-json",
        `comments/config.json ${c1.line}:${c1.column} NL001 error invalid-json`,
        `comments/config.json ${c2.line}:${c2.column} NL001 error invalid-json`,
        "deep/config.json 1:513 NL001 error invalid-json",
        `dup/config.json ${d.line}:${d.column} NL004 warning duplicate-key`,
        "good/config.json 3:3 NL101 warning eps-key-unused",
        "latin1/config.json 1:1 NL001 error invalid-json",
        `truncated/config.json ${end.line}:${end.column} NL001 error invalid-json`,
      ].sort(),
    );
  });

  // Engine bug (src/engine/parsers/json.ts): jsonc-parser keeps a number node for the invalid
  // token `1e-` with the value 1, and eps-value-invalid then reports `rms_norm_eps = 1` as out of
  // range. A truncated file should get the syntax error alone.
  it("reports only the syntax error for a file truncated inside a number", () => {
    box.write("m/config.json", '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-');
    const { report } = box.json(["."]);
    expect(report.findings.map((f) => f.code)).toEqual(["NL001"]);
  });

  it("lints a folder of 10,000 configs", () => {
    // Every file has one warning, so the findings prove each file was parsed, not only counted.
    for (let i = 0; i < 10_000; i++) box.write(`zoo/${Math.floor(i / 100)}/${i}/config.json`, LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["zoo"]);
    expect(result.status).toBe(0);
    expect(report.summary).toMatchObject({ files: 10_000, linted: 10_000, skipped: 0, warnings: 10_000 });
    expect(new Set(report.findings.map((f) => f.file)).size).toBe(10_000);
  });
});

describe(".normlint.json", () => {
  /** A config with two warnings: NL101 (eps-key-unused) and NL102 (eps-key-misspelled). */
  const TWO_WARNINGS = '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05,\n  "rms_nms_eps": 1e-05\n}\n';
  const levels = (r: JsonReport, file: string) => byFile(r, file).map((f) => `${f.code} ${f.severity}`);

  it("uses the nearest one, without merging the ones above it", () => {
    box.writeJson("proj/.normlint.json", { rules: { "eps-key-unused": "error" } });
    box.writeJson("proj/b/.normlint.json", { rules: { NL102: "off" } });
    box.write("proj/a/config.json", TWO_WARNINGS);
    box.write("proj/b/c/config.json", TWO_WARNINGS);
    const { report } = box.json(["proj"]);
    expect(levels(report, "proj/a/config.json")).toEqual(["NL101 error", "NL102 warning"]);
    expect(levels(report, "proj/b/c/config.json")).toEqual(["NL101 warning"]);
  });

  it.each([
    ["name", { "eps-key-unused": "off" }, ["NL102 warning"]],
    ["code", { NL102: "error" }, ["NL101 warning", "NL102 error"]],
    ["prefix", { NL1: "info" }, ["NL101 info", "NL102 info"]],
    ["tag", { eps: "off" }, []],
    ["the most specific selector", { all: "off", NL101: "warning" }, ["NL101 warning"]],
  ])("sets rule levels by %s", (_, rules, expected) => {
    box.writeJson("m/.normlint.json", { rules });
    box.write("m/config.json", TWO_WARNINGS);
    expect(levels(box.json(["."]).report, "m/config.json")).toEqual(expected);
  });

  it("applies overrides to the files their globs match", () => {
    box.writeJson(".normlint.json", {
      overrides: [
        { files: "legacy/**", rules: { all: "off" } },
        { files: ["exp/**", "lab/**"], rules: { NL101: "info" } },
      ],
    });
    for (const dir of ["legacy/old", "exp/x", "lab/y", "current"]) box.write(`${dir}/config.json`, LLAMA_UNUSED_EPS);
    const { report } = box.json(["."]);
    expect(report.findings.map((f) => `${f.file} ${f.code} ${f.severity}`)).toEqual([
      "current/config.json NL101 warning",
      "exp/x/config.json NL101 info",
      "lab/y/config.json NL101 info",
    ]);
  });

  it("ignores findings by path#/json/pointer and by path with rules", () => {
    box.writeJson(".normlint.json", { ignore: ["models/a/config.json#/layer_norm_eps", { path: "models/b/config.json", rules: ["NL102"] }] });
    box.write("models/a/config.json", TWO_WARNINGS);
    box.write("models/b/config.json", TWO_WARNINGS);
    const { report } = box.json(["."]);
    expect(levels(report, "models/a/config.json")).toEqual(["NL102 warning"]);
    expect(levels(report, "models/b/config.json")).toEqual(["NL101 warning"]);
  });

  it("reports an invalid .normlint.json with positions and keeps its valid parts", () => {
    const bad = '{\n  "rules": { "eps-key-unsued": "off", "NL102": "error" },\n  "colour": true\n}\n';
    box.write("m/.normlint.json", bad);
    box.write("m/config.json", TWO_WARNINGS);
    const { result, report } = box.json(["."]);
    const typo = positionOf(bad, '"eps-key-unsued"');
    const colour = positionOf(bad, '"colour"');
    expect(byFile(report, "m/.normlint.json").map(brief)).toEqual([
      `m/.normlint.json ${typo.line}:${typo.column} NL005 error`,
      `m/.normlint.json ${colour.line}:${colour.column} NL005 error`,
    ]);
    expect(levels(report, "m/config.json")).toEqual(["NL101 warning", "NL102 error"]);
    expect(result.status).toBe(1);
  });

  it("reports a .normlint.json that is not JSON and lints with the defaults", () => {
    box.write("m/.normlint.json", '{"rules": {"NL101": "off"');
    box.write("m/config.json", TWO_WARNINGS);
    const { report } = box.json(["."]);
    expect(byFile(report, "m/.normlint.json").map((f) => f.code)).toEqual(["NL005"]);
    expect(byFile(report, "m/.normlint.json")[0].line).toBe(1);
    expect(levels(report, "m/config.json")).toEqual(["NL101 warning", "NL102 warning"]);
  });

  it("--config uses the given file instead of the lookup, with globs relative to the working directory", () => {
    box.writeJson("proj/.normlint.json", { rules: { all: "off" } });
    box.writeJson("shared/normlint.json", { rules: { NL102: "off" }, overrides: [{ files: "legacy/**", rules: { NL101: "error" } }] });
    box.write("proj/legacy/config.json", TWO_WARNINGS);
    box.write("proj/new/config.json", TWO_WARNINGS);
    const { report } = box.json(["--config", "../shared/normlint.json", "."], { cwd: "proj" });
    expect(report.findings.map((f) => `${f.file} ${f.code} ${f.severity}`)).toEqual(["legacy/config.json NL101 error", "new/config.json NL101 warning"]);
  });
});

describe("rules and explain", () => {
  it("`rules --format json` lists every rule with its code and name", () => {
    const r = runCli(["rules", "--format", "json"], box.root);
    expect(r.status).toBe(0);
    const listed = JSON.parse(r.stdout) as Array<{ code: string; name: string; severity: string }>;
    expect(listed.map((x) => [x.code, x.name])).toEqual(RULES.map((x) => [x.code, x.name]));
    for (const x of listed) {
      expect(x.code).toMatch(/^NL\d{3}$/);
      expect(x.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(["error", "warning", "info"]).toContain(x.severity);
    }
    const text = runCli(["rules"], box.root);
    for (const x of RULES) expect(text.stdout).toMatch(new RegExp(`^${x.code}  ${x.name} `, "m"));
  });

  /** The four documentation sections, each with text under it. */
  function sections(out: string): Record<string, string> {
    const heads = ["What it does", "Why is this bad?", "Example", "Use instead"];
    const lines = out.split("\n");
    const found: Record<string, string> = {};
    for (const [i, h] of heads.entries()) {
      const at = lines.indexOf(h);
      expect(at, `section "${h}"`).toBeGreaterThan(0);
      const next = i + 1 < heads.length ? lines.indexOf(heads[i + 1]) : lines.findIndex((l, j) => j > at && l.startsWith("Docs: "));
      expect(next, `section after "${h}"`).toBeGreaterThan(at);
      found[h] = lines.slice(at + 1, next).join("\n").trim();
      expect(found[h].length, `text under "${h}"`).toBeGreaterThan(0);
    }
    return found;
  }

  it("`explain` prints the four sections, by code or by name", () => {
    const byCode = runCli(["explain", "NL101"], box.root);
    const byName = runCli(["explain", "eps-key-unused"], box.root);
    expect(byCode.status).toBe(0);
    expect(byName.status).toBe(0);
    expect(byCode.stdout).toBe(byName.stdout);
    expect(byCode.stdout.split("\n")[0]).toMatch(/^NL101 eps-key-unused /);
    expect(sections(byCode.stdout)["Example"]).toContain("layer_norm_eps");
  });

  it("`explain` documents every rule", () => {
    for (const rule of RULES) {
      const r = runCli(["explain", rule.code], box.root);
      expect(r.status, rule.name).toBe(0);
      sections(r.stdout);
    }
  });
});
