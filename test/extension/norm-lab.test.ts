// The Norm Lab panel host with a fake panel: the command opens it on a model folder, the page's
// "ready" brings the plan with the tensors as ArrayBuffers (validated as the page validates it),
// the HTML has a nonce CSP and only bundle URIs, bad messages are refused, and revive restores.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/extension/controller";
import type { PanelHost } from "../../src/extension/types";
import { cpuExec, runComparison } from "../../src/engine/lab";
import { planFromWire, type ToWebview, validateFromWebview, validateToWebview } from "../../src/protocol";
import { buildGguf, buildSafetensors } from "../harness/checkpoint-builder";
import { folderDesc } from "../harness/model-folder";
import { FakeHost, FakePanel, ROOT, settle, until } from "./fake-host";

function setup() {
  const host = new FakeHost();
  const panels: FakePanel[] = [];
  let problems = 0;
  const findings: string[] = [];
  const panelHost: PanelHost = {
    create: () => (panels.push(new FakePanel()), panels.at(-1)!),
    showProblems: () => void problems++,
    // The fake knows one finding: NL303 under m/.
    showFinding: async (folder, code) => (findings.push(`${code} ${folder}`), code === "NL303"),
  };
  Object.assign(host, { panels: panelHost });
  const { config, desc } = folderDesc({ modelType: "llama", fill: "gemma-like", hidden: 64 });
  host.file("m/config.json", JSON.stringify(config));
  host.file("m/model.safetensors", buildSafetensors(desc).bytes);
  return { host, panels, controller: new Controller(host), problems: () => problems, findings };
}

describe("Norm Lab panel", () => {
  it("opens on a folder and sends a validated plan after the page is ready", async () => {
    const { panels, controller, host, problems, findings } = setup();
    await controller.commands["normlint.openNormLab"](`${ROOT}/m`);
    const panel = panels[0];
    expect(panel.html).toMatch(/Content-Security-Policy" content="default-src 'none'; script-src 'nonce-([0-9a-f]{36})'; style-src vscode-resource:;/);
    const nonce = /nonce-([0-9a-f]+)/.exec(panel.html)![1];
    expect(panel.html).toContain(`<script type="module" nonce="${nonce}" src="vscode-resource:/dist/webview/main.js">`);
    expect(panel.html).not.toMatch(/https?:/);
    panel.send({ type: "ready" });
    const msg = await until(() => panel.sent[0] as ToWebview | undefined);
    const v = validateToWebview(msg);
    expect(v.ok).toBe(true);
    if (!v.ok || v.value.type !== "load") throw new Error("not a load");
    expect(v.value.plan.tensors).toHaveLength(13);
    expect(v.value.plan.tensors[0].weight).toBeInstanceOf(ArrayBuffer);
    // What the page does with it, on its CPU path.
    const result = await runComparison(planFromWire(v.value.plan), cpuExec);
    expect(result.verdict.kind).toBe("offset-missing");
    const back = { type: "result", folder: v.value.folder, backend: result.backend, verified: result.verified, verdict: result.verdict.text };
    expect(validateFromWebview(back).ok).toBe(true);
    panel.send(back);
    expect(host.logs.some((l) => l.includes("CPU (not GPU-verified): the +1 offset is missing"))).toBe(true);
    panel.send({ type: "showProblems" });
    expect(problems()).toBe(1);
    // The next step's link opens the finding; one the editor does not have falls back to Problems.
    panel.send({ type: "showFinding", code: "NL303" });
    await settle();
    expect(findings).toEqual([`NL303 ${ROOT}/m`]);
    expect(problems()).toBe(1);
    panel.send({ type: "showFinding", code: "NL201" });
    await settle();
    expect(problems()).toBe(2);
    panel.send({ type: "showFinding", code: "../../x" });
    await settle();
    expect(findings).toHaveLength(2);
    panel.send({ type: "result", verified: "yes" });
    expect(host.logs.some((l) => /ignored a malformed message/.test(l))).toBe(true);
    // A second open reuses the panel.
    await controller.commands["normlint.openNormLab"](`${ROOT}/m/config.json`);
    expect(panels).toHaveLength(1);
    expect(panel.revealed).toBe(1);
  });

  it("reports a folder without config.json in the panel", async () => {
    const { panels, controller, host } = setup();
    host.file("empty/model.safetensors", new Uint8Array(8));
    await controller.commands["normlint.openNormLab"](`${ROOT}/empty`);
    panels[0].send({ type: "ready" });
    const msg = (await until(() => panels[0].sent[0])) as ToWebview;
    expect(msg).toMatchObject({ type: "error" });
    expect((msg as { message: string }).message).toMatch(/no config.json \(nor a GGUF file/);
  });

  it("revives from the saved state, and refuses a bad one", async () => {
    const { controller } = setup();
    const panel = new FakePanel();
    await controller.reviveNormLab(panel, { folder: `${ROOT}/m`, rows: 3, seed: 5, scale: 2 });
    panel.send({ type: "ready" });
    const msg = (await until(() => panel.sent[0])) as ToWebview;
    expect(msg.type).toBe("load");
    if (msg.type === "load") expect([msg.plan.rows, msg.plan.seed, msg.plan.scale]).toEqual([3, 5, 2]);
    const bad = new FakePanel();
    await controller.reviveNormLab(bad, { folder: 1 });
    expect(bad.sent[0]).toMatchObject({ type: "error" });
  });

  it("reads the folder's modeling code (never run) and names the convention it implements", async () => {
    const { panels, controller, host } = setup();
    // A Llama-style RMSNorm fixture with Gemma's offset added: x * (1 + w).
    const fixture = readFileSync(join(__dirname, "..", "fixtures", "norm-cast-order-mismatch", "clean.py"), "utf8");
    host.file("m/modeling_llama.py", fixture.replace("Olmo2RMSNorm", "LlamaRMSNorm").replace("(self.weight * hidden_states)", "((1.0 + self.weight) * hidden_states)"));
    await controller.commands["normlint.openNormLab"](`${ROOT}/m`);
    panels[0].send({ type: "ready" });
    const msg = (await until(() => panels[0].sent[0])) as ToWebview;
    if (msg.type !== "load") throw new Error(JSON.stringify(msg));
    expect(msg.plan.implementedText).toBe("LlamaRMSNorm in modeling_llama.py");
    expect(msg.plan.tensors[0]).toMatchObject({ declared: "rmsnorm", implemented: "rmsnorm-offset" });
    const r = await runComparison(planFromWire(msg.plan), cpuExec);
    expect(r.verdict.implementationDiffers).toBe(true);
  });

  it("offers activation tensors and answers the page's request with their leading rows; refuses others", async () => {
    const { panels, controller, host } = setup();
    const acts = buildSafetensors({ tensors: { hidden_states: { dtype: "F32", shape: [5, 64], values: Array.from({ length: 320 }, (_, i) => i / 10) } } });
    host.file("m/activations.safetensors", acts.bytes);
    await controller.commands["normlint.openNormLab"](`${ROOT}/m`);
    const panel = panels[0];
    panel.send({ type: "ready" });
    const msg = (await until(() => panel.sent[0])) as ToWebview;
    if (msg.type !== "load") throw new Error(JSON.stringify(msg));
    expect(msg.candidates!.map((c) => c.tensor)).toEqual(["hidden_states", "model.embed_tokens.weight"]);
    const c = msg.candidates![0];
    expect(c).toMatchObject({ file: `${ROOT}/m/activations.safetensors`, shape: [5, 64], dtype: "F32" });
    panel.send({ type: "readActivations", file: c.file, tensor: c.tensor, rows: 3 });
    const answer = (await until(() => panel.sent[1])) as ToWebview;
    const v = validateToWebview(answer);
    if (!v.ok || v.value.type !== "activations") throw new Error(JSON.stringify(answer));
    expect(v.value.shape).toEqual([3, 64]);
    expect(Array.from(new Float32Array(v.value.data).subarray(0, 3))).toEqual([0, 0.1, 0.2].map((x) => Math.fround(x)));
    // A tensor the panel did not offer (a path outside the folder, or a norm weight) is refused.
    panel.send({ type: "readActivations", file: `${ROOT}/other/secret.safetensors`, tensor: "x", rows: 3 });
    const refused = (await until(() => panel.sent[2])) as ToWebview;
    expect(refused).toMatchObject({ type: "error" });
    expect((refused as { message: string }).message).toMatch(/did not offer `x`/);
  });

  it("opens a GGUF-only folder (family and eps from the GGUF metadata)", async () => {
    const { panels, controller, host } = setup();
    const tensors: Record<string, { type: string; dims: number[]; fill: "llama-like" }> = { "output_norm.weight": { type: "F32", dims: [32], fill: "llama-like" } };
    for (let i = 0; i < 4; i++) tensors[`blk.${i}.attn_norm.weight`] = { type: "F32", dims: [32], fill: "llama-like" };
    host.file("g/model.gguf", buildGguf({ metadata: { "general.architecture": "gemma" }, tensors }));
    // From the palette, with no argument: the workspace's folders that can run (a config.json beside
    // safetensors, or a GGUF); a config.json without weights is not offered.
    host.file("configonly/config.json", JSON.stringify({ model_type: "llama" }));
    const picks: string[][] = [];
    Object.assign(host, { quickPick: async (items: Array<{ label: string; value: string }>) => (picks.push(items.map((i) => i.label)), items.find((i) => i.value.endsWith("/g"))?.value) });
    await controller.commands["normlint.openNormLab"]();
    expect(picks[0]).toEqual(["g", "m"]);
    panels[0].send({ type: "ready" });
    const msg = (await until(() => panels[0].sent[0])) as ToWebview;
    if (msg.type !== "load") throw new Error(JSON.stringify(msg));
    expect(msg.plan.family).toBe("gemma");
    expect(msg.plan.tensors).toHaveLength(5);
    expect((await runComparison(planFromWire(msg.plan), cpuExec)).verdict.kind).toBe("consistent");
  });

  it("validators refuse malformed messages", () => {
    expect(validateToWebview({ type: "load", folder: "m", plan: { tensors: [] } }).ok).toBe(false);
    expect(validateToWebview({ type: "nope" }).ok).toBe(false);
    expect(validateFromWebview(null).ok).toBe(false);
  });
});
