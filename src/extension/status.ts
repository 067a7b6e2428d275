// What the Language Status item says, and the "Copy Debug Info" text: plain functions of the
// controller's counters, so both are tested without VS Code.
import type { ExtensionSettings } from "./settings";
import type { StatusView } from "./types";

export interface LastError {
  message: string;
  stack?: string;
  /** Where it happened ("linting models/config.json"). */
  context: string;
  time: Date;
}

export interface Stats {
  filesLinted: number;
  busy: number;
  tooLarge: string[];
  /** .normlint.json files with problems (display paths). */
  configProblems: string[];
  lastError?: LastError;
  virtual: boolean;
}

export function statusView(s: Stats): StatusView {
  const parts = [`${s.filesLinted} ${s.filesLinted === 1 ? "file" : "files"} linted`];
  if (s.tooLarge.length) parts.push(`${s.tooLarge.length} over the size cap (${s.tooLarge.slice(0, 2).join(", ")}${s.tooLarge.length > 2 ? ", ..." : ""})`);
  if (s.configProblems.length) parts.push(`invalid ${s.configProblems.join(", ")}`);
  if (s.virtual) parts.push("virtual workspace: checkpoints not read");
  if (s.lastError) parts.push(`last error: ${s.lastError.message}`);
  const severity = s.lastError || s.configProblems.length ? "error" : s.tooLarge.length ? "warning" : "info";
  const icon = severity === "error" ? "$(error) " : severity === "warning" ? "$(warning) " : "";
  return { text: `${icon}normlint`, detail: parts.join("; "), severity, busy: s.busy > 0 };
}

/** Findings of one file by severity. */
export interface FileCounts {
  errors: number;
  warnings: number;
  infos: number;
}

export interface ActiveStatus extends StatusView {
  /** Where a click on the item goes. */
  command: { id: string; title: string };
}

function countsText(c: FileCounts): string {
  const parts = [c.errors && `${c.errors} error${c.errors === 1 ? "" : "s"}`, c.warnings && `${c.warnings} warning${c.warnings === 1 ? "" : "s"}`, c.infos && `${c.infos} info${c.infos === 1 ? "" : "s"}`].filter(Boolean);
  return parts.length ? parts.join(", ") : "no findings";
}

/**
 * The status item as the active file sees it: its own findings in the text ("normlint: 2 errors"),
 * the workspace figures in the detail (unchanged), and a click that opens the Problems view when the file has
 * findings, else the output. normlint's own failure outranks the file's state: its text stays
 * "$(error) normlint" and the click opens the output, where the error is logged.
 */
export function activeFileStatus(view: StatusView, file: string | undefined, counts: FileCounts | undefined): ActiveStatus {
  const output = { id: "normlint.showOutput", title: "Show Output" };
  if (view.severity === "error" || !file || !counts) return { ...view, command: output };
  const n = counts.errors + counts.warnings + counts.infos;
  const icon = counts.errors ? "$(error)" : counts.warnings ? "$(warning)" : n ? "$(info)" : "$(check)";
  const text = `${icon} normlint: ${countsText(counts)}`;
  // The hover shows text, detail and the command's title on one line: the detail stays the short
  // workspace figure, the file's own state being the text.
  return { ...view, text, command: n ? { id: "workbench.actions.view.problems", title: "Show Problems" } : output };
}

export interface DebugInfo {
  versions: { extension: string; vscode: string; node: string; platform: string };
  engine: { rules: number; families: number; knowledge: string } | undefined;
  activationMs: number | undefined;
  engineLoadMs: number | undefined;
  parserLoaded: boolean;
  virtual: boolean;
  folders: Array<{ uri: string; config?: string; settings: ExtensionSettings }>;
  windowSettings: ExtensionSettings;
  stats: Stats;
}

export function debugInfoText(d: DebugInfo): string {
  const lines = [
    "## normlint debug info",
    "",
    `- normlint ${d.versions.extension}, VS Code ${d.versions.vscode}, Node ${d.versions.node}, ${d.versions.platform}`,
    d.engine ? `- engine: ${d.engine.rules} rules, ${d.engine.families} model families (${d.engine.knowledge})` : "- engine: not loaded yet",
    `- activation: ${d.activationMs === undefined ? "?" : `${d.activationMs.toFixed(1)} ms`}; engine load: ${d.engineLoadMs === undefined ? "not yet" : `${d.engineLoadMs.toFixed(1)} ms`}; Python parser: ${d.parserLoaded ? "loaded" : "not loaded"}`,
    `- virtual workspace: ${d.virtual ? "yes (checkpoints not read)" : "no"}`,
    `- files linted: ${d.stats.filesLinted}; over the size cap: ${d.stats.tooLarge.join(", ") || "none"}; invalid .normlint.json: ${d.stats.configProblems.join(", ") || "none"}`,
    "",
    "### Workspace folders",
    ...(d.folders.length
      ? d.folders.map((f) => `- ${f.uri}\n  - .normlint.json: ${f.config ?? "none"}\n  - settings: \`${JSON.stringify(f.settings)}\``)
      : ["- none (single files)"]),
    "",
    "### Window settings",
    "```json",
    JSON.stringify(d.windowSettings, null, 2),
    "```",
    "",
    "### Last error",
    d.stats.lastError ? ["```", `${d.stats.lastError.time.toISOString()} while ${d.stats.lastError.context}`, d.stats.lastError.stack ?? d.stats.lastError.message, "```"].join("\n") : "none",
    "",
  ];
  return lines.join("\n");
}
