// The model-folder reader every face uses (src/node/folder.ts): what it takes from a folder, how it
// names files, its caps, and that nothing in the folder can make it wait.
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nodeAccess } from "../src/node/access";
import { FOLDER_CAPS, readModelFolderInput } from "../src/node/folder";
import { buildSafetensors } from "./harness/checkpoint-builder";
import { folderDesc } from "./harness/model-folder";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "normlint-folder-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, content: string | Uint8Array) => writeFileSync(join(dir, name), content);

describe("readModelFolderInput", () => {
  it("takes config, the checkpoint's index, checkpoints, pickles and code, named by `display`", async () => {
    const { config, desc } = folderDesc({ modelType: "llama", fill: "llama-like" });
    put("config.json", JSON.stringify(config));
    put("model.safetensors", buildSafetensors(desc).bytes);
    put("a.safetensors.index.json", '{"weight_map": {}}');
    put("model.safetensors.index.json", '{"weight_map": {"x": "model.safetensors"}}');
    put("pytorch_model.bin", "not unpickled");
    put("modeling_llama.py", "import torch\n");
    put("notes.txt", "ignored");
    mkdirSync(join(dir, "sub.safetensors"));
    const read = await readModelFolderInput(dir, nodeAccess, { display: (p) => p.slice(dir.length + 1) || "." });
    try {
      const { input } = read;
      expect(input.dir).toBe(".");
      expect(input.config?.path).toBe("config.json");
      expect(new TextDecoder().decode(input.config!.bytes)).toBe(JSON.stringify(config));
      // Several indexes: transformers' own name wins, whatever sorts first.
      expect(input.index?.path).toBe("model.safetensors.index.json");
      expect(input.safetensors.map((s) => s.path)).toEqual(["model.safetensors"]);
      expect(input.pickles).toEqual(["pytorch_model.bin"]);
      expect(read.code).toEqual([{ location: join(dir, "modeling_llama.py"), path: "modeling_llama.py", kind: "python" }]);
      expect(read.locations.get("model.safetensors")).toBe(join(dir, "model.safetensors"));
      expect(read.problems).toEqual([]);
    } finally {
      await read.close();
    }
  });

  it("reports FIFOs, dangling links and files over a cap as problems, without waiting", async () => {
    for (const f of ["config.json", "model.safetensors"]) expect(spawnSync("mkfifo", [join(dir, f)]).status).toBe(0);
    symlinkSync(join(dir, "gone"), join(dir, "model.gguf"));
    const fd = openSync(join(dir, "model.safetensors.index.json"), "w");
    ftruncateSync(fd, FOLDER_CAPS.index + 1); // sparse: no disk blocks
    closeSync(fd);
    const read = await readModelFolderInput(dir, nodeAccess, { display: (p) => p.slice(dir.length + 1) });
    await read.close();
    expect(read.input.config).toBeUndefined();
    expect(read.input.index).toBeUndefined();
    expect(read.input.safetensors).toEqual([]);
    expect(read.problems.map((p) => p.path)).toEqual(["config.json", "model.safetensors.index.json", "model.gguf", "model.safetensors"]);
    expect(read.problems[0].error).toBe("not a regular file");
    expect(read.problems[1].error).toBe(`${FOLDER_CAPS.index + 1} bytes, over the ${FOLDER_CAPS.index}-byte cap`);
    expect(read.problems[2].error).toBe("ENOENT");
    expect(read.problems[3].error).toMatch(/not a regular file/);
  });

  it("uses the caller's config bytes and file list as given (the CLI's walk, an editor's open text)", async () => {
    put("config.json", '{"model_type": "on-disk"}');
    put("model.safetensors", buildSafetensors(folderDesc({ modelType: "llama", fill: "llama-like" }).desc).bytes);
    put("ignored.safetensors", "excluded by .gitignore");
    const text = new TextEncoder().encode('{"model_type": "llama"}');
    const read = await readModelFolderInput(dir, nodeAccess, { config: text, names: ["model.safetensors"] });
    await read.close();
    expect(read.input.config).toEqual({ path: join(dir, "config.json"), bytes: text });
    expect(read.input.safetensors.map((s) => s.path)).toEqual([join(dir, "model.safetensors")]);
    const none = await readModelFolderInput(dir, nodeAccess, { config: null, names: ["config.json"] });
    expect(none.input.config).toBeUndefined();
    await expect(readModelFolderInput(join(dir, "missing"), nodeAccess)).rejects.toThrow(/ENOENT/);
  });
});
