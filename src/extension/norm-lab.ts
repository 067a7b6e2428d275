// The Norm Lab panel: one webview per window (createOrShow reuses it), restored after a reload by
// the serializer (revive) from the state the page saved, disposed through one path. It reads the
// folder's config and norm tensors (ranged reads through the host), plans the comparison and sends
// it with the tensors as ArrayBuffers; the page computes (GPU or CPU) and reports back. No vscode
// import: the host supplies panels (types.ts PanelHost). The controller imports this module on
// first use, and it imports the engine on first load, so activation evaluates neither.
import { type FromWebview, type LabState, planToWire, type ToWebview, validateFromWebview, validateState } from "../protocol";
import type { ClosableSource, Host, PanelHandle, Uri } from "./types";
import { joinUri } from "./uri";

import { NORM_LAB_VIEW_TYPE } from "./commands";

/** The page: a strict CSP (no remote content, scripts only with the nonce, styles from the bundle). */
export function normLabHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  const csp = [`default-src 'none'`, `script-src 'nonce-${o.nonce}'`, `style-src ${o.cspSource}`, `img-src ${o.cspSource} data:`, `font-src ${o.cspSource}`].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${o.styleUri}">
<title>Norm Lab</title>
</head>
<body>
<h1>Norm Lab</h1>
<p id="folder" class="muted">Waiting for a model folder.</p>
<div class="controls">
  <label>Tensor <vscode-single-select id="tensor"></vscode-single-select></label>
  <label>Rows <vscode-textfield id="rows" type="number" min="1" value="8"></vscode-textfield></label>
  <label>Seed <vscode-textfield id="seed" type="number" min="0" value="0"></vscode-textfield></label>
  <label>Scale <vscode-textfield id="scale" type="number" value="1"></vscode-textfield></label>
  <vscode-button id="run">Run</vscode-button>
  <vscode-button id="run-cpu" secondary>Run on CPU</vscode-button>
  <vscode-progress-ring id="busy" hidden></vscode-progress-ring>
</div>
<div id="status"></div>
<div id="error" role="alert" hidden></div>
<div id="result"></div>
<script type="module" nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>
`;
}

function nonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const DEFAULTS = { rows: 8, seed: 0, scale: 1 };

export class NormLab {
  private panel?: PanelHandle;
  private folder?: Uri;
  private state: LabState | undefined;
  private ready = false;

  constructor(private readonly host: Host) {}

  /** Opens the panel on `folder` (a model folder's URI), or focuses it and loads the folder. */
  createOrShow(folder: Uri): void {
    const panels = this.host.panels;
    if (!panels) {
      this.host.showInfo("The Norm Lab needs webview support, which this host does not provide.");
      return;
    }
    this.folder = folder;
    if (this.panel) {
      this.panel.reveal();
      void this.load();
      return;
    }
    this.attach(panels.create(NORM_LAB_VIEW_TYPE, "Norm Lab"));
  }

  /** Restores a panel VS Code kept across a reload, from the state the page saved. */
  revive(panel: PanelHandle, saved: unknown): void {
    const v = validateState(saved);
    if (v.ok) {
      this.folder = v.value.folder;
      this.state = v.value;
    }
    this.attach(panel);
    if (!v.ok) void this.post({ type: "error", message: "The Norm Lab was restored without a model folder: run “normlint: Open Norm Lab” again." });
  }

  private attach(panel: PanelHandle): void {
    this.panel?.dispose();
    this.panel = panel;
    this.ready = false;
    panel.html = normLabHtml({ cspSource: panel.cspSource, nonce: nonce(), scriptUri: panel.asWebviewUri("main.js"), styleUri: panel.asWebviewUri("style.css") });
    panel.onMessage((m) => this.receive(m));
    panel.onDispose(() => {
      if (this.panel === panel) this.panel = undefined;
    });
  }

  private receive(raw: unknown): void {
    const v = validateFromWebview(raw);
    if (!v.ok) {
      this.host.log.warn(`Norm Lab: ignored a malformed message from the page: ${v.error}`);
      return;
    }
    const m: FromWebview = v.value;
    switch (m.type) {
      case "ready":
        this.ready = true;
        void this.load();
        break;
      case "result":
        this.host.log.info(`Norm Lab ${m.folder}: ${m.backend === "gpu" ? (m.verified ? "GPU-verified" : "GPU, NOT verified") : "CPU (not GPU-verified)"}: ${m.verdict}`);
        break;
      case "showProblems":
        this.host.panels?.showProblems();
        break;
      case "error":
        this.host.log.error(`Norm Lab: ${m.message}`);
        break;
    }
  }

  private post(m: ToWebview): Promise<boolean> {
    return this.panel?.postMessage(m) ?? Promise.resolve(false);
  }

  /** Reads the folder and sends the plan; errors go to the panel. */
  private async load(): Promise<void> {
    if (!this.ready || !this.folder) return;
    const folder = this.folder;
    try {
      const plan = await this.plan(folder);
      if (folder !== this.folder) return;
      await this.post({ type: "load", folder: this.host.displayPath(folder), plan: planToWire(plan) });
    } catch (e) {
      await this.post({ type: "error", message: `Cannot read ${this.host.displayPath(folder)}: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async plan(folder: Uri) {
    const [{ readModelFolder }, { planComparison, readLabTensors }] = await Promise.all([import("../engine/folder"), import("../engine/lab-plan")]);
    const entries = await this.host.readDirectory(folder);
    const child = (name: string) => joinUri(folder, name);
    const names = entries.filter(([, t]) => t === "file").map(([n]) => n).sort();
    if (!names.includes("config.json")) throw new Error("the folder has no config.json, so there is no declared convention to compare");
    const configBytes = await this.host.readFile(child("config.json"));
    if (!configBytes) throw new Error("config.json could not be read");
    const opened: Array<{ path: string; source: ClosableSource }> = [];
    try {
      for (const n of names.filter((n) => n.endsWith(".safetensors"))) {
        const source = await this.host.openSource(child(n));
        if (source) opened.push({ path: child(n), source });
      }
      if (!opened.length) throw new Error("no .safetensors file could be read (checkpoints are read from disk only; GGUF and PyTorch files are not compared)");
      const model = await readModelFolder({ dir: folder, config: { path: child("config.json"), bytes: configBytes }, safetensors: opened, gguf: [], pickles: [] });
      const { tensors, problems } = await readLabTensors(model, (file) => opened.find((o) => o.path === file)?.source);
      const s = this.state ?? DEFAULTS;
      const plan = planComparison(model, tensors, { rows: s.rows, seed: s.seed, scale: s.scale });
      plan.notes.push(...problems);
      return plan;
    } finally {
      await Promise.all(opened.map((o) => o.source.close()));
    }
  }

  dispose(): void {
    this.panel?.dispose();
    this.panel = undefined;
  }
}
