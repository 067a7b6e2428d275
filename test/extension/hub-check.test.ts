// "normlint: Check a Hugging Face Model..." with the fake host and a fake Hub repository (files in
// memory behind the HubRepo interface, counting requests and bytes): what the input box accepts,
// the findings on the read-only documents (a checkpoint's moved onto its header line), the summary
// with its cost, cancel, Hub errors, and the Norm Lab on the remote model with the bytes it cost.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/extension/controller";
import { hubDiagnostics, validateHubInput } from "../../src/extension/hub-check";
import { HUB_SCHEME, hubDocUri } from "../../src/extension/hub-docs";
import type { PanelHost } from "../../src/extension/types";
import { cpuExec, runComparison } from "../../src/engine/lab";
import { bytesSource } from "../../src/engine/io";
import type { Finding } from "../../src/engine/types";
import { HubError, type HubOptions, type HubRepo, type HubTarget, openHubRepo } from "../../src/node/hub";
import { demoRepos } from "../harness/hub-repos";
import { startHubServer } from "../harness/hub-server";
import { Positions } from "../../src/extension/translate";
import { planFromWire, type ToWebview, validateToWebview } from "../../src/protocol";
import { buildSafetensors } from "../harness/checkpoint-builder";
import { folderDesc, normNames } from "../harness/model-folder";
import { FakeHost, FakePanel, settle, until } from "./fake-host";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const enc = new TextEncoder();

/** A Hub repository in memory: `files` by path; every read is a request (no cache). */
function fakeHub(files: Record<string, Uint8Array>) {
  const stats = { requests: 0, bytes: 0, cachedReads: 0, retries: 0 };
  const opened: Array<{ target: HubTarget; opts: HubOptions }> = [];
  const open = async (target: HubTarget, opts: HubOptions): Promise<HubRepo> => {
    opened.push({ target, opts });
    stats.requests++; // the revision
    const dir = `hf://${target.repo}@${SHA}${target.subfolder ? `/${target.subfolder}` : ""}`;
    const pathOf = (loc: string) => loc.slice(dir.length + 1);
    return {
      target,
      commit: SHA,
      endpoint: "http://127.0.0.1:9",
      dir,
      display: (l) => `http://127.0.0.1:9/${target.repo}/blob/${SHA}/${l.slice(dir.length + 1)}`,
      stats: () => ({ ...stats }),
      failure: () => undefined,
      access: {
        list: async () => Object.keys(files).map((name) => ({ name, type: "file" as const })),
        read: async (loc, cap) => {
          const b = files[pathOf(loc)];
          if (!b) return { size: 0, error: "ENOENT" };
          if (b.length > cap) return { size: b.length };
          stats.requests++;
          stats.bytes += b.length;
          return { bytes: b, size: b.length };
        },
        open: async (loc) => {
          const b = files[pathOf(loc)];
          if (!b) throw new Error("ENOENT");
          const src = bytesSource(b);
          return {
            size: src.size,
            read: async (o: number, l: number) => {
              const out = await src.read(o, l);
              stats.requests++;
              stats.bytes += out.length;
              return out;
            },
            close: async () => undefined,
          };
        },
        join: (d, n) => `${d}/${n}`,
      },
    };
  };
  return { open, stats, opened };
}

/** Gemma 2 weights with the +1 folded in (stored near 1) under model_type gemma2: NL303. */
function foldedGemma(extra: Record<string, unknown> = {}) {
  const { config, desc } = folderDesc({ modelType: "gemma2", fill: "gemma-folded", hidden: 64, config: extra });
  return { "config.json": enc.encode(JSON.stringify(config, null, 2)), "model.safetensors": buildSafetensors(desc).bytes };
}

function setup(files: Record<string, Uint8Array> = foldedGemma()) {
  const host = new FakeHost();
  const panels: FakePanel[] = [];
  const shown: string[] = [];
  const panelHost: PanelHost = { create: () => (panels.push(new FakePanel()), panels.at(-1)!), showProblems: () => undefined, showFinding: async (f, code) => (shown.push(`${code} ${f}`), true) };
  Object.assign(host, { panels: panelHost });
  const hub = fakeHub(files);
  const controller = new Controller(host, { hubOpen: hub.open });
  return { host, hub, controller, panels, shown };
}

describe("the repository input box", () => {
  it("accepts repo ids, revisions, hf:// targets and huggingface.co URLs, and says what is wrong as you type", () => {
    for (const ok of ["google/gemma-2-2b", "google/gemma-2-2b@main", "hf://google/gemma-2-2b/sub", "https://huggingface.co/google/gemma-2-2b", "", "  "]) expect(validateHubInput(ok), ok).toBeUndefined();
    expect(validateHubInput("gemma")).toBe("“gemma” has no owner: type owner/repo, e.g. google/gemma-2-2b");
    expect(validateHubInput("https://example.com/google/gemma")).toMatch(/^Not a Hugging Face model URL/);
  });

  it("validates each keystroke with the same rule, and a dismissed box checks nothing", async () => {
    const { host, hub, controller } = setup();
    host.inputProbe = ["g", "google", "google/", "google/gemma-2-2b"];
    host.inputAnswer = undefined;
    expect(await controller.commands["normlint.checkHubModel"]()).toBeUndefined();
    expect(host.inputValidations.map((v) => v.message === undefined)).toEqual(host.inputProbe.map((t) => validateHubInput(t) === undefined));
    expect(host.inputValidations.at(-1)).toEqual({ text: "google/gemma-2-2b", message: undefined });
    expect(hub.opened).toHaveLength(0);
  });
});

describe("Check a Hugging Face Model", () => {
  it("runs the config and folder rules on the remote repository and shows the findings on read-only documents", async () => {
    // A config rule's finding too: an eps key Gemma 2 never reads (NL101).
    const { host, hub, controller } = setup(foldedGemma({ layer_norm_eps: 1e-5 }));
    host.inputAnswer = "https://huggingface.co/demo/gemma-2-folded";
    const result = (await controller.commands["normlint.checkHubModel"]()) as { documents: string[] } | undefined;
    expect(hub.opened[0].target).toMatchObject({ repo: "demo/gemma-2-folded" });
    expect(hub.opened[0].opts.signal).toBeInstanceOf(AbortSignal);
    const configUri = hubDocUri(`hf://demo/gemma-2-folded@${SHA}/config.json`);
    const weightsUri = hubDocUri(`hf://demo/gemma-2-folded@${SHA}/model.safetensors`);
    expect(result?.documents.sort()).toEqual([configUri, weightsUri].sort());
    // NL303 on config.json's model_type, with the checkpoint's document as related information.
    const nl303 = host.diags(configUri).find((d) => d.code.value === "NL303");
    expect(nl303).toBeDefined();
    const configText = controller.hubDocuments.get(configUri)!;
    const pos = new Positions(configText);
    expect(configText.slice(pos.offset(nl303!.range.start), pos.offset(nl303!.range.end))).toBe('"gemma2"');
    // ... the related location on the first norm tensor's line of the rendered header.
    const rel = nl303!.related.find((r) => r.uri === weightsUri)!;
    const header = new Positions(controller.hubDocuments.get(weightsUri)!);
    expect(header.text.slice(header.offset(rel.range.start), header.offset(rel.range.end))).toMatch(/^model\.layers\.0\.\w+_layernorm\.weight$|^model\.norm\.weight$/);
    expect(nl303!.code.target).toBe("file:///ext/docs/rules/checkpoint-norm-offset-mismatch.md");
    const nl101 = host.diags(configUri).find((d) => d.code.value === "NL101");
    expect(configText.slice(pos.offset(nl101!.range.start), pos.offset(nl101!.range.end))).toBe('"layer_norm_eps"');
    // The checkpoint's document is its header as text, not bytes.
    expect(controller.hubDocuments.get(weightsUri)).toMatch(/^hf:\/\/demo\/gemma-2-folded@0123456789ab.*\/model\.safetensors\na safetensors header/);
    expect(host.shown).toEqual([configUri]);
    // The summary: what was found and what it cost, with the Norm Lab on offer.
    expect(host.infos.at(-1)).toMatch(new RegExp(`^normlint: demo/gemma-2-folded@${SHA.slice(0, 12)}: 1 error, 1 warning; \\d+ requests, [\\d.]+ KiB fetched\\. Nothing else was downloaded\\.$`));
    expect(host.infoActions.at(-1)).toEqual(["Open in Norm Lab", "Show Output"]);
    expect(host.progress[0]).toBe("title: normlint: checking demo/gemma-2-folded on the Hub");
    // The controller does not lint these documents itself when VS Code opens them.
    const before = host.codes(configUri);
    host.open(configUri, configText);
    controller.onOpen(configUri);
    await new Promise((r) => setTimeout(r, 300));
    expect(host.codes(configUri)).toEqual(before);
    expect(before.sort()).toEqual(["NL101@6:2", "NL303@1:16"].sort());
    controller.dispose();
  });

  it("lints the repository's modeling code like a local folder's, on a read-only document of the .py file", async () => {
    const port = readFileSync(join(__dirname, "..", "..", "examples", "gemma-port-dropped-offset", "modeling_gemma_port.py"));
    const { host, controller, panels } = setup({ ...foldedGemma(), "modeling_gemma_port.py": port });
    host.inputAnswer = "demo/gemma-2-remote-code";
    host.infoChoice = "Open in Norm Lab";
    await controller.commands["normlint.checkHubModel"]();
    const pyUri = hubDocUri(`hf://demo/gemma-2-remote-code@${SHA}/modeling_gemma_port.py`);
    // As the Problems panel shows the local example: NL201 at [Ln 21, Col 27].
    expect(host.codes(pyUri)).toContain("NL201@20:26");
    expect(controller.hubDocuments.get(pyUri)).toBe(new TextDecoder().decode(port));
    // The Norm Lab reads that code too: the convention it implements joins the comparison.
    const panel = await until(() => panels[0]);
    panel.send({ type: "ready" });
    const msg = (await until(() => panel.sent[0])) as ToWebview;
    if (msg.type !== "load") throw new Error(JSON.stringify(msg));
    expect(msg.plan.implementedText).toMatch(/modeling_gemma_port\.py/);
    controller.dispose();
  });

  it("cancel aborts the Hub reads: nothing is published, no error is shown", async () => {
    const host = new FakeHost();
    const seen: AbortSignal[] = [];
    const controller = new Controller(host, {
      hubOpen: (_t, opts) =>
        new Promise((_, reject) => {
          seen.push(opts.signal!);
          opts.signal!.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
          host.cancelProgress(); // the user clicks Cancel while the revision resolves
        }),
    });
    host.inputAnswer = "demo/slow";
    expect(await controller.commands["normlint.checkHubModel"]()).toBeUndefined();
    expect(seen[0].aborted).toBe(true);
    expect([...host.diagnostics.keys()]).toEqual([]);
    expect(host.warnings).toEqual([]);
    expect(host.infos).toEqual(["normlint: the check of demo/slow was cancelled."]);
  });

  it("says what a Hub error means (a gated repository, one that is not there)", async () => {
    const host = new FakeHost();
    const errors = [new HubError("gated", "403 from the Hub", 403), new HubError("not-found", "404", 404)];
    const controller = new Controller(host, { hubOpen: async () => Promise.reject(errors.shift()) });
    host.inputAnswer = "meta-llama/Llama-3.1-8B";
    await controller.commands["normlint.checkHubModel"]();
    host.inputAnswer = "demo/none@v2";
    await controller.commands["normlint.checkHubModel"]();
    expect(host.warnings[0]).toMatch(/^normlint: meta-llama\/Llama-3\.1-8B is gated: accept its terms on the Hub, then give normlint a token \(the HF_TOKEN environment variable/);
    expect(host.warnings[1]).toMatch(/^normlint: demo\/none@v2 was not found on the Hub/);
    expect([...host.diagnostics.keys()]).toEqual([]);
  });

  it("a finding in a checkpoint lands on its header line, and so does a related location there", () => {
    const header = "hf://o/r@x/m.safetensors\ntitle\n\nmodel.norm.weight  BF16  [8]  0..16\n";
    const rendered = { text: header, anchors: [{ at: 0, start: 0, end: 24 }, { at: 40, start: header.indexOf("model.norm"), end: header.indexOf("model.norm") + 17 }] };
    const docs = new Map([
      ["hf://o/r@x/m.safetensors", { uri: hubDocUri("hf://o/r@x/m.safetensors"), positions: new Positions(header), rendered }],
      ["hf://o/r@x/config.json", { uri: hubDocUri("hf://o/r@x/config.json"), positions: new Positions('{"model_type": "gemma"}') }],
    ]);
    const f = (file: string, start: number, end: number, related: Finding["related"] = []): Finding => ({ file, rule: "checkpoint-norm-shape-mismatch", code: "NL306", severity: "error", messageId: "x", message: "m", start, end, fixes: [], related });
    const out = hubDiagnostics([f("hf://o/r@x/m.safetensors", 41, 50), f("hf://o/r@x/config.json", 15, 22, [{ file: "hf://o/r@x/m.safetensors", start: 40, end: 57, message: "here" }]), f("hf://elsewhere/file", 0, 0)], docs, (r) => `doc:${r}`);
    expect([...out.keys()].sort()).toEqual([hubDocUri("hf://o/r@x/config.json"), hubDocUri("hf://o/r@x/m.safetensors")].sort());
    expect(out.get(hubDocUri("hf://o/r@x/m.safetensors"))![0].range).toEqual({ start: { line: 3, character: 0 }, end: { line: 3, character: 17 } });
    const cfg = out.get(hubDocUri("hf://o/r@x/config.json"))![0];
    expect(cfg.range).toEqual({ start: { line: 0, character: 15 }, end: { line: 0, character: 22 } });
    expect(cfg.related).toEqual([{ uri: hubDocUri("hf://o/r@x/m.safetensors"), range: { start: { line: 3, character: 0 }, end: { line: 3, character: 17 } }, message: "here" }]);
    expect(hubDocUri("hf://o/r@x/m.safetensors").startsWith(`${HUB_SCHEME}:/`)).toBe(true);
  });
});

describe("the Norm Lab on a remote model", () => {
  it("opens from the summary's button, compares the remote norm tensors fetched by range, and shows what they cost", async () => {
    const { host, hub, controller, panels, shown } = setup();
    host.infoChoice = "Open in Norm Lab";
    host.inputAnswer = "demo/gemma-2-folded";
    await controller.commands["normlint.checkHubModel"]();
    const panel = await until(() => panels[0]);
    expect(panel.html).not.toMatch(/https?:/);
    const before = hub.stats.requests;
    panel.send({ type: "ready" });
    const msg = (await until(() => panel.sent[0])) as ToWebview;
    const v = validateToWebview(msg);
    if (!v.ok || v.value.type !== "load") throw new Error(JSON.stringify(v));
    expect(v.value.folder).toBe(`hf://demo/gemma-2-folded@${SHA}`);
    const r = v.value.remote!;
    expect(r).toMatchObject({ label: v.value.folder, url: `http://127.0.0.1:9/demo/gemma-2-folded/tree/${SHA}` });
    // The norm tensors (64 BF16 values each) and the header were read, and nothing else (not the embeddings).
    const norms = normNames("gemma2", 6).length;
    expect(v.value.plan.tensors).toHaveLength(norms);
    const file = foldedGemma()["model.safetensors"];
    const header = 8 + Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    expect(r.bytesRead).toBeGreaterThanOrEqual(header + norms * 64 * 2);
    // The header, and the norm tensors read for their statistics and again for the plan; never the embeddings.
    expect(r.bytesRead).toBeLessThanOrEqual(header + 2 * norms * 64 * 2);
    expect(r.requests).toBe(hub.stats.requests - before);
    expect(r.bytesFetched).toBeGreaterThanOrEqual(r.bytesRead);
    const result = await runComparison(planFromWire(v.value.plan), cpuExec);
    expect(result.verdict.kind).toBe("offset-twice");
    // The next step's link goes to the finding on the check's read-only documents.
    panel.send({ type: "showFinding", code: "NL303" });
    await settle();
    expect(shown).toEqual([`NL303 ${hubDocUri(`hf://demo/gemma-2-folded@${SHA}`)}`]);
  });

  it("comes back after a reload: the saved folder is the pinned repository, opened again at its commit", async () => {
    const { hub, controller } = setup();
    const panel = new FakePanel();
    await controller.reviveNormLab(panel, { folder: `hf://demo/gemma-2-folded@${SHA}`, rows: 3, seed: 1, scale: 1 });
    panel.send({ type: "ready" });
    const msg = (await until(() => panel.sent[0])) as ToWebview;
    expect(msg).toMatchObject({ type: "load", folder: `hf://demo/gemma-2-folded@${SHA}`, remote: { label: `hf://demo/gemma-2-folded@${SHA}` } });
    expect(hub.opened.map((o) => o.target)).toEqual([expect.objectContaining({ repo: "demo/gemma-2-folded", revision: SHA })]);
  });

  it("opens from a Hub document's editor title (the command gets the document's URI)", async () => {
    const { host, controller, panels } = setup();
    host.inputAnswer = "demo/gemma-2-folded";
    await controller.commands["normlint.checkHubModel"]();
    await controller.commands["normlint.openNormLab"](hubDocUri(`hf://demo/gemma-2-folded@${SHA}/model.safetensors`));
    panels[0].send({ type: "ready" });
    const msg = (await until(() => panels[0].sent[0])) as ToWebview;
    expect(msg).toMatchObject({ type: "load", folder: `hf://demo/gemma-2-folded@${SHA}` });
  });
});

describe("against the Hub stand-in on 127.0.0.1, with the real Hub client", () => {
  it("checks the MLX conversion with a doubled offset, and the Norm Lab's reads go over HTTP by range", async () => {
    const server = await startHubServer({ repos: demoRepos() });
    try {
      const host = new FakeHost();
      const panels: FakePanel[] = [];
      Object.assign(host, { panels: { create: () => (panels.push(new FakePanel()), panels.at(-1)!), showProblems: () => undefined, showFinding: async () => true } satisfies PanelHost });
      // No cache on disk (the tests write nothing under the home folder): every read is a request.
      const controller = new Controller(host, { hubOpen: (t, o) => openHubRepo(t, { ...o, endpoint: server.url, cacheDir: null }) });
      host.inputAnswer = "normlint-demo/gemma2-mlx-doubled";
      host.infoChoice = "Open in Norm Lab";
      await controller.commands["normlint.checkHubModel"]();
      const commit = server.commitOf("normlint-demo/gemma2-mlx-doubled");
      const configUri = hubDocUri(`hf://normlint-demo/gemma2-mlx-doubled@${commit}/config.json`);
      expect(host.warnings).toEqual([]);
      expect(host.codes(configUri)).toContain("NL303@1:16");
      expect(host.diags(configUri).find((d) => d.code.value === "NL303")!.message).toMatch(/MLX/);
      expect(controller.hubDocuments.get(hubDocUri(`hf://normlint-demo/gemma2-mlx-doubled@${commit}/model.safetensors`))).toContain('format = "mlx"');
      expect(host.infos.at(-1)).toMatch(/^normlint: normlint-demo\/gemma2-mlx-doubled@[0-9a-f]{12}: 1 error; \d+ requests, [\d.]+ KiB fetched\. Nothing else was downloaded\.$/);
      // Never a whole checkpoint: each GET of a safetensors file asks for a range.
      const gets = server.requests.filter((r) => r.method === "GET" && /\.safetensors/.test(r.url));
      expect(gets.length).toBeGreaterThan(0);
      for (const g of gets) expect(g.headers.range, g.url).toMatch(/^bytes=\d+-\d+$/);
      const panel = await until(() => panels[0]);
      const sentBefore = server.requests.length;
      panel.send({ type: "ready" });
      const msg = (await until(() => panel.sent[0])) as ToWebview;
      const v = validateToWebview(msg);
      if (!v.ok || v.value.type !== "load") throw new Error(JSON.stringify(msg));
      expect(v.value.remote!.requests).toBe(server.requests.length - sentBefore);
      expect(v.value.remote!.bytesFetched).toBeGreaterThan(0);
      expect((await runComparison(planFromWire(v.value.plan), cpuExec)).verdict.kind).toBe("offset-twice");
      controller.dispose();
    } finally {
      await server.close();
    }
  });
});

describe("a second check of the same commit", () => {
  it("is answered by normlint's cache on disk: fewer requests, the same findings", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const cacheDir = mkdtempSync(join(tmpdir(), "normlint-hubext-cache-"));
    const server = await startHubServer({ repos: demoRepos() });
    try {
      const host = new FakeHost();
      const controller = new Controller(host, { hubOpen: (t, o) => openHubRepo(t, { ...o, endpoint: server.url, cacheDir }) });
      host.inputAnswer = "normlint-demo/gemma2-mlx-doubled";
      await controller.commands["normlint.checkHubModel"]();
      const first = server.requests.length;
      const diags = [...host.diagnostics.entries()].map(([u, d]) => [u, d.map((x) => `${x.code.value}@${x.range.start.line}:${x.range.start.character}`)]);
      await controller.commands["normlint.checkHubModel"]();
      const second = server.requests.length - first;
      console.log(`Hub check of normlint-demo/gemma2-mlx-doubled: ${first} requests, then ${second} with the cache; ${host.infos.join(" | ")}`);
      expect(second).toBeLessThan(first);
      expect([...host.diagnostics.entries()].map(([u, d]) => [u, d.map((x) => `${x.code.value}@${x.range.start.line}:${x.range.start.character}`)])).toEqual(diags);
      controller.dispose();
    } finally {
      await server.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});
