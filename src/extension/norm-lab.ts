// The Norm Lab panel: one webview per window (createOrShow reuses it), restored after a reload by
// the serializer (revive) from the state the page saved, disposed through one path. It reads the
// folder's config and norm tensors (ranged reads through the host), plans the comparison and sends
// it with the tensors as ArrayBuffers; the page computes (GPU or CPU) and reports back. No vscode
// import: the host supplies panels (types.ts PanelHost). The controller imports this module on
// first use, and it imports the engine on first load, so activation evaluates neither.
import type { ModuleAnalysis, PythonParser } from "../engine/python";
import { type FromWebview, type LabState, planToWire, type ToWebview, type WireCandidate, type WireRemote, validateFromWebview, validateState } from "../protocol";
import type { FileAccess } from "../node/access";
import type { Host, PanelHandle, RemoteModel, Uri } from "./types";
import { basename } from "./uri";
import { PROTOCOL_LIMITS } from "../protocol-limits";

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
<header class="top">
  <h1>Norm Lab</h1>
  <p id="folder" class="muted">Loading the model folder…</p>
  <p id="remote" class="muted" hidden></p>
  <span id="busy-line" class="muted" hidden><vscode-progress-ring id="busy" aria-label="Comparing"></vscode-progress-ring> Comparing the conventions…</span>
</header>
<div id="error" role="alert" hidden></div>
<main id="result" hidden>
  <div class="overview">
    <section id="verdict" class="verdict" aria-live="polite" aria-labelledby="verdict-title"><h2 id="verdict-title"></h2><p id="verdict-body"></p><p id="consequence" class="consequence"></p></section>
    <section id="next" class="next" aria-labelledby="next-title"><h2 id="next-title">What to do</h2><ul id="next-steps"></ul><div id="next-actions" class="actions"></div></section>
  </div>
  <div class="picture-row">
    <section id="map" class="map-box" aria-labelledby="map-title"><h2 id="map-title">Every norm tensor, by layer</h2><div id="map-body"></div></section>
    <section id="detail" class="detail" aria-labelledby="detail-title" aria-live="polite"><h2 id="detail-title">Tensor detail</h2><div id="detail-body"><p class="muted">Click a tensor in the map or the table to see its weights and the per-channel effect.</p></div></section>
  </div>
  <section id="kernel" class="kernel" aria-label="How it was computed"></section>
  <details id="table-box"><summary>All norm tensors, as a table</summary><div id="table-body"></div></details>
  <details id="advanced"><summary>Advanced: activations, precision and backend</summary>
    <p class="muted">The comparison feeds the same activations through both conventions with each tensor's weights. These settings change those activations and the arithmetic; the verdict itself reads the weights.</p>
    <div class="fields">
      <div class="field"><vscode-label for="rows">Rows</vscode-label><vscode-textfield id="rows" type="number" min="1" value="8"></vscode-textfield><p class="help">How many activation vectors go through each norm (1 to 65536). More rows steady the figures.</p></div>
      <div class="field"><vscode-label for="seed">Seed</vscode-label><vscode-textfield id="seed" type="number" min="0" value="0"></vscode-textfield><p class="help">The seed of the Gaussian activations: the same seed gives the same numbers everywhere, CLI included.</p></div>
      <div class="field"><vscode-label for="scale">Scale</vscode-label><vscode-textfield id="scale" type="number" value="1"></vscode-textfield><p class="help">The standard deviation of the Gaussian activations.</p></div>
      <div class="field"><vscode-label for="dtype">Precision</vscode-label><vscode-single-select id="dtype"><vscode-option value="f32">f32</vscode-option><vscode-option value="bf16">bf16 (emulated)</vscode-option><vscode-option value="f16">f16</vscode-option></vscode-single-select><p class="help">The dtype the norm computes in, rounding where the family's code casts.</p></div>
      <div class="field wide"><vscode-label for="activations">Activations</vscode-label><vscode-single-select id="activations"><vscode-option value="">Seeded Gaussian rows</vscode-option></vscode-single-select><p class="help">Gaussian rows, or the leading rows of a tensor in the folder (an activation dump, or the embeddings: what the first norm really sees).</p></div>
      <div class="field wide"><vscode-checkbox id="force-cpu" label="Compute on the CPU">Compute on the CPU</vscode-checkbox><p class="help">Use normlint's float64 reference instead of the GPU kernels. The figures agree within the kernel check's tolerance: use it to rule out a GPU problem.</p></div>
    </div>
    <vscode-button id="run">Run again</vscode-button>
  </details>
  <section id="notes" class="muted" aria-label="Notes"></section>
</main>
<script type="module" nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>
`;
}

/** What loading a remote folder cost: the repository's requests and bytes since `before`, and what the Norm Lab's reads asked for. */
function remoteCost(model: RemoteModel, before: ReturnType<RemoteModel["stats"]>): WireRemote {
  const now = model.stats();
  return {
    label: model.label,
    url: model.url,
    requests: now.requests - before.requests,
    bytesFetched: now.bytes - before.bytes,
    cachedReads: now.cachedReads - before.cachedReads,
    bytesRead: now.bytesRead - before.bytesRead,
    reads: now.reads - before.reads,
  };
}

function nonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const DEFAULTS = { rows: 8, seed: 0, scale: 1 };

/** Rows of a picked activation tensor read at most (the page uses `rows` of them). */
const MAX_ACTIVATION_ROWS = 4096;

export class NormLab {
  private panel?: PanelHandle;
  private folder?: Uri;
  private state: LabState | undefined;
  private ready = false;
  /** The activation tensors last offered: the page may ask for these and no others. */
  private candidates: WireCandidate[] = [];

  /** The remote model of the folder shown, when it is one (an `hf://` folder). */
  private remoteModel?: RemoteModel;

  /**
   * `parser` gives the Python parser the controller shares, for the folder's modeling code;
   * `remote` opens an `hf://` folder (a Hub repository at a commit) for ranged reads over HTTP.
   */
  constructor(
    private readonly host: Host,
    private readonly parser?: () => Promise<PythonParser>,
    private readonly remote?: (folder: string) => Promise<RemoteModel>,
  ) {}

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
      case "readActivations":
        void this.sendActivations(m.file, m.tensor, m.rows);
        break;
      case "showProblems":
        this.host.panels?.showProblems();
        break;
      case "showFinding":
        void this.showFinding(m.code);
        break;
      case "error":
        this.host.log.error(`Norm Lab: ${m.message}`);
        break;
    }
  }

  /** The next step's link: the folder's finding in the editor, else the Problems view. */
  private async showFinding(code: string): Promise<void> {
    const panels = this.host.panels;
    if (!panels || !this.folder) return;
    // A remote folder's findings sit on the read-only documents of its Hub check.
    const where = this.remoteModel && this.folder.startsWith("hf://") ? this.remoteModel.docUri(this.remoteModel.dir) : this.folder;
    if (await panels.showFinding(where, code)) return;
    this.host.log.info(`Norm Lab: no ${code} finding under ${this.display(this.folder)} yet; showing the Problems view`);
    panels.showProblems();
  }

  private post(m: ToWebview): Promise<boolean> {
    return this.panel?.postMessage(m) ?? Promise.resolve(false);
  }

  /** Reads the folder and sends the plan; errors go to the panel. */
  private async load(): Promise<void> {
    if (!this.ready || !this.folder) return;
    const folder = this.folder;
    const remote = folder.startsWith("hf://");
    try {
      const model = remote ? await this.openRemote(folder) : undefined;
      const before = model?.stats();
      const { plan, candidates } = await this.plan(model?.dir ?? folder, model);
      // A failed Hub read shows as a missing tensor to the engine: the comparison would be on part of the model.
      const failure = model?.failure();
      if (failure) throw failure;
      if (folder !== this.folder) return;
      this.candidates = candidates;
      await this.post({ type: "load", folder: model ? folder : this.host.displayPath(folder), plan: planToWire(plan), candidates, ...(model && before ? { remote: remoteCost(model, before) } : {}) });
    } catch (e) {
      await this.post({ type: "error", message: `Cannot read ${remote ? folder : this.host.displayPath(folder)}: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async openRemote(folder: string): Promise<RemoteModel> {
    if (!this.remote) throw new Error("this editor cannot read Hugging Face repositories");
    this.remoteModel = await this.remote(folder);
    return this.remoteModel;
  }

  /** How a file is named in the notes: a Hub location as it is, a workspace file by its path. */
  private display(location: string): string {
    return location.startsWith("hf://") ? location : this.host.displayPath(location);
  }

  private async plan(folder: Uri, remote?: RemoteModel) {
    const engine = await import("./engine");
    // The reader the CLI, `verify` and the editor's lint use (URIs as names: the page asks for
    // activation files by them); a Hub repository's files by range through its own access.
    const read = await engine.readModelFolderInput(folder, remote?.access ?? this.host.access);
    try {
      const { input } = read;
      const isConfig = (p: { location: Uri }) => basename(p.location) === "config.json";
      const configProblem = read.problems.find(isConfig);
      if (configProblem) throw new Error(`config.json could not be read: ${configProblem.error}`);
      const unopened = read.problems.filter((p) => !isConfig(p));
      if (!input.config && !input.gguf.length && !unopened.some((p) => p.location.endsWith(".gguf"))) {
        throw new Error("the folder has no config.json (nor a GGUF file with its own metadata), so there is no declared convention to compare");
      }
      if (!input.safetensors.length && !input.gguf.length) throw new Error("no .safetensors or .gguf file could be read (checkpoints are read from disk only; PyTorch files are never unpickled)");
      const modules = await this.modules(read.code.filter((c) => c.kind === "python").map((c) => c.location), engine.FOLDER_CAPS.file, remote?.access ?? this.host.access);
      const model = await engine.readModelFolder(input);
      const opened = [...input.safetensors, ...input.gguf];
      const { tensors, problems } = await engine.readLabTensors(model, (file) => opened.find((o) => o.path === file)?.source);
      const s = this.state ?? DEFAULTS;
      const plan = engine.planComparison(model, tensors, { rows: s.rows, seed: s.seed, scale: s.scale, dtype: this.state?.dtype }, modules.analyses);
      plan.notes.push(...unopened.map((p) => `${this.display(p.location)} was not read: ${p.error}`), ...problems, ...modules.notes);
      const candidates = engine.activationCandidates(model, new Set(plan.tensors.map((t) => t.hidden)), PROTOCOL_LIMITS.candidates);
      return { plan, candidates };
    } finally {
      await read.close();
    }
  }

  /** The analyses of the folder's modeling code (never run: parsed by tree-sitter). */
  private async modules(files: Uri[], cap: number, access: FileAccess): Promise<{ analyses: ModuleAnalysis[]; notes: string[] }> {
    const analyses: ModuleAnalysis[] = [];
    const notes: string[] = [];
    if (!files.length || !this.parser) return { analyses, notes };
    let parser: PythonParser;
    try {
      parser = await this.parser();
    } catch (e) {
      notes.push(`the modeling code was not read: ${e instanceof Error ? e.message : String(e)}`);
      return { analyses, notes };
    }
    const { lintPython, defaultSettings, overCap } = await import("./engine");
    for (const f of files) {
      const r = await access.read(f, cap);
      if (!r.bytes) {
        notes.push(`${this.display(f)} could not be read: ${r.error ?? overCap(r.size, cap)}`);
        continue;
      }
      const lint = lintPython({ path: this.display(f), bytes: r.bytes }, defaultSettings(), parser, { prefilter: true });
      if (lint.module) analyses.push(lint.module);
    }
    return { analyses, notes };
  }

  /** Reads the leading rows of an offered activation tensor and sends them; errors go to the panel. */
  private async sendActivations(file: string, tensor: string, rows: number): Promise<void> {
    if (!this.candidates.some((c) => c.file === file && c.tensor === tensor)) {
      await this.post({ type: "error", message: `The Norm Lab did not offer \`${tensor}\` in ${file}; pick one of the listed activation tensors.` });
      return;
    }
    const fail = (why: string) => this.post({ type: "error", message: `Cannot read activations \`${tensor}\` from ${this.display(file)}: ${why}` });
    const model = file.startsWith("hf://") ? this.remoteModel : undefined;
    const source = model ? await model.access.open(file).catch(() => undefined) : await this.host.openSource(file);
    if (!source) return void (await fail("the file could not be opened"));
    try {
      const { readActivationRows } = await import("./engine");
      const r = await readActivationRows(source, tensor, Math.min(rows, MAX_ACTIVATION_ROWS));
      if ("error" in r) return void (await fail(r.error));
      const data = r.data.slice().buffer as ArrayBuffer;
      await this.post({ type: "activations", file, tensor, label: `\`${tensor}\` in ${this.display(file)}`, shape: r.shape, data });
    } catch (e) {
      await fail(e instanceof Error ? e.message : String(e));
    } finally {
      await source.close();
    }
  }

  dispose(): void {
    this.panel?.dispose();
    this.panel = undefined;
  }
}
