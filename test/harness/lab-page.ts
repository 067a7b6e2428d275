// Serves the built Norm Lab page (dist/webview) to headless Chromium as VS Code would show it: the
// panel's HTML and CSP, a stub acquireVsCodeApi that answers "ready" with a plan, and a theme's
// --vscode-* variables (dark, light or high contrast) on the body, as VS Code injects them. Plans
// come from model folders on disk (examples/) or built in memory; each is served under a name.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { readModelFolder } from "../../src/engine/folder";
import type { LabOptions, LabPlan } from "../../src/engine/lab";
import { planComparison, readLabTensors } from "../../src/engine/lab-plan";
import { normLabHtml } from "../../src/extension/norm-lab";
import { nodeAccess } from "../../src/node/access";
import { readModelFolderInput } from "../../src/node/folder";

export const DIST = join(__dirname, "..", "..", "dist", "webview");

/** A plan with its tensors as number arrays, ready for JSON inside the stub. */
export type JsonPlan = Omit<LabPlan, "tensors"> & { tensors: Array<Omit<LabPlan["tensors"][number], "weight" | "bias"> & { weight: number[]; bias?: number[] }> };

export function jsonPlan(plan: LabPlan): JsonPlan {
  return { ...plan, tensors: plan.tensors.map((t) => ({ ...t, weight: Array.from(t.weight), bias: t.bias && Array.from(t.bias) })) };
}

/** The comparison plan of a model folder on disk, read as the extension reads it. */
export async function folderPlan(dir: string, opts: LabOptions = {}): Promise<JsonPlan> {
  const read = await readModelFolderInput(dir, nodeAccess);
  try {
    const folder = await readModelFolder(read.input);
    const opened = [...read.input.safetensors, ...read.input.gguf];
    const { tensors } = await readLabTensors(folder, (f) => opened.find((o) => o.path === f)?.source);
    return jsonPlan(planComparison(folder, tensors, opts));
  } finally {
    await read.close();
  }
}

export type Theme = "dark" | "light" | "high-contrast";

// A subset of what VS Code's Default Dark Modern, Default Light Modern and Default High Contrast
// themes inject into a webview: the variables the page and @vscode-elements/elements read.
const THEMES: Record<Theme, { cls: string; vars: Record<string, string> }> = {
  dark: {
    cls: "vscode-dark",
    vars: {
      foreground: "#cccccc", "editor-background": "#1f1f1f", descriptionForeground: "#9d9d9d", focusBorder: "#0078d4", "textBlockQuote-background": "#2b2b2b",
      "editorError-foreground": "#f85149", "editorWarning-foreground": "#cca700", "testing-iconPassed": "#73c991", errorForeground: "#f85149",
      "charts-green": "#89d185", "charts-red": "#f14c4c", "charts-yellow": "#cca700", "charts-orange": "#d18616", "charts-blue": "#3794ff", "charts-purple": "#b180d7",
      "editorWidget-border": "#454545", "panel-border": "#2b2b2b", "textLink-foreground": "#4daafc", "list-inactiveSelectionBackground": "#37373d", "textCodeBlock-background": "#2b2b2b",
      "button-background": "#0078d4", "button-foreground": "#ffffff", "button-hoverBackground": "#026ec1", "button-secondaryBackground": "#313131", "button-secondaryForeground": "#cccccc", "button-border": "#ffffff12",
      "input-background": "#313131", "input-foreground": "#cccccc", "input-border": "#3c3c3c", "input-placeholderForeground": "#989898", "settings-textInputBackground": "#313131", "settings-textInputBorder": "#3c3c3c", "settings-textInputForeground": "#cccccc",
      "dropdown-background": "#313131", "dropdown-foreground": "#cccccc", "dropdown-border": "#3c3c3c", "checkbox-background": "#313131", "checkbox-border": "#3c3c3c", "checkbox-foreground": "#cccccc",
      "inputValidation-errorBackground": "#5a1d1d", "inputValidation-errorBorder": "#be1100", "progressBar-background": "#0078d4",
    },
  },
  light: {
    cls: "vscode-light",
    vars: {
      foreground: "#3b3b3b", "editor-background": "#ffffff", descriptionForeground: "#6e6e6e", focusBorder: "#005fb8", "textBlockQuote-background": "#f8f8f8",
      "editorError-foreground": "#e51400", "editorWarning-foreground": "#8a6000", "testing-iconPassed": "#388a34", errorForeground: "#e51400",
      "charts-green": "#388a34", "charts-red": "#e51400", "charts-yellow": "#bf8803", "charts-orange": "#d18616", "charts-blue": "#1a85ff", "charts-purple": "#652d90",
      "editorWidget-border": "#e5e5e5", "panel-border": "#e5e5e5", "textLink-foreground": "#005fb8", "list-inactiveSelectionBackground": "#e4e6f1", "textCodeBlock-background": "#f3f3f3",
      "button-background": "#005fb8", "button-foreground": "#ffffff", "button-hoverBackground": "#0258a8", "button-secondaryBackground": "#e5e5e5", "button-secondaryForeground": "#3b3b3b", "button-border": "#0000001a",
      "input-background": "#ffffff", "input-foreground": "#3b3b3b", "input-border": "#cecece", "input-placeholderForeground": "#767676", "settings-textInputBackground": "#ffffff", "settings-textInputBorder": "#cecece", "settings-textInputForeground": "#3b3b3b",
      "dropdown-background": "#ffffff", "dropdown-foreground": "#3b3b3b", "dropdown-border": "#cecece", "checkbox-background": "#f8f8f8", "checkbox-border": "#cecece", "checkbox-foreground": "#3b3b3b",
      "inputValidation-errorBackground": "#f2dede", "inputValidation-errorBorder": "#be1100", "progressBar-background": "#005fb8",
    },
  },
  "high-contrast": {
    cls: "vscode-high-contrast",
    vars: {
      foreground: "#ffffff", "editor-background": "#000000", descriptionForeground: "#ffffffb3", focusBorder: "#f38518", contrastBorder: "#6fc3df", contrastActiveBorder: "#f38518", "textBlockQuote-background": "#000000",
      "editorError-foreground": "#f48771", "editorWarning-foreground": "#ffd370", "testing-iconPassed": "#73c991", errorForeground: "#f48771",
      "charts-green": "#89d185", "charts-red": "#f48771", "charts-yellow": "#ffd370", "charts-orange": "#d18616", "charts-blue": "#3794ff", "charts-purple": "#b180d7",
      "editorWidget-border": "#6fc3df", "panel-border": "#6fc3df", "textLink-foreground": "#21a6ff", "list-inactiveSelectionBackground": "#000000", "textCodeBlock-background": "#000000",
      "button-background": "#000000", "button-foreground": "#ffffff", "button-border": "#6fc3df", "button-secondaryBackground": "#000000", "button-secondaryForeground": "#ffffff",
      "input-background": "#000000", "input-foreground": "#ffffff", "input-border": "#6fc3df", "input-placeholderForeground": "#ffffffb3", "settings-textInputBackground": "#000000", "settings-textInputBorder": "#6fc3df", "settings-textInputForeground": "#ffffff",
      "dropdown-background": "#000000", "dropdown-foreground": "#ffffff", "dropdown-border": "#6fc3df", "checkbox-background": "#000000", "checkbox-border": "#6fc3df", "checkbox-foreground": "#ffffff",
      "inputValidation-errorBackground": "#000000", "inputValidation-errorBorder": "#f48771", "progressBar-background": "#6fc3df",
    },
  },
};

function themeCss(theme: Theme): string {
  const vars = { "font-family": "system-ui, 'Segoe UI', Ubuntu, sans-serif", "font-size": "13px", "font-weight": "normal", "editor-font-family": "'Droid Sans Mono', monospace", "editor-font-size": "14px", ...THEMES[theme].vars };
  return `body { ${Object.entries(vars).map(([k, v]) => `--vscode-${k}: ${v};`).join(" ")} }`;
}

export interface LabServer {
  origin: string;
  /** The page URL of a plan served under `name`, in a theme. */
  url(name: string, theme?: Theme): string;
  close(): Promise<void>;
}

const NONCE = "0123456789abcdef0123456789abcdef";

/** Serves the page for each named plan; `candidates` are the activation tensors offered with them. */
export async function serveLabPage(plans: Record<string, JsonPlan>): Promise<LabServer> {
  let origin = "";
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/main.js" || url.pathname === "/style.css") {
      res.writeHead(200, { "content-type": url.pathname.endsWith(".js") ? "text/javascript" : "text/css" });
      res.end(readFileSync(join(DIST, url.pathname.slice(1))));
      return;
    }
    const theme = (url.searchParams.get("theme") ?? "dark") as Theme;
    if (url.pathname === "/theme.css") {
      res.writeHead(200, { "content-type": "text/css" });
      res.end(themeCss(theme));
      return;
    }
    const name = url.searchParams.get("plan") ?? "";
    const plan = plans[name];
    if (!plan) {
      res.writeHead(404);
      res.end();
      return;
    }
    const stub = `<script nonce="${NONCE}">
window.__posted = [];
const PLAN = ${JSON.stringify(plan)};
const buf = (a) => new Float32Array(a).buffer;
window.acquireVsCodeApi = () => ({
  postMessage(m) {
    window.__posted.push(m);
    if (m.type === "ready") window.postMessage({ type: "load", folder: ${JSON.stringify(name)}, plan: { ...PLAN, tensors: PLAN.tensors.map((t) => ({ ...t, weight: buf(t.weight), bias: t.bias && buf(t.bias) })) }, candidates: [{ file: "file:///harness/m/acts.safetensors", tensor: "hidden_states", shape: [16, 64], dtype: "F32" }] }, "*");
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
    const html = normLabHtml({ cspSource: origin, nonce: NONCE, scriptUri: "/main.js", styleUri: "/style.css" })
      .replace("<body>", `<body class="${THEMES[theme].cls}">`)
      .replace("</head>", `<link rel="stylesheet" href="/theme.css?theme=${theme}">\n</head>`)
      .replace('<script type="module"', `${stub}<script type="module"`);
    res.writeHead(200, { "content-type": "text/html" });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (name, theme = "dark") => `${origin}/?plan=${encodeURIComponent(name)}&theme=${theme}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
