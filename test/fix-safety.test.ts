// --fix never loses data: writeAtomic (src/node/files.ts) with a failing writer and with a file
// changed after it was read, the CLI's --fix when an editor saves during the run (in process, the
// read hooked), a real full file system (a 1 MiB tmpfs, where mount is allowed), files with only
// unsafe fixes left untouched, modes kept, and all safe fixes applied twice equal to once.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ensureBuilt, runCli } from "./harness/cli";

// Hooks the tests set: a writer that fails, and something to do right after a file is read.
const hooks = vi.hoisted(() => ({
  failWrite: undefined as string | undefined,
  afterRead: undefined as ((path: string) => void) | undefined,
}));

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    writeFileSync: (...args: Parameters<typeof real.writeFileSync>) => {
      if (hooks.failWrite && typeof args[0] === "number") {
        // Half the text reaches the disk, then the device is full.
        const text = String(args[1]);
        real.writeSync(args[0], text.slice(0, text.length >> 1));
        throw Object.assign(new Error(`${hooks.failWrite}: no space left on device`), { code: hooks.failWrite });
      }
      return real.writeFileSync(...args);
    },
  };
});

vi.mock("../src/node/files", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/node/files")>();
  return {
    ...real,
    readRegular: (path: string, cap?: number) => {
      const r = real.readRegular(path, cap);
      hooks.afterRead?.(path);
      return r;
    },
  };
});

const { FileChangedError, readRegular, writeAtomic } = await import("../src/node/files");
const { run } = await import("../src/cli/main");

const BROKEN = '\uFEFF{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-06,\n}\n';
const FIXED = '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-06\n}\n';

let dir: string;
beforeAll(() => ensureBuilt(), 120_000);
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "normlint-fix-")));
  mkdirSync(join(dir, ".git"));
});
afterEach(() => {
  hooks.failWrite = undefined;
  hooks.afterRead = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const put = (rel: string, text: string, mode?: number) => {
  const p = join(dir, rel);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  if (mode !== undefined) chmodSync(p, mode);
  return p;
};
const snapshot = (p: string) => {
  const st = statSync(p);
  return { bytes: readFileSync(p).toString("utf8"), ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, mode: st.mode };
};

/** The CLI in this process (so the hooks apply), from `dir`. */
async function cli(args: string[]) {
  const cwd = process.cwd();
  process.chdir(dir);
  let out = "";
  let err = "";
  try {
    const status = await run(args, (s) => void (out += s), (s) => void (err += s));
    return { status, out, err };
  } finally {
    process.chdir(cwd);
  }
}

describe("writeAtomic", () => {
  it("on a failed write leaves the target as it was, and no temporary file", () => {
    const p = put("m/config.json", BROKEN, 0o640);
    const before = snapshot(p);
    hooks.failWrite = "ENOSPC";
    expect(() => writeAtomic(p, FIXED)).toThrow(/ENOSPC/);
    expect(snapshot(p)).toEqual(before);
    expect(readdirSync(join(dir, "m"))).toEqual(["config.json"]);
  });

  it("refuses to replace a file changed since it was read (content, or only its size or mtime)", () => {
    const p = put("m/config.json", BROKEN);
    for (const change of [
      () => writeFileSync(p, BROKEN.replace("1e-06", "1e-05")), // same size, new bytes
      () => writeFileSync(p, `${BROKEN}\n`),
      () => utimesSync(p, new Date(), new Date(Date.now() + 5000)),
    ]) {
      writeFileSync(p, BROKEN);
      const read = readRegular(p);
      change();
      const now = readFileSync(p);
      expect(() => writeAtomic(p, FIXED, { stamp: read.stamp!, bytes: read.bytes! })).toThrow(FileChangedError);
      expect(readFileSync(p).equals(now)).toBe(true);
      expect(readdirSync(join(dir, "m"))).toEqual(["config.json"]);
    }
    // Unchanged: written, with the mode it had.
    writeFileSync(p, BROKEN);
    const read = readRegular(p);
    writeAtomic(p, FIXED, { stamp: read.stamp!, bytes: read.bytes! });
    expect(readFileSync(p, "utf8")).toBe(FIXED);
  });
});

describe("--fix in process", () => {
  it("an editor's save between normlint's read and its write wins; the run goes on and exits 2", async () => {
    const p = put("a/config.json", BROKEN);
    const other = put("b/config.json", BROKEN);
    const newer = '{\n  "model_type": "llama",\n  "rms_norm_eps": 1e-05,\n  "note": "saved by the user",\n}\n';
    hooks.afterRead = (path) => {
      if (path === p) writeFileSync(p, newer);
    };
    const r = await cli(["--fix", "."]);
    expect(readFileSync(p, "utf8")).toBe(newer);
    expect(readFileSync(other, "utf8")).toBe(FIXED);
    expect(r.err).toBe("normlint: a/config.json not fixed: it changed on disk after normlint read it (run again); the file is unchanged\n");
    expect(r.status).toBe(2);
    expect(readdirSync(join(dir, "a"))).toEqual(["config.json"]);
    // Run again: now it is fixed.
    hooks.afterRead = undefined;
    expect((await cli(["--fix", "."])).status).toBe(0);
    expect(readFileSync(p, "utf8")).toBe(newer.replace(",\n}", "\n}"));
  });

  it("a write that fails leaves that file whole, reports it, and fixes the others", async () => {
    const p = put("a/config.json", BROKEN);
    const before = snapshot(p);
    const py = put("b/modeling.py", "import torch\n\n\nclass RMSNorm(torch.nn.Module):\n    pass  # normlint: ignore[norm-missing-unit-offset]\n");
    hooks.failWrite = "ENOSPC";
    const r = await cli(["--fix", "."]);
    expect(snapshot(p)).toEqual(before);
    expect(readFileSync(py, "utf8")).toContain("normlint: ignore");
    expect(r.err).toContain("normlint: a/config.json not fixed: ENOSPC; the file is unchanged\n");
    expect(r.err).toContain("normlint: b/modeling.py not fixed: ENOSPC; the file is unchanged\n");
    expect(r.status).toBe(2);
    expect(readdirSync(join(dir, "a"))).toEqual(["config.json"]);
  });
});

describe("--fix through dist/cli.js", () => {
  it("never rewrites a file whose only fixes are unsafe (bytes, inode, mtime and ctime unchanged)", () => {
    const cfg = put("m/config.json", '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05\n}\n');
    const py = put(
      "m/gemma.py",
      "# normlint: model_type=gemma\nimport torch\nfrom torch import nn\n\n\nclass GemmaRMSNorm(nn.Module):\n    def __init__(self, dim, eps=1e-6):\n        super().__init__()\n" +
        "        self.eps = eps\n        self.weight = nn.Parameter(torch.zeros(dim))\n\n    def forward(self, x):\n        y = x.float()\n" +
        "        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)\n        return (y * self.weight.float()).type_as(x)\n",
    );
    const before = [snapshot(cfg), snapshot(py)];
    const r = runCli(["--fix", ".", "--format", "json"], dir);
    expect(JSON.parse(r.stdout).summary.fixed).toBe(0);
    expect(JSON.parse(r.stdout).findings.length).toBeGreaterThan(1);
    expect([snapshot(cfg), snapshot(py)]).toEqual(before);
  });

  it("applying all safe fixes twice equals applying them once (configs and Python), and keeps modes", () => {
    const files = {
      "a/config.json": [BROKEN, 0o600],
      "b/config.json": ['{"model_type": "gemma2", "rms_norm_eps": 1e-6,}\n', 0o664],
      "c/modeling.py": ["import torch\n\n\nclass RMSNorm(torch.nn.Module):\n    pass  # normlint: ignore[norm-missing-unit-offset]\n", 0o755],
    } as const;
    for (const [rel, [text, mode]] of Object.entries(files)) put(rel, text, mode);
    const once = runCli(["--fix", ".", "--format", "json"], dir, { umask: 0o077 });
    expect(JSON.parse(once.stdout).summary.fixed).toBeGreaterThanOrEqual(4);
    const after = Object.keys(files).map((rel) => snapshot(join(dir, rel)));
    for (const [i, [, mode]] of Object.values(files).entries()) expect(after[i].mode & 0o7777).toBe(mode);
    expect(after[2].bytes).not.toContain("normlint: ignore");
    const twice = runCli(["--fix", ".", "--format", "json"], dir);
    expect(JSON.parse(twice.stdout).summary.fixed).toBe(0);
    expect(Object.keys(files).map((rel) => snapshot(join(dir, rel)))).toEqual(after);
  });

  it("on a full file system (a 1 MiB tmpfs) reports the files it could not fix, leaves them whole, and lints everything", (ctx) => {
    const mnt = join(dir, "mnt");
    mkdirSync(mnt);
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).status === 0;
    if (!mounted) {
      console.warn("SKIPPED: cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the in-process ENOSPC test above covers the code path");
      ctx.skip();
      return;
    }
    try {
      mkdirSync(join(mnt, ".git"));
      for (const m of ["a", "b"]) {
        mkdirSync(join(mnt, m));
        writeFileSync(join(mnt, m, "config.json"), BROKEN);
      }
      // Fill the rest of the file system.
      spawnSync("dd", ["if=/dev/zero", `of=${join(mnt, "fill")}`, "bs=4k"]);
      const r = runCli(["--fix", ".", "--format", "json"], mnt);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe("normlint: a/config.json not fixed: ENOSPC; the file is unchanged\nnormlint: b/config.json not fixed: ENOSPC; the file is unchanged\n");
      for (const m of ["a", "b"]) {
        expect(readFileSync(join(mnt, m, "config.json"), "utf8")).toBe(BROKEN);
        expect(readdirSync(join(mnt, m))).toEqual(["config.json"]);
      }
      expect(JSON.parse(r.stdout).summary).toMatchObject({ files: 2, linted: 2, fixed: 0, fixable: 4 });
    } finally {
      execFileSync("umount", [mnt]);
    }
  });
});
