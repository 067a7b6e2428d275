// The read-only documents of a Hub check without the Hub: their URIs (one per remote file, the
// location spelt back from the URI alone), the provider's store, the rendering of checkpoint
// headers with byte offsets landing on the lines that show them, the controller leaving those
// documents alone (no lint of its own, no fix), and the Norm Lab's remote load message.
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/extension/controller";
import { HUB_SCHEME, HubDocuments, hubDocUri, hubLocationOf } from "../../src/extension/hub-docs";
import { mapToRendered, renderCheckpoint } from "../../src/extension/hub-render";
import { readModelFolder } from "../../src/engine/folder";
import { bytesSource } from "../../src/engine/io";
import { validateToWebview } from "../../src/protocol";
import { buildGguf, buildSafetensors } from "../harness/checkpoint-builder";
import { FakeHost } from "./fake-host";

const SHA = "3f1c2a9d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b";

describe("Hub document URIs", () => {
  it("mirror the Hub location one to one, spelt as vscode.Uri.toString() spells them", () => {
    const loc = `hf://google/gemma-2-2b@${SHA}/sub dir/model-00001-of-00002.safetensors`;
    const uri = hubDocUri(loc);
    expect(uri).toBe(`${HUB_SCHEME}:/google/gemma-2-2b%40${SHA}/sub%20dir/model-00001-of-00002.safetensors`);
    expect(hubLocationOf(uri)).toBe(loc);
    expect(hubLocationOf("file:///ws/config.json")).toBeUndefined();
  });

  it("the provider serves what a check stored, tells about a changed text, and says why when it has none", () => {
    const docs = new HubDocuments();
    const uri = hubDocUri(`hf://o/r@${SHA}/config.json`);
    const changed: string[] = [];
    const sub = docs.onDidChange((u) => changed.push(u));
    expect(docs.provide(uri)).toMatch(/no copy of hf:\/\/o\/r@3f1c2a9d.*\/config\.json in this window: run “normlint: Check a Hugging Face Model\.\.\.”/);
    docs.set(uri, '{"model_type": "gemma2"}');
    expect(docs.provide(uri)).toBe('{"model_type": "gemma2"}');
    docs.set(uri, '{"model_type": "gemma2"}');
    expect(changed).toEqual([]);
    docs.set(uri, '{"model_type": "gemma"}');
    expect(changed).toEqual([uri]);
    sub.dispose();
    docs.set(uri, "{}");
    expect(changed).toHaveLength(1);
  });
});

describe("checkpoint headers as text", () => {
  it("renders a safetensors header line by line; a tensor's key offset lands on its name", async () => {
    const built = buildSafetensors({
      metadata: { format: "mlx" },
      tensors: { "model.norm.weight": { dtype: "BF16", shape: [8], fill: "ones" }, "model.embed_tokens.weight": { dtype: "BF16", shape: [4, 8], fill: "normal" } },
    });
    const folder = await readModelFolder({ dir: "hf://o/r", safetensors: [{ path: "hf://o/r@x/model.safetensors", source: bytesSource(built.bytes) }], gguf: [], pickles: [] });
    const c = folder.checkpoints[0];
    const r = renderCheckpoint(c.path, built.bytes.length, c);
    const lines = r.text.split("\n");
    expect(lines[0]).toBe("hf://o/r@x/model.safetensors");
    expect(lines[1]).toMatch(/^a safetensors header \(8 \+ [\d,]+ bytes of a [\d,]+-byte file\), read by range: normlint did not download the tensor data/);
    expect(r.text).toContain('  format = "mlx"');
    for (const t of c.safetensors!.tensors) {
      const at = mapToRendered(r, t.keyOffset, t.keyOffset + t.name.length);
      expect(r.text.slice(at.start, at.end)).toBe(t.name);
      const line = r.text.slice(r.text.lastIndexOf("\n", at.start) + 1, r.text.indexOf("\n", at.end));
      expect(line).toMatch(new RegExp(`^${t.name.replace(/\./g, "\\.")}\\s+BF16\\s+\\[${t.shape.join(", ")}\\]\\s+\\d+\\.\\.\\d+$`));
    }
    // A range at 0 (a whole-file finding) is the title line, or the norm tensor named as the file's home.
    expect(r.text.slice(...(Object.values(mapToRendered(r, 0, 0)) as [number, number]))).toBe("hf://o/r@x/model.safetensors");
    const homed = renderCheckpoint(c.path, built.bytes.length, c, "model.norm.weight");
    expect(homed.text.slice(...(Object.values(mapToRendered(homed, 0, 0)) as [number, number]))).toBe("model.norm.weight");
  });

  it("renders a GGUF header: a metadata key's offset lands on the key, long arrays by their size", async () => {
    const bytes = buildGguf({
      metadata: { "general.architecture": "gemma2", "gemma2.attention.layer_norm_rms_epsilon": { type: "f32", value: 1e-6 }, "tokenizer.ggml.tokens": { type: "arr", itemType: "str", items: Array.from({ length: 40 }, (_, i) => `t${i}`) } },
      tensors: { "output_norm.weight": { type: "F32", dims: [8], fill: "ones" } },
    });
    const folder = await readModelFolder({ dir: "hf://o/r", safetensors: [], gguf: [{ path: "hf://o/r@x/m.gguf", source: bytesSource(bytes) }], pickles: [] });
    const c = folder.checkpoints[0];
    const r = renderCheckpoint(c.path, bytes.length, c);
    expect(r.text).toContain('  general.architecture = "gemma2"');
    expect(r.text).toContain("  tokenizer.ggml.tokens = [40 str values]");
    const kv = c.gguf!.metadata.get("gemma2.attention.layer_norm_rms_epsilon")!;
    const at = mapToRendered(r, kv.offset + 3, kv.offset + 3);
    expect(r.text.slice(at.start, at.end)).toBe("gemma2.attention.layer_norm_rms_epsilon");
    const t = c.gguf!.tensors[0];
    const tt = mapToRendered(r, t.infoOffset, t.infoOffset);
    expect(r.text.slice(tt.start, tt.end)).toBe("output_norm.weight");
  });

  it("a header that does not parse shows its problem, and the problem's offset lands on that line", async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 1000n, true);
    const folder = await readModelFolder({ dir: "hf://o/r", safetensors: [{ path: "hf://o/r@x/bad.safetensors", source: bytesSource(bytes) }], gguf: [], pickles: [] });
    const c = folder.checkpoints[0];
    expect(c.problems.length).toBeGreaterThan(0);
    const r = renderCheckpoint(c.path, bytes.length, c);
    expect(r.text.split("\n")[1]).toMatch(/^a safetensors file of 16 bytes whose header could not be read/);
    const p = c.problems[0];
    const at = mapToRendered(r, 0, 0, p.offset);
    expect(r.text.slice(at.start, at.end)).toBe(`problem at byte ${p.offset.toLocaleString("en-US")}: ${p.message}`);
  });
});

describe("the controller and a Hub check's documents", () => {
  it("does not lint them, offers no fix on them, and keeps the diagnostics the check published", async () => {
    const host = new FakeHost();
    const c = new Controller(host);
    const uri = hubDocUri(`hf://o/r@${SHA}/config.json`);
    // A config.json VS Code opened from the content provider (language json by its name).
    host.open(uri, '{\n  "model_type": "llama",\n  "layer_norm_eps": 1e-05\n}\n');
    c.onOpen(uri);
    await c.commands["normlint.lintWorkspace"]();
    await new Promise((r) => setTimeout(r, 100));
    expect(host.diags(uri)).toEqual([]);
    expect(await c.provideCodeActions(uri, { start: { line: 2, character: 2 }, end: { line: 2, character: 2 } }, { quickfix: true, fixAll: true })).toEqual([]);
    c.dispose();
  });
});

describe("the Norm Lab's remote load message", () => {
  const plan = { dir: "hf://o/r", declaredText: "x * (1 + w)", precision: { dtype: "f32", cast: "gemma" }, eps: 1e-6, rows: 8, seed: 0, scale: 1, familyOffset: true, stored: "offset", storedReason: "", tensors: [], notes: [] };
  const remote = { label: `hf://o/r@${SHA}`, url: `http://127.0.0.1:5000/o/r/tree/${SHA}`, requests: 3, bytesFetched: 1234, cachedReads: 1, bytesRead: 2000, reads: 4 };
  const load = (r: unknown, folder = `hf://o/r@${SHA}`) => validateToWebview({ type: "load", folder, plan, remote: r });

  it("accepts a remote load whose folder is the repository it names", () => {
    expect(load(remote)).toMatchObject({ ok: true });
    expect(validateToWebview({ type: "load", folder: "m", plan })).toMatchObject({ ok: true });
  });

  it("refuses a negative or fractional count, a missing figure, an extra key, a page that is not http(s), a label that is not a pinned hf:// location, and a label that is not the folder", () => {
    expect(load({ ...remote, bytesFetched: -1 })).toEqual({ ok: false, error: "remote.bytesFetched must be >= 0" });
    expect(load({ ...remote, reads: 1.5 })).toEqual({ ok: false, error: "remote.reads must be integer" });
    const { requests: _, ...missing } = remote;
    expect(load(missing)).toEqual({ ok: false, error: 'remote is missing "requests"' });
    expect(load({ ...remote, html: "<img>" })).toEqual({ ok: false, error: 'remote has an unexpected key "html"' });
    expect(load({ ...remote, url: "javascript:alert(1)" })).toMatchObject({ ok: false, error: expect.stringMatching(/^remote\.url must match pattern/) });
    expect(load({ ...remote, label: "hf://o/r" }, "hf://o/r")).toMatchObject({ ok: false, error: expect.stringMatching(/^remote\.label must match pattern/) });
    expect(load(remote, "hf://o/other")).toEqual({ ok: false, error: `remote.label "hf://o/r@${SHA}" is not the folder "hf://o/other"` });
  });
});

describe("the Norm Lab's line about a remote model", () => {
  it("says what its reads took and what came over the network, with the page's address as text", async () => {
    const { remoteText } = await import("../../webview/ui/render");
    const r = { label: `hf://o/r@${SHA}`, url: `http://127.0.0.1:5000/o/r/tree/${SHA}`, requests: 3, bytesFetched: 6144, cachedReads: 1, bytesRead: 9113, reads: 52 };
    expect(remoteText(r)).toBe(
      `Hugging Face Hub, read by range (nothing downloaded): the headers and norm tensors take 8.9 KiB in 52 ranged reads; this load sent 3 requests and fetched 6.0 KiB; 1 read answered by normlint's cache. http://127.0.0.1:5000/o/r/tree/${SHA}`,
    );
    expect(remoteText({ ...r, requests: 0, bytesFetched: 0, cachedReads: 2 })).toContain("; this load fetched nothing over the network (2 reads answered by normlint's cache).");
  });
});
