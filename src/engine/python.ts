// Lint entry for Python modeling code and Jupyter notebooks. The caller injects the parser (which
// holds the wasm); the engine does no I/O. Findings have the same shape as lintConfig's; notebook
// findings carry `data.cell` and offsets relative to that cell's source.
import { analyzeModule } from "./analysis/module";
import { expectedCentre } from "./knowledge/layouts";
import type { Family } from "./knowledge/index";
import type { ModuleAnalysis, Suppression } from "./analysis/types";
import { applySafeFixes } from "./index";
import { decodeText, parseJson } from "./parsers/json";
import { lineage, type PythonParser, type PythonTree } from "./parsers/python";
import { FLAG_HOLDERS, KEYS } from "./analysis/declared-vocab";
import { judgeFindings, Project, type ModuleSummary, summarizeModule, summarizeText } from "./project/index";
import { RULES } from "./registry";
import type { PythonRuleContext } from "./rule";
import { runRules } from "./runner";
import type { FileSettings } from "./settings";
import type { Finding, Fix } from "./types";
import { LineIndex } from "./util/text";

export type { PythonParser, PythonTree, PythonWasm } from "./parsers/python";
export { createPythonParser } from "./parsers/python";
export type { ModuleAnalysis } from "./analysis/types";

export interface PythonInput {
  path: string;
  text?: string;
  bytes?: Uint8Array;
  /** Size in bytes when the content was not read because it is over the cap. */
  size?: number;
}

export interface PythonOptions {
  /** The family the file implements, when the caller knows it (a config.json beside it). */
  modelType?: string;
  /** A tree of exactly this text (from an incremental reparse); it is not deleted. */
  tree?: PythonTree;
  /**
   * Skip, without parsing, a file whose text mentions no norm at all (see `mentionsNorms`): it can
   * hold no norm finding, only a syntax-error note. For bulk runs over code that is mostly not
   * modeling code; such a file comes back `skipped`.
   */
  prefilter?: boolean;
  /** The `model_type` of the config.json governing the file's folder (family evidence). */
  configModelType?: string;
  /**
   * The project the file belongs to (src/engine/project): findings that depend on other files are
   * settled against it. Default: the file alone. "defer": returned unsettled with the summary, for
   * a caller that judges them once every file of the project is summarised (the CLI).
   */
  project?: Project | "defer";
}

/**
 * A cheap test (no parse) for text that could matter to a norm analysis. Norm classes, torch norm
 * modules and patches of them are named `...Norm`/`RMS...`, and suppressions say `normlint`; the
 * lowercase spellings (`F.layer_norm`, `rms_norm_eps`) count only next to `torch`, since `normpath`
 * and `normalize` fill ordinary code. `Normal`/`NORMAL` (distributions, Unicode forms, enum
 * members) do not count: in the standard library they made 68 files of 117k lines pass instead
 * of 6; a PyTorch file with a `...Normalization` class still passes on `norm` next to `torch`.
 */
const CAPITAL_NORM = /Norm(?!al)|NORM(?!AL)|RMS|normlint/;
/** Code that loads weights: a loader with no norm in its text still answers for its project's norms. */
const LOADS_WEIGHTS = /load_state_dict|safe_open|safetensors|torch\.load\(|load_weights/;
/** Classes that hold a norm flag they may only inherit (TransformerLens adapters): such a file declares a convention without naming a norm. */
const FLAG_HOLDER = new RegExp(FLAG_HOLDERS.map((h) => h.suffix.source.replace(/\$$/, "\\b")).join("|"));
/** A library's own word for a norm's unit offset (`norm_constant_bias`), which counts wherever it is set. */
const OFFSET_KEY = new RegExp(`\\b(${Object.keys(KEYS).filter((k) => !KEYS[k].generic && KEYS[k].aspect === "offset").join("|")})\\b`);
export function mentionsNorms(text: string): boolean {
  if (CAPITAL_NORM.test(text) || LOADS_WEIGHTS.test(text) || FLAG_HOLDER.test(text) || OFFSET_KEY.test(text)) return true;
  return (text.includes("norm") || text.includes("rms")) && text.includes("torch");
}

export interface NotebookCell {
  /** Index in the notebook's cells list (markdown cells count). */
  index: number;
  id?: string;
  source: string;
}

export interface PythonLintResult {
  path: string;
  /** "python"/"notebook": linted; "skipped": not linted (reason says why). */
  status: "python" | "notebook" | "skipped";
  reason?: string;
  findings: Finding[];
  /** The decoded text offsets refer to (for notebooks: the notebook JSON; cell findings use their cell). */
  text: string;
  /** Code cells of a notebook, for mapping findings back. */
  cells?: NotebookCell[];
  /** The module analysis, for callers that check across files (a checkpoint rule). */
  module?: ModuleAnalysis;
  /** What the file contributes to its project (plain data). */
  summary?: ModuleSummary;
}

type Problems = Pick<PythonRuleContext<string>, "decodeProblem" | "tooLarge" | "notebookProblem">;

function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Reads the input: text, or a problem finding's context. */
function readInput(input: PythonInput, settings: FileSettings): { text: string } | { problems: Problems } {
  const size = input.size ?? input.bytes?.length ?? input.text?.length ?? 0;
  if (size > settings.maxFileSize) return { problems: { tooLarge: { size: formatSize(size), cap: formatSize(settings.maxFileSize) } } };
  if (input.text !== undefined) return { text: input.text };
  if (!input.bytes) return { text: "" };
  const decoded = decodeText(input.bytes);
  if (!decoded.ok) return { problems: { decodeProblem: { detail: decoded.problem.detail, kind: decoded.problem.kind } } };
  return { text: decoded.text };
}

/** Lints one Python source file. */
export function lintPython(input: PythonInput, settings: FileSettings, parser: PythonParser, opts: PythonOptions = {}): PythonLintResult {
  const read = readInput(input, settings);
  if ("problems" in read) return { path: input.path, status: "python", findings: lintModule(input.path, "", null, read.problems, settings), text: "" };
  if (opts.prefilter && !opts.tree && !mentionsNorms(read.text)) {
    // Not parsed; it still uses attributes a rename elsewhere would break.
    const summary = opts.project === "defer" ? summarizeText(input.path, read.text) : undefined;
    return { path: input.path, status: "skipped", reason: "no norm-related text", findings: [], text: read.text, summary };
  }
  return lintText(input.path, read.text, settings, parser, opts);
}

function lintText(path: string, text: string, settings: FileSettings, parser: PythonParser, opts: PythonOptions): PythonLintResult {
  // Python accepts a UTF-8 byte order mark; the parser does not. A space keeps every offset.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const own = !opts.tree;
  const tree = opts.tree ?? parser.parse(source);
  try {
    let module: ModuleAnalysis;
    try {
      // A tree the caller keeps is likely reparsed after the next edit: its analysis is kept for that.
      module = analyzeModule(tree, path, { modelType: opts.modelType, configModelType: opts.configModelType, memo: own ? undefined : lineage(tree) });
    } catch (err) {
      // An analysis bug must not crash the caller; the file is reported as not analysed.
      const findings = lintModule(path, text, null, { decodeProblem: { detail: `normlint internal error while analysing: ${(err as Error).message}`, kind: "internal" } }, settings);
      return { path, status: "python", findings, text };
    }
    module.text = text;
    const raw = lintModule(path, text, module, {}, settings);
    const summary = summarizeModule(module);
    const findings = opts.project === "defer" ? raw : judgeFindings(raw, summary, opts.project ?? new Project([summary]), userLevels(settings));
    return { path, status: "python", findings, text, module, summary };
  } finally {
    if (own) tree.delete();
  }
}

/** The levels the user configured (those that differ from the rule's default), for the project pass. */
export function userLevels(settings: FileSettings): (rule: string) => string | undefined {
  return (name) => {
    const level = settings.levels.get(name);
    return level !== undefined && level !== RULES.find((r) => r.name === name)?.severity ? level : undefined;
  };
}

const PYTHON_RULES = RULES.filter((r) => r.input === "python");

/**
 * Rules whose verdict on an MLX port depends on the layout its weights are stored in: mlx-lm and
 * mlx-vlm shift some families' norms in `sanitize()` (Qwen3.5, Qwen3-Next: the runtime's `x * w` is
 * then right) and keep their own eps and vision towers. Until storage layouts are known (issue 17),
 * their findings on MLX code are notes.
 */
const MLX_LAYOUT_DEPENDENT = new Set(["norm-missing-unit-offset", "norm-unexpected-unit-offset", "norm-offset-init-mismatch", "norm-kind-mismatch", "norm-eps-mismatch", "norm-missing-fp32-upcast", "norm-cast-order-mismatch", "norm-eps-not-passed"]);

function usesMlx(m: ModuleAnalysis): boolean {
  for (const v of m.imports.values()) if (v === "mlx" || v.startsWith("mlx.")) return true;
  return false;
}

/** Runs the python rules (see runRules for levels and suppressions) and offers a suppression fix for each finding. */
function lintModule(path: string, text: string, module: ModuleAnalysis | null, problems: Problems, settings: FileSettings): Finding[] {
  const suppressions = module?.suppressions ?? [];
  const all = runRules<PythonRuleContext<string>>({
    rules: PYTHON_RULES,
    file: path,
    settingsFor: () => settings,
    suppressionsOf: () => ({ kind: "comments", text, suppressions }),
    context: (_rule, report, uses) => ({ file: path, text, module, ...problems, ...(uses ? { suppressionUses: uses } : {}), report }),
  });
  if (module && all.length) {
    const lines = new LineIndex(text);
    for (const f of all) if (f.rule !== "unused-suppression" && f.rule !== "source-unreadable") f.fixes.push(suppressFix(text, lines, f, suppressions));
  }
  all.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  if (!module || !usesMlx(module)) return all;
  const configured = userLevels(settings);
  const stored = mlxStoredAsHf(module);
  const note = (f: Finding): Finding => ({ ...f, severity: "info", message: `${f.message} (MLX: the weights' layout after sanitize() decides, and no layout fact settles it for this family; judged at info)` });
  return all.map((f) => {
    if (!MLX_LAYOUT_DEPENDENT.has(f.rule) || f.severity === "info" || configured(f.rule) !== undefined) return f;
    // The MLX port keeps the family's weights as Hugging Face stores them: the runtime must compute what transformers does.
    if (stored && OFFSET_RULES.has(f.rule)) return { ...f, message: `${f.message} (MLX: ${stored})` };
    return note(f);
  });
}

/** Rules about the +1 offset, which a layout fact on where MLX keeps the weights settles. */
const OFFSET_RULES = new Set(["norm-missing-unit-offset", "norm-unexpected-unit-offset", "norm-offset-init-mismatch"]);

/**
 * When the one family the module's norms serve has an MLX layout fact that stores the trunk's norm
 * weights where Hugging Face does (mlx-lm's Gemma keeps w near 0 and adds 1 at run time; Gemma 3n's
 * are plain), the runtime must compute the family's own convention: the fact, said in the message.
 * Undefined when one family has no such fact or sanitize() moves the weights (Qwen3-Next, Qwen3.5).
 */
function mlxStoredAsHf(m: ModuleAnalysis): string | undefined {
  const families = new Map<string, Family>();
  for (const n of [...m.norms, ...m.uses]) if (n.facts) families.set(n.facts.family.modelType, n.facts.family);
  if (m.fileFamily) families.set(m.fileFamily.family.modelType, m.fileFamily.family);
  // Two families in one MLX file (mlx-vlm's gemma3n/language.py names its model class Gemma3Model)
  // leave which one a norm serves open: stay a note.
  if (families.size !== 1) return undefined;
  const [fam] = families.values();
  const mlx = expectedCentre(fam, "mlx", "trunk");
  if (!mlx.fact || mlx.centre === "unknown" || mlx.centre !== expectedCentre(fam, "hf", "trunk").centre) return undefined;
  return `${fam.modelType}'s norm weights are stored as in transformers, near ${mlx.centre} (${mlx.cite})`;
}

/** A fix that silences one finding with a `# normlint: ignore[rule]` comment at the end of its line. */
function suppressFix(text: string, lines: LineIndex, f: Finding, suppressions: Suppression[]): Fix {
  const line = lines.position(f.start).line;
  const existing = suppressions.find((s) => s.kind === "ignore" && s.line === line && !s.standalone);
  const title = `Suppress \`${f.rule}\` on this line`;
  if (existing) {
    const close = existing.directive.start + text.slice(existing.directive.start, existing.directive.end).indexOf("]");
    return { title, safe: false, edits: [{ start: close, end: close, text: `${existing.selectors.length ? ", " : ""}${f.rule}` }] };
  }
  const lineText = lines.lineText(text, line);
  let end = f.start - lines.position(f.start).column + 1 + lineText.length;
  if (lineText.endsWith("\r")) end--;
  return { title, safe: false, edits: [{ start: end, end, text: `  # normlint: ignore[${f.rule}]` }] };
}

/** Applies every safe fix (unused suppressions), re-linting until nothing fixable is left. */
export function fixPythonText(input: PythonInput, settings: FileSettings, parser: PythonParser, opts: Omit<PythonOptions, "tree"> = {}): string | undefined {
  return applySafeFixes(lintPython(input, settings, parser, opts), (text) => lintPython({ path: input.path, text }, settings, parser, opts));
}

// Notebooks ------------------------------------------------------------------------------------

/** Cell magics whose body is not Python. */
const FOREIGN_CELL_MAGICS = /^%%(bash|sh|html|javascript|js|latex|markdown|writefile|script|perl|ruby|svg|sql|file|cmd|powershell)\b/;

/** Blanks IPython syntax (`%magic`, `!shell`, `%%bash` cells) so offsets stay put and Python parses. */
function sanitizeCell(src: string): string {
  if (FOREIGN_CELL_MAGICS.test(src)) return src.replace(/[^\n]/g, " ");
  return src.replace(/^([ \t]*)([%!])/gm, (_m, ws: string) => `${ws}#`);
}

/**
 * Lints the code cells of a notebook as one module (a later cell sees an earlier cell's classes
 * and imports). Findings in a cell get `data.cell` (the cell's index in the notebook) and offsets
 * relative to that cell's source; problems with the notebook itself keep notebook-text offsets.
 */
export function lintNotebook(input: PythonInput, settings: FileSettings, parser: PythonParser, opts: Omit<PythonOptions, "tree"> = {}): PythonLintResult {
  const read = readInput(input, settings);
  if ("problems" in read) return { path: input.path, status: "notebook", findings: lintModule(input.path, "", null, read.problems, settings), text: "" };
  const text = read.text;
  const broken = (detail: string, start = 0, end = 0): PythonLintResult => ({
    path: input.path,
    status: "notebook",
    findings: lintModule(input.path, text, null, { notebookProblem: { detail, start, end } }, settings),
    text,
  });
  const doc = parseJson(text);
  const syntax = doc.problems.find((p) => p.kind === "syntax" || p.kind === "too-deep");
  if (syntax) return broken(`invalid JSON: ${syntax.detail}`, syntax.start, syntax.end);
  let nb: unknown;
  try {
    nb = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    return broken(`invalid JSON: ${(err as Error).message}`);
  }
  const obj = nb as { cells?: unknown; worksheets?: Array<{ cells?: unknown }>; metadata?: { kernelspec?: { language?: string }; language_info?: { name?: string } } };
  const rawCells = obj && typeof obj === "object" ? (obj.cells ?? obj.worksheets?.[0]?.cells) : undefined;
  if (!Array.isArray(rawCells)) return broken("no `cells` list");
  const lang = obj.metadata?.kernelspec?.language ?? obj.metadata?.language_info?.name;
  // The metadata is the notebook author's: a language that is not a string is no language.
  if (typeof lang === "string" && lang && lang.toLowerCase() !== "python") return { path: input.path, status: "skipped", reason: `a ${lang} notebook`, findings: [], text };

  const cells: NotebookCell[] = [];
  const starts: number[] = [];
  let moduleText = "";
  rawCells.forEach((c: unknown, index) => {
    const cell = c as { cell_type?: string; source?: unknown; input?: unknown; id?: string };
    if (!cell || cell.cell_type !== "code") return;
    const src = cell.source ?? cell.input;
    const source = Array.isArray(src) ? src.filter((s) => typeof s === "string").join("") : typeof src === "string" ? src : "";
    cells.push({ index, id: typeof cell.id === "string" ? cell.id : undefined, source });
    starts.push(moduleText.length);
    moduleText += sanitizeCell(source) + (source.endsWith("\n") ? "" : "\n");
  });
  const result = lintText(input.path, moduleText, settings, parser, opts);
  const findings = result.findings.map((f) => toCell(cells, starts, f)).filter((f): f is Finding => f !== undefined);
  return { path: input.path, status: "notebook", findings, text, cells, module: result.module, summary: result.summary };
}

/** A finding with offsets into the module text a notebook's cells make, moved into its cell (`data.cell`). */
function toCell(cells: NotebookCell[], starts: number[], f: Finding): Finding | undefined {
  let k = starts.length - 1;
  while (k > 0 && starts[k] > f.start) k--;
  if (k < 0) return undefined;
  const base = starts[k];
  const limit = base + cells[k].source.length;
  const inCell = (e: { start: number; end: number }) => e.start >= base && e.end <= limit + 1;
  return {
    ...f,
    start: f.start - base,
    end: Math.min(f.end, limit) - base,
    fixes: f.fixes.filter((x) => x.edits.every(inCell)).map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, start: e.start - base, end: Math.min(e.end, limit) - base })) })),
    data: { ...f.data, cell: cells[k].index, ...(cells[k].id ? { cellId: cells[k].id } : {}) },
  };
}

/**
 * Moves findings made on a notebook's module text (a cross-file rule reading `result.module`) into
 * the cells, as lintNotebook does for its own findings.
 */
export function notebookCellFindings(result: PythonLintResult, findings: Finding[]): Finding[] {
  const cells = result.cells ?? [];
  const starts: number[] = [];
  let at = 0;
  for (const c of cells) {
    starts.push(at);
    at += c.source.length + (c.source.endsWith("\n") ? 0 : 1);
  }
  return findings.map((f) => toCell(cells, starts, f)).filter((f): f is Finding => f !== undefined);
}
