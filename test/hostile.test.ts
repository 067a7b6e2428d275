// Hostile files: checkpoints whose headers claim more than any reader should fetch, file system
// objects that are not what their names say, files normlint may not read, a 100,000-file workspace,
// and checkpoints that change between reads. Each gets a diagnostic (positioned where the file has
// a position), the rest of the workspace is still linted, and nothing hangs or reads without bound.
// The CLI cases run dist/cli.js; the byte counts go through the CLI's own file ByteSource.
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, ftruncateSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type OpenOptions, openFileSource, WHOLE_FILE_BELOW } from "../src/node/bytes";
import { lintFolder, type ModelFolderInput } from "../src/engine/folder";
import { defaultSettings } from "../src/engine/index";
import { type ByteSource, countingSource } from "../src/engine/io";
import { DEFAULT_MAX_TENSOR_BYTES } from "../src/engine/parsers/safetensors";
import type { Finding } from "../src/engine/types";
import { buildGgufHeader, buildSafetensors, encodeSafetensorsHeader } from "./harness/checkpoint-builder";
import { CLI, type JsonReport, Sandbox, ensureBuilt } from "./harness/cli";
import { folderDesc } from "./harness/model-folder";

const LLAMA_UNUSED_EPS = '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05\n}\n';
const GB = 1024 ** 3;
const U64_MAX = (1n << 64n) - 1n;

let box: Sandbox;
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(() => {
  box = Sandbox.create();
});
afterEach(() => {
  spawnSync("chmod", ["-R", "u+rwx", box.root]);
  box.remove();
}, 120_000);

const brief = (r: JsonReport) => r.findings.map((f) => `${f.file} ${f.line}:${f.column} ${f.code}`).sort();

/** A sparse file: `head` at offset 0, then zeros up to `size` (no disk blocks). */
function sparse(path: string, head: Uint8Array, size: number): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const fd = openSync(path, "w");
  try {
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

const u64 = (bytes: Uint8Array, at: number, v: bigint) => {
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(at, v, true);
  return bytes;
};

/** lintFolder over real files opened as the CLI opens them, counting the bytes each read returns. */
async function lintFiles(dir: string, config: object, safetensors: string[], gguf: string[] = []) {
  const opened = await Promise.all([...safetensors, ...gguf].map(async (p) => countingSource(await openFileSource(join(dir, p)))));
  const input: ModelFolderInput = {
    dir: "m",
    config: { path: "m/config.json", bytes: new TextEncoder().encode(JSON.stringify(config)) },
    safetensors: safetensors.map((p, i) => ({ path: `m/${p}`, source: opened[i] })),
    gguf: gguf.map((p, i) => ({ path: `m/${p}`, source: opened[safetensors.length + i] })),
    pickles: [],
  };
  try {
    const { findings } = await lintFolder(input, () => defaultSettings());
    return { findings, bytesRead: opened.map((o) => o.bytesRead), sizes: opened.map((o) => o.size) };
  } finally {
    await Promise.all(opened.map((o) => (o as unknown as { close?: () => Promise<void> }).close?.()));
  }
}

describe("checkpoints that claim more than they should be asked for", () => {
  it("a 20 GB sparse safetensors whose header declares 301 norm weights of 64 MiB each: reads one tensor's cap at most", async () => {
    const n = DEFAULT_MAX_TENSOR_BYTES / 4;
    const header: Record<string, unknown> = {};
    let off = 0;
    for (let l = 0; l <= 300; l++) {
      const name = l === 300 ? "model.norm.weight" : `model.layers.${l}.input_layernorm.weight`;
      header[name] = { dtype: "F32", shape: [n], data_offsets: [off, off + 4 * n] };
      off += 4 * n;
    }
    const head = encodeSafetensorsHeader(header);
    sparse(box.path("m/model.safetensors"), head, head.length + off);
    expect(head.length + off).toBeGreaterThan(18 * GB);
    const r = await lintFiles(box.path("m"), { model_type: "llama", hidden_size: n, num_hidden_layers: 300, rms_norm_eps: 1e-6 }, ["model.safetensors"]);
    // The header, then a bounded sample of the norm weights: never the 19 GiB the header lists.
    expect(r.bytesRead[0]).toBeLessThanOrEqual(head.length + DEFAULT_MAX_TENSOR_BYTES + 64 * 1024);
  });

  it("shapes whose element count overflows, and tensors past the end of the file: positioned problems, nothing read beyond the header", async () => {
    const header = {
      "model.norm.weight": { dtype: "BF16", shape: [2 ** 31, 2 ** 31, 2 ** 31], data_offsets: [0, 8] },
      "model.layers.0.input_layernorm.weight": { dtype: "BF16", shape: [4096], data_offsets: [8, 8 + 2 ** 40] },
    };
    const head = encodeSafetensorsHeader(header);
    sparse(box.path("m/model.safetensors"), head, head.length + 64);
    const r = await lintFiles(box.path("m"), { model_type: "llama", hidden_size: 4096, rms_norm_eps: 1e-6 }, ["model.safetensors"]);
    expect(r.bytesRead[0]).toBeLessThanOrEqual(head.length);
    const onFile = r.findings.filter((f) => f.file === "m/model.safetensors");
    expect(onFile.length).toBeGreaterThan(0);
    for (const f of onFile) expect(f.start).toBeLessThanOrEqual(head.length);
  });

  it("20 GB files with a 2^64-1 header length or GGUF counts of 2^64-1: a few bytes read, a finding at the offending field, the rest linted", async () => {
    sparse(box.path("m/model.safetensors"), u64(new Uint8Array(8), 0, U64_MAX), 20 * GB);
    const gguf = buildGgufHeader({ metadata: { "general.architecture": { type: "str", value: "llama" } } }).bytes;
    sparse(box.path("g/model.gguf"), u64(gguf.slice(), 8, U64_MAX), 20 * GB);
    sparse(box.path("k/model.gguf"), u64(gguf.slice(), 16, U64_MAX), 20 * GB);
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    box.write("m/config.json", '{"model_type": "llama"}');

    const counted = await lintFiles(box.path("m"), { model_type: "llama" }, ["model.safetensors"]);
    expect(counted.bytesRead).toEqual([8]);
    const st = counted.findings.filter((f) => f.code === "NL301").map((f) => f.message);
    expect(st.length).toBeGreaterThan(0);
    for (const m of st) expect(m).toMatch(/^Invalid safetensors file at byte 0: the header length is 18446744073709551615 bytes/);
    for (const [dir, field] of [["g", 8], ["k", 16]] as const) {
      const r = await lintFiles(box.path(dir), { model_type: "llama" }, [], ["model.gguf"]);
      expect(r.bytesRead[0]).toBeLessThanOrEqual(64 * 1024);
      // A checkpoint has no lines: the finding sits at the file's start and names the byte.
      expect(r.findings.filter((f: Finding) => f.code === "NL302").map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`^Invalid GGUF file at byte ${field}: `))]);
    }

    const { result, report } = box.json(["."]);
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe("");
    const files = report.findings.map((f) => f.file);
    expect(files).toEqual(expect.arrayContaining(["m/model.safetensors", "g/model.gguf", "k/model.gguf", "good/config.json"]));
    expect(report.findings.filter((f) => f.file !== "good/config.json").every((f) => f.severity === "error")).toBe(true);
    expect(report.summary.files).toBe(5);
  });
});

describe("file system objects that are not what their names say", () => {
  it("walks into folders named config.json, x.safetensors, x.gguf, x.py and x.ipynb and lints what is inside", () => {
    for (const d of ["config.json", "x.safetensors", "x.gguf", "x.py", "x.ipynb", "model.safetensors.index.json"]) box.write(`${d}/m/config.json`, LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["."]);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe("");
    expect(brief(report)).toEqual(
      ["config.json", "model.safetensors.index.json", "x.gguf", "x.ipynb", "x.py", "x.safetensors"].map((d) => `${d}/m/config.json 3:3 NL101`),
    );
    // Named on the command line, such a folder is walked too.
    expect(brief(box.json(["x.safetensors"]).report)).toEqual(["x.safetensors/m/config.json 3:3 NL101"]);
  });

  it("reports dangling and looping links that carry a linted name, skips other dangling links, and lints the rest", () => {
    box.symlink("gone.json", "a/config.json");
    box.symlink("blobs/missing", "b/model.safetensors");
    box.symlink("model.gguf", "c/model.gguf"); // a link to itself: ELOOP
    box.symlink("nowhere", "d/notes.txt");
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    const { result, report } = box.json(["."]);
    expect(result.signal).toBeNull();
    expect(brief(report)).toEqual(["a/config.json 1:1 NL001", "b/model.safetensors 1:1 NL001", "c/model.gguf 1:1 NL001", "good/config.json 3:3 NL101"]);
    const msg = (file: string) => report.findings.find((f) => f.file === file)!.message;
    expect(msg("a/config.json")).toContain("ENOENT");
    expect(msg("c/model.gguf")).toContain("ELOOP");
    expect(result.status).toBe(1);
  });

  it("does not wait on FIFOs named like checkpoints or code, walked or named", () => {
    for (const f of ["p/model.safetensors", "p/model.gguf", "p/modeling.py", "p/run.ipynb"]) box.fifo(f);
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    const walked = box.json(["."]);
    expect(walked.result.signal).toBeNull();
    expect(brief(walked.report)).toEqual(["good/config.json 3:3 NL101"]);
    const named = box.json(["p/model.safetensors", "p/modeling.py", "good"]);
    expect(named.result.signal).toBeNull();
    expect(brief(named.report)).toEqual(["good/config.json 3:3 NL101", "p/model.safetensors 1:1 NL001", "p/modeling.py 1:1 NL001"]);
  });

  it("verify does not wait on a FIFO named config.json, and says which file it could not read", () => {
    box.fifo("m/config.json");
    box.write("m/model.safetensors", buildSafetensors(folderDesc({ modelType: "llama", fill: "llama-like" }).desc).bytes);
    const r = box.run(["verify", "m", "--cpu"], { timeout: 15_000 });
    expect(r.signal, "verify hung on the FIFO").toBeNull();
    expect(r.stderr).toBe(`normlint verify: cannot read ${join("m", "config.json")}: not a regular file\n`);
    expect(r.status).toBe(2);
  });

  it("verify does not wait on FIFOs named like checkpoints, an index or modeling code", () => {
    const { config, desc } = folderDesc({ modelType: "llama", fill: "llama-like" });
    box.write("m/config.json", JSON.stringify(config));
    box.write("m/model.safetensors", buildSafetensors(desc).bytes);
    box.fifo("m/modeling_llama.py");
    const code = box.run(["verify", "m", "--cpu"], { timeout: 15_000 });
    expect(code.signal, "verify hung on the .py FIFO").toBeNull();
    expect(code.stdout).toContain("note: modeling_llama.py was not read: not a regular file");
    expect(code.status).toBe(0);
    for (const f of ["m/model.safetensors.index.json", "m/extra.safetensors"]) box.fifo(f);
    const r = box.run(["verify", "m", "--cpu"], { timeout: 15_000 });
    expect(r.signal, "verify hung on a checkpoint FIFO").toBeNull();
    expect(r.stderr).toContain(`cannot read ${join("m", "model.safetensors.index.json")}: not a regular file`);
    expect(r.stderr).toContain(`cannot read ${join("m", "extra.safetensors")}:`);
    expect(r.status).toBe(2);
  });
});

/**
 * How to make the CLI meet a permission it lacks. Root reads any file whatever its mode, so as root
 * the CLI runs under setpriv without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (still uid 0, still
 * able to read its own code, but bound by file modes); another user is bound by modes already.
 * Undefined when neither works, and the test says so instead of passing.
 */
function permissionRunner(probeDir: string): string[] | undefined {
  const probe = join(probeDir, "probe");
  writeFileSync(probe, "x");
  chmodSync(probe, 0);
  const tryRead = (prefix: string[]) => {
    const args = [...prefix, process.execPath, "-e", "try{require('fs').readFileSync(process.argv[1])}catch(e){process.exit(e.code==='EACCES'?3:1)}", probe];
    return spawnSync(args[0], args.slice(1)).status === 3;
  };
  const drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"];
  return tryRead([]) ? [] : tryRead(drop) ? drop : undefined;
}

describe("files normlint may not read", () => {
  it("gives each unreadable file an EACCES finding, names the unreadable folder, lints the rest and exits 2", (ctx) => {
    const prefix = permissionRunner(box.mkdir("probe"));
    if (!prefix) {
      console.warn("SKIPPED: cannot deny a read here (root without setpriv, or setpriv cannot drop CAP_DAC_OVERRIDE)");
      ctx.skip();
      return;
    }
    box.write("m/config.json", LLAMA_UNUSED_EPS, 0);
    box.write("m/model.safetensors", buildSafetensors(folderDesc({ modelType: "llama", fill: "llama-like" }).desc).bytes, 0);
    box.write("code/modeling_llama.py", "import torch\nclass LlamaRMSNorm(torch.nn.Module):\n    pass\n", 0);
    box.write("locked/inner/config.json", LLAMA_UNUSED_EPS);
    chmodSync(box.path("locked"), 0);
    box.write("good/config.json", LLAMA_UNUSED_EPS);
    spawnSync("chmod", ["-R", "a+rX", box.root]);
    for (const f of ["m/config.json", "m/model.safetensors", "code/modeling_llama.py"]) chmodSync(box.path(f), 0);
    chmodSync(box.path("locked"), 0);
    const argv = [...prefix, process.execPath, CLI, ".", "--format", "json"];
    const r = spawnSync(argv[0], argv.slice(1), { cwd: box.root, encoding: "utf8", timeout: 30_000, env: { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "" } });
    expect(r.signal).toBeNull();
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(brief(report)).toEqual(["code/modeling_llama.py 1:1 NL001", "good/config.json 3:3 NL101", "m/config.json 1:1 NL001", "m/model.safetensors 1:1 NL001"]);
    for (const f of report.findings.filter((x) => x.code === "NL001")) expect(f.message).toContain("EACCES");
    expect(r.stderr).toBe("normlint: cannot read folder locked: EACCES\n");
    expect(r.status).toBe(2);
  });
});

describe("a 100,000-file workspace", () => {
  it("walks every file, lints the 2,500 that are normlint's with the right counts, within a 128 MiB heap", () => {
    // 2,000 model configs, 500 Python files (half of them norm code), and 97,500 other files.
    const root = box.path("ws");
    for (let i = 0; i < 2000; i++) {
      mkdirSync(join(root, "models", `m${i}`), { recursive: true });
      writeFileSync(join(root, "models", `m${i}`, "config.json"), LLAMA_UNUSED_EPS);
    }
    mkdirSync(join(root, "src"), { recursive: true });
    for (let i = 0; i < 500; i++) {
      const text = i % 2 ? "import os\n\n\ndef main():\n    return os.getcwd()\n" : "import torch\n\n\nclass RMSNorm(torch.nn.Module):\n    pass\n";
      writeFileSync(join(root, "src", `mod_${i}.py`), text);
    }
    for (let d = 0; d < 195; d++) {
      const dir = join(root, "data", `shard${d}`);
      mkdirSync(dir, { recursive: true });
      for (let k = 0; k < 500; k++) writeFileSync(join(dir, `part-${k}.txt`), "");
    }
    // The heap limit is the memory bound: a walk or report that grew with the file count would die.
    const r = spawnSync(process.execPath, ["--max-old-space-size=128", CLI, "ws", "--format", "json"], {
      cwd: box.root,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      timeout: 300_000,
      env: { ...process.env, NO_COLOR: "1", NODE_OPTIONS: "" },
    });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as JsonReport;
    // The 250 Python files that mention no norm are skipped unparsed; every config has one warning.
    expect(report.summary).toMatchObject({ files: 2500, linted: 2250, skipped: 250, warnings: 2000, errors: 0 });
    expect(new Set(report.findings.map((f) => f.file)).size).toBe(2000);
    expect(r.status).toBe(0);
  }, 300_000);
});

describe("checkpoints that change between reads", () => {
  /**
   * A real Llama folder on disk, its checkpoint opened as the CLI opens it. The file is small, so by
   * default it is read whole by the first read; `wholeFileBelow: 0` gives the ranged reads every
   * real-sized checkpoint gets.
   */
  async function lintChanging(change: (path: string, headerLength: number) => void, opts: OpenOptions = { wholeFileBelow: 0 }) {
    const { config, desc } = folderDesc({ modelType: "llama", layers: 4, hidden: 256, fill: "llama-like" });
    const built = buildSafetensors(desc);
    const path = box.write("m/model.safetensors", built.bytes);
    const src = await openFileSource(path, opts);
    let reads = 0;
    // After the first read (the header), the file is changed under the open handle.
    const changing: ByteSource = {
      size: src.size,
      async read(offset, length) {
        const out = await src.read(offset, length);
        if (reads++ === 0) change(path, built.headerLength + 8);
        return out;
      },
    };
    try {
      const input: ModelFolderInput = {
        dir: "m",
        config: { path: "m/config.json", bytes: new TextEncoder().encode(JSON.stringify(config)) },
        safetensors: [{ path: "m/model.safetensors", source: changing }],
        gguf: [],
        pickles: [],
      };
      const { findings } = await lintFolder(input, () => defaultSettings());
      return { findings, reads, size: src.size, built };
    } finally {
      await src.close();
    }
  }

  it("truncated after the header was read: the short reads are reported, not thrown", async () => {
    const r = await lintChanging((path, header) => {
      const fd = openSync(path, "r+");
      ftruncateSync(fd, header + 16);
      closeSync(fd);
    });
    expect(r.reads).toBeGreaterThan(1);
    // NL301 names the first tensor that could not be read, at its byte offset in the file.
    const cut = r.findings.filter((f) => f.code === "NL301");
    expect(cut.length).toBeGreaterThan(0);
    expect(cut[0].message).toMatch(/^Invalid safetensors file at byte \d+: the file ended while tensor `model\.[\w.]+norm\.weight` was read$/);
  });

  it("a small checkpoint is one snapshot: cut after its first read, every later read still sees the bytes read first", async () => {
    expect(WHOLE_FILE_BELOW).toBeGreaterThan(64 * 1024);
    const changed = await lintChanging((path, header) => {
      const fd = openSync(path, "r+");
      ftruncateSync(fd, header + 16);
      closeSync(fd);
    }, {});
    expect(changed.size).toBeLessThan(WHOLE_FILE_BELOW);
    expect(changed.reads).toBeGreaterThan(1);
    expect(changed.findings.filter((f) => f.code === "NL301" || f.code === "NL302")).toEqual([]);
    // The same findings as the untouched file's.
    const untouched = await lintChanging(() => undefined, {});
    expect(changed.findings).toEqual(untouched.findings);
  });

  it("rewritten with other bytes after the header was read (NaN everywhere): statistics on what was read, no exception", async () => {
    const r = await lintChanging((path, header) => {
      const fd = openSync(path, "r+");
      const junk = new Uint8Array(64 * 1024).fill(0xff);
      writeSync(fd, junk, 0, junk.length, header);
      closeSync(fd);
    });
    expect(r.reads).toBeGreaterThan(1);
    expect(r.findings.filter((f) => f.code === "NL301")).toEqual([]);
  });
});

describe("names that are also properties of every JavaScript object", () => {
  // Config keys, model types, Python names and GGUF architectures come from user files: none of them
  // may be found in normlint's own tables by way of Object.prototype.
  const NAMES = ["constructor", "toString", "valueOf", "__proto__", "hasOwnProperty", "isPrototypeOf"];

  it("configs, code and a GGUF named after them get what any unknown name gets: no error, no internal failure", () => {
    NAMES.forEach((n, i) => {
      box.write(`c${i}/config.json`, `{"model_type": "${n}", "${n}": {"model_type": "${n}"}, "rms_norm_eps": 1e-6}\n`);
      box.write(`l${i}/config.json`, `{"model_type": "llama", "${n}": {"x": 1}, "text_config": {"model_type": "${n}"}, "rms_norm_eps": 1e-6}\n`);
      box.write(
        `p${i}/m.py`,
        `import torch as ${n}\nfrom torch import nn\n\n\nclass Norm(nn.Module):\n    def __init__(self, d, eps=1e-6):\n        super().__init__()\n        self.${n} = nn.Parameter(${n}.ones(d))\n        self.eps = eps\n\n    def forward(self, x):\n        return ${n}.nn.functional.rms_norm(x, (x.shape[-1],), self.${n}, self.eps) * self.${n}.${n}\n\n\ndef f(m, **kw):\n    m.${n} = 1\n    setattr(m, "${n}", kw["${n}"])\n    return dict(${n}=1)\n`,
      );
      const gguf = buildGgufHeader({ metadata: { "general.architecture": { type: "str", value: n }, [`${n}.attention.layer_norm_rms_epsilon`]: { type: "f32", value: 1e-6 } } }).bytes;
      box.write(`g${i}/model.gguf`, gguf);
    });
    const { result, report } = box.json(["."]);
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe("");
    const above = report.findings.filter((f) => f.severity !== "info" || f.code === "NL200").map((f) => `${f.file} ${f.code} ${f.message}`);
    expect(above).toEqual([]);
    // Every unknown model type is still said to be unknown.
    for (const n of NAMES) expect(report.findings.some((f) => f.code === "NL002" && f.message.includes(`\`${n}\``))).toBe(true);
  });
});
