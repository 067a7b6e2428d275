// The built Norm Lab page (dist/webview) in Debian's headless Chromium through playwright-core:
// a harness page with the panel's HTML and CSP, a stub acquireVsCodeApi, and a small comparison
// (Gemma-style weights under a Llama config). With --enable-unsafe-webgpu the page must compute on
// the GPU (SwiftShader) and say "GPU-verified"; without it, show the probe's reason, the Linux
// workaround and the CPU path. Skipped loudly without chromium, failed when NORMLINT_REQUIRE_GPU=1.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { readModelFolder } from "../src/engine/folder";
import { planComparison, readLabTensors } from "../src/engine/lab-plan";
import { normLabHtml } from "../src/extension/norm-lab";
import { folderInput } from "./harness/model-folder";

const CHROMIUM = process.env.NORMLINT_CHROMIUM ?? "/usr/bin/chromium";
const REQUIRE = process.env.NORMLINT_REQUIRE_GPU === "1";
const DIST = join(__dirname, "..", "dist", "webview");
const missing = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : "";

async function harnessPlan() {
  const input = folderInput({ modelType: "llama", fill: "gemma-like", hidden: 64, layers: 6 });
  const folder = await readModelFolder(input);
  const { tensors } = await readLabTensors(folder, () => input.safetensors[0].source);
  const plan = planComparison(folder, tensors, { rows: 4, seed: 1 });
  return { ...plan, tensors: plan.tensors.map((t) => ({ ...t, weight: Array.from(t.weight), bias: t.bias && Array.from(t.bias) })) };
}

let server: Server;
let origin = "";

beforeAll(async () => {
  if (!existsSync(join(DIST, "main.js"))) throw new Error("dist/webview/main.js is missing: run `node esbuild.mjs` first");
  const plan = await harnessPlan();
  const nonce = "0123456789abcdef0123456789abcdef";
  server = createServer((req, res) => {
    if (req.url === "/main.js" || req.url === "/style.css") {
      res.writeHead(200, { "content-type": req.url.endsWith(".js") ? "text/javascript" : "text/css" });
      res.end(readFileSync(join(DIST, req.url.slice(1))));
      return;
    }
    const stub = `<script nonce="${nonce}">
window.__posted = [];
const PLAN = ${JSON.stringify(plan)};
const buf = (a) => new Float32Array(a).buffer;
window.acquireVsCodeApi = () => ({
  postMessage(m) {
    window.__posted.push(m);
    if (m.type === "ready") window.postMessage({ type: "load", folder: "harness/m", plan: { ...PLAN, tensors: PLAN.tensors.map((t) => ({ ...t, weight: buf(t.weight), bias: t.bias && buf(t.bias) })) }, candidates: [{ file: "file:///harness/m/acts.safetensors", tensor: "hidden_states", shape: [16, 64], dtype: "F32" }] }, "*");
    if (m.type === "readActivations") {
      const rows = Math.min(m.rows, 16);
      const data = new Float32Array(rows * 64).map((_, i) => Math.sin(i * 0.37) * 2);
      window.postMessage({ type: "activations", file: m.file, tensor: m.tensor, label: "hidden_states in acts.safetensors", shape: [rows, 64], data: data.buffer }, "*");
    }
  },
  getState() { return undefined; },
  setState(s) { window.__state = s; },
});
</script>
`;
    const html = normLabHtml({ cspSource: origin, nonce, scriptUri: "/main.js", styleUri: "/style.css" }).replace('<script type="module"', `${stub}<script type="module"`);
    res.writeHead(200, { "content-type": "text/html" });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function openPage(flags: string[]) {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", ...flags] });
  const page = await browser.newPage();
  const csp: string[] = [];
  const errors: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === "result" || m.type === "error"), undefined, { timeout: 60_000 });
  const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
  const status = await page.locator("#status").innerText();
  const result = await page.locator("#result").innerText();
  const charts = await page.locator("svg.chart").count();
  // NORMLINT_LAB_SCREENSHOT=dir saves what the page showed, for a look by eye.
  if (process.env.NORMLINT_LAB_SCREENSHOT) await page.screenshot({ path: join(process.env.NORMLINT_LAB_SCREENSHOT, `norm-lab-${flags.length ? "gpu" : "cpu"}.png`), fullPage: true });
  return { browser, posted: posted as Array<Record<string, unknown>>, status, result, charts, csp, errors };
}

function pageIt(name: string, body: (ctx: TestContext) => Promise<void>): void {
  it(name, async (ctx) => {
    if (missing) {
      if (REQUIRE) throw new Error(`NORMLINT_REQUIRE_GPU=1 but ${missing}`);
      console.warn(`[normlint] page test SKIPPED: ${name}: ${missing}`);
      ctx.skip(missing);
    }
    await body(ctx);
  }, 120_000);
}

describe("the Norm Lab page in headless Chromium", () => {
  pageIt("with --enable-unsafe-webgpu: computes on the GPU and says GPU-verified", async () => {
    const p = await openPage(["--enable-unsafe-webgpu"]);
    try {
      const res = p.posted.find((m) => m.type === "result");
      expect(p.errors).toEqual([]);
      expect(p.csp).toEqual([]);
      expect(res, JSON.stringify(p.posted)).toMatchObject({ type: "result", backend: "gpu", verified: true });
      expect(String(res!.verdict)).toMatch(/^the \+1 offset is missing/);
      expect(p.status).toMatch(/^GPU: /);
      expect(p.result).toMatch(/GPU-verified: worst [\d.]+ ULP/);
      expect(p.charts).toBe(2);
      console.log(`[normlint] page on GPU: ${p.status.split("\n")[0]}; ${p.result.split("\n").find((l) => l.startsWith("GPU-verified"))}`);
    } finally {
      await p.browser.close();
    }
  });

  pageIt("bf16 with picked activations: the page asks for the rows, runs them and verifies on the GPU", async () => {
    const p = await openPage(["--enable-unsafe-webgpu"]);
    try {
      const page = p.browser.contexts()[0].pages()[0];
      await page.evaluate(() => {
        const w = window as unknown as { __posted: unknown[] };
        w.__posted.length = 0;
        (document.getElementById("dtype") as HTMLSelectElement).value = "bf16";
        (document.getElementById("rows") as HTMLInputElement).value = "5";
        (document.getElementById("activations") as HTMLSelectElement).value = "file:///harness/m/acts.safetensors\nhidden_states";
      });
      await page.locator("#run").click();
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === "result" || m.type === "error"), undefined, { timeout: 60_000 });
      const posted = (await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted)) as Array<Record<string, unknown>>;
      expect(posted[0]).toEqual({ type: "readActivations", file: "file:///harness/m/acts.safetensors", tensor: "hidden_states", rows: 5 });
      expect(posted.find((m) => m.type === "result"), JSON.stringify(posted)).toMatchObject({ backend: "gpu", verified: true });
      const result = await page.locator("#result").innerText();
      expect(result).toMatch(/tensors in bf16 \(cast order \w+\), 5 rows of hidden_states in acts\.safetensors \(hidden 64\)/);
      expect(await page.evaluate(() => (window as unknown as { __state: unknown }).__state)).toMatchObject({ dtype: "bf16", rows: 5, activations: { file: "file:///harness/m/acts.safetensors", tensor: "hidden_states" } });
    } finally {
      await p.browser.close();
    }
  });

  pageIt("without the flag: the probe's reason, the workaround and the CPU path", async () => {
    const p = await openPage([]);
    try {
      const res = p.posted.find((m) => m.type === "result");
      expect(p.errors).toEqual([]);
      expect(p.csp).toEqual([]);
      expect(res).toMatchObject({ type: "result", backend: "cpu", verified: false });
      expect(p.status).toMatch(/^CPU \(not GPU-verified\): (no WebGPU in this webview|no GPU adapter)/);
      expect(p.status).toContain("code --enable-unsafe-webgpu");
      expect(p.result).toContain("CPU (not GPU-verified)");
      expect(p.result).not.toMatch(/(?<!not )GPU-verified/);
      expect(p.charts).toBe(2);
      console.log(`[normlint] page without WebGPU: ${p.status.split("\n").slice(0, 2).join(" / ")}`);
    } finally {
      await p.browser.close();
    }
  });
});
