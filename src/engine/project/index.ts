// The project model: what the files of one project say about each other. Each Python file is
// analysed once (lintPython/lintNotebook); its analysis is summarised here as plain data (it
// crosses worker threads), and the summaries of a whole project answer the questions a finding in
// one file cannot answer alone: does any file rename or assign this parameter while loading, does
// the project load checkpoints at all, which config.json governs a folder. `judgeProject` then
// settles the findings that depend on those answers.
import type { ModuleAnalysis } from "../analysis/types";
import type { Finding, Severity } from "../types";
import { LineIndex } from "../util/text";
import { builtFindings, type ChainVerdict, collectBuilds, digestNorms, digestSuppressions, type FunctionDigest, type LoaderDigest, type NormBuild, type NormCallDigest, type NormDigest, resolveModule, type SuppressionDigest } from "./built";
import { chainVerdicts, digestLoaders, digestNormCalls } from "./effective";

/** What one module contributes to its project, as plain data. */
export interface ModuleSummary {
  path: string;
  /** Test code (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`): judged as what it is. */
  test: boolean;
  /** Parameter names loading code writes or maps (`norm1.scale = assign(...)`, `{"ln_1.g": "norm1.scale"}`). */
  loadTargets: string[];
  /** Lines of code that read checkpoints or load state dicts (the evidence that the project loads weights). */
  loads: Array<{ start: number; end: number; kind: string }>;
  /** A `_load_from_state_dict` or load hook that renames keys outside any norm class. */
  hook: boolean;
  /** Classes defined here. */
  classes: string[];
  /** Attribute names read or written on anything but `self` (`gpt.final_norm.scale`): uses a rename would break. */
  attrs: string[];
  /** What each norm class defined here computes (checked where another module builds it). */
  norms: NormDigest[];
  /** Imported classes built here by model classes of a known family. */
  builds: NormBuild[];
  /** Suppression comments (findings of the project pass honour them). */
  suppressions: SuppressionDigest[];
  /** Weight loaders (`load_weights`) of model classes of a known family: what they do to norm weights. */
  loaders?: LoaderDigest[];
  /** Module-level norm functions other modules may call, and this module's calls of such functions. */
  fns?: FunctionDigest[];
  normCalls?: NormCallDigest[];
  /** A package's `__init__.py`: the names it imports, so an import of the package reaches the defining module. */
  exports?: Record<string, string>;
}

const TEST_PATH = /(^|[\\/])(tests|testing)[\\/]|(^|[\\/])(test_[^\\/]*|[^\\/]*_test|conftest)\.(py|ipynb)$/;

/** Is this path test code? */
export function isTestPath(path: string): boolean {
  return TEST_PATH.test(path);
}

function lastSegment(s: string): string | undefined {
  return s.split(/[.[\]"']/).filter(Boolean).pop();
}

/** `.name` accesses not on `self`, from the text (comments and strings included: a rename would miss them too). */
function foreignAttributes(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(\bself\s*)?\.\s*([A-Za-z_]\w*)/g)) if (!m[1]) out.add(m[2]);
  return [...out].sort();
}

/**
 * A module that was not parsed (it mentions no norm and loads nothing): all it contributes is the
 * attributes it uses, which a rename elsewhere would break.
 */
export function summarizeText(path: string, text: string): ModuleSummary {
  return { path, test: isTestPath(path), loadTargets: [], loads: [], hook: false, classes: [], attrs: foreignAttributes(text), norms: [], builds: [], suppressions: [] };
}

export function summarizeModule(m: ModuleAnalysis): ModuleSummary {
  const loadTargets = new Set<string>();
  const loads: ModuleSummary["loads"] = [];
  for (const l of m.loading) {
    if (l.kind === "load_state_dict" || l.kind === "read") {
      loads.push({ start: l.range.start, end: l.range.end, kind: l.kind });
      continue;
    }
    if (l.kind === "hook") continue;
    for (const t of l.targets) loadTargets.add(t);
    for (const s of [l.from, l.to]) {
      const t = s && lastSegment(s);
      if (t) loadTargets.add(t);
    }
  }
  const inNorm = (at: number) => m.norms.some((n) => n.loadHook && at >= n.range.start && at < n.range.end);
  const hook = m.loading.some((l) => l.kind === "hook" && !inNorm(l.range.start));
  const lines = new LineIndex(m.text);
  const loaders = digestLoaders(m, lines);
  const fns = (m.normFunctions ?? []).map((f) => ({ name: f.name, offset: f.offset, required: f.required, line: lines.position(f.at.start).line }));
  const normCalls = digestNormCalls(m, lines);
  const exports = /(^|\/)__init__\.py$/.test(m.path) ? Object.fromEntries([...m.imports].filter(([k, v]) => /^[A-Za-z_]\w*$/.test(k) && v.includes("."))) : undefined;
  return {
    path: m.path,
    test: isTestPath(m.path),
    loadTargets: [...loadTargets].sort(),
    loads,
    hook,
    classes: [...new Set([...m.norms.map((n) => n.name), ...m.submodules.map((s) => s.owner)])].sort(),
    attrs: foreignAttributes(m.text),
    norms: digestNorms(m, lines),
    builds: m.submodules.length ? collectBuilds(m, lines) : [],
    suppressions: digestSuppressions(m),
    ...(loaders.length ? { loaders } : {}),
    ...(fns.length ? { fns } : {}),
    ...(normCalls.length ? { normCalls } : {}),
    ...(exports && Object.keys(exports).length ? { exports } : {}),
  };
}

/** The questions a project answers, built once from its modules' summaries. */
export class Project {
  private readonly targets = new Map<string, string[]>();
  /** Modules outside test code that read checkpoints or load state dicts. */
  readonly loaders: ModuleSummary[];
  readonly modules: ReadonlyMap<string, ModuleSummary>;

  private paths?: Set<string>;
  private chains?: Map<string, ChainVerdict[]>;

  constructor(summaries: Iterable<ModuleSummary>) {
    const modules = new Map<string, ModuleSummary>();
    for (const s of summaries) modules.set(s.path.replace(/\\/g, "/"), s);
    this.modules = modules;
    for (const s of modules.values()) {
      for (const t of s.loadTargets) {
        const list = this.targets.get(t) ?? [];
        list.push(s.path);
        this.targets.set(t, list);
      }
    }
    this.loaders = [...modules.values()].filter((s) => !s.test && (s.loads.length > 0 || s.loadTargets.length > 0 || s.hook));
  }

  /** Does any module use `.name` on something other than `self` (a rename inside the class would break it)? */
  usedOutsideClass(name: string): boolean {
    for (const s of this.modules.values()) if (s.attrs.includes(name)) return true;
    return false;
  }

  /** The modules whose loading code writes or maps a parameter of this name. */
  mappedIn(name: string): string[] {
    return this.targets.get(name) ?? [];
  }

  /** A norm class of another module, as an import from module `from` names it (through a package's `__init__.py`). */
  digestOf(from: string, spec: string, name: string): { path: string; digest: NormDigest } | undefined {
    const hit = this.lookup(from, spec, name, (m, want) => m.norms.find((n) => n.name === want));
    return hit && { path: hit.path, digest: hit.found };
  }

  /** A norm function of another module, as an import from module `from` names it. */
  functionOf(from: string, spec: string, name: string): { path: string; fn: FunctionDigest } | undefined {
    const hit = this.lookup(from, spec, name, (m, want) => m.fns?.find((f) => f.name === want));
    return hit && { path: hit.path, fn: hit.found };
  }

  /** What `pick` finds in the module an import names, following a package `__init__.py` that imports the name in turn. */
  private lookup<T>(from: string, spec: string, name: string, pick: (m: ModuleSummary, name: string) => T | undefined, depth = 0): { path: string; found: T } | undefined {
    this.paths ??= new Set(this.modules.keys());
    const path = resolveModule(from.replace(/\\/g, "/"), spec, this.paths);
    const module = path ? this.modules.get(path) : undefined;
    const found = module && pick(module, name);
    if (path && found) return { path, found };
    const again = module?.exports?.[name];
    if (!path || !again || depth > 2) return undefined;
    const dot = again.lastIndexOf(".");
    return this.lookup(path, again.slice(0, dot), again.slice(dot + 1), pick, depth + 1);
  }

  /** The cross-file chains' verdicts on one file (src/engine/project/effective.ts). */
  chainsOn(path: string): ChainVerdict[] {
    this.chains ??= chainVerdicts({ modules: [...this.modules.values()], digestOf: (from, spec, name) => this.digestOf(from, spec, name), functionOf: (from, spec, name) => this.functionOf(from, spec, name) });
    return this.chains.get(path.replace(/\\/g, "/")) ?? [];
  }

  /** Does any module outside test code load weights (read a checkpoint, load a state dict, map keys)? */
  get loadsWeights(): boolean {
    return this.loaders.length > 0;
  }
}

/** Rules whose verdict needs the whole project: the parameter names a checkpoint loads into. */
const LOADS_INTO = new Set(["norm-param-name-mismatch"]);

/** Does this finding's verdict depend on the other files of its project (settled by judgeFindings)? */
export function dependsOnProject(f: Pick<Finding, "rule">): boolean {
  return LOADS_INTO.has(f.rule);
}

/** Does judging this file need its whole project (a finding that depends on it, or norms it imports and builds)? */
export function needsProject(raw: Finding[], summary: ModuleSummary | undefined): boolean {
  return (summary?.builds.length ?? 0) > 0 || (summary?.loaders?.length ?? 0) > 0 || (summary?.normCalls?.length ?? 0) > 0 || !!summary?.norms.some((n) => n.op) || raw.some(dependsOnProject);
}

/** Files that make a folder a project root (besides a config.json or checkpoints: a model folder). */
export const PROJECT_MARKERS = ["pyproject.toml", "setup.py", "setup.cfg", ".git"];

/**
 * What a module contributes to the judgement of other files, as one string: two summaries with the
 * same key settle every other file's findings the same way (an edit that changes only a function
 * body elsewhere re-judges nothing).
 */
export function summaryKey(s: ModuleSummary | undefined): string {
  if (!s) return "";
  // Builds and loaders settle the op implementations of other files (src/engine/project/effective.ts).
  const chains = [s.builds.map((b) => [b.module, b.name, b.owner, b.line, b.modelType]), s.loaders, s.exports, s.fns];
  return JSON.stringify([s.test, s.loadTargets, s.loads.length > 0, s.hook, s.attrs, s.norms, chains]);
}

/** Rules about normlint itself or the file as such: never softened for test code. */
const ABOUT_THE_FILE = new Set(["source-unreadable", "unused-suppression"]);

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function atMost(f: Finding, level: Severity): Finding {
  return RANK[f.severity] > RANK[level] ? { ...f, severity: level } : f;
}

/**
 * Settles a file's findings against its project. A parameter named differently from the
 * checkpoint's key (NL205) is dropped when any module maps that name while loading, or when the
 * project loads no weights at all; it stays an error only when some loader maps the class's other
 * parameters and not this one, and is otherwise a warning that says the checkpoint's keys were not
 * seen; beside a checkpoint it is left to the folder rules, which compare the real keys. Findings
 * in test code are at most info. `userLevel` says whether the user configured the
 * rule's level (then it is kept as configured).
 */
export function judgeFindings(
  findings: Finding[],
  summary: ModuleSummary | undefined,
  project: Project,
  userLevel: (rule: string) => string | undefined = () => undefined,
  opts: { checkpointBeside?: boolean } = {},
): Finding[] {
  const out: Finding[] = [];
  let all = findings;
  const chains = summary ? project.chainsOn(summary.path) : [];
  if (summary && (summary.builds.length || chains.length)) {
    const path = summary.path;
    const built = builtFindings({
      path,
      builds: summary.builds,
      suppressions: summary.suppressions,
      digestOf: (spec, name) => project.digestOf(path, spec, name),
      level: userLevel,
      chains,
      loaders: summary.loaders ?? [],
    });
    // A suppression that silences a finding of this pass is used, whatever the file alone said.
    const used = (f: Finding) => f.rule === "unused-suppression" && built.usedSuppressions.some((s) => f.start >= s.start && f.end <= s.end);
    all = [...findings.filter((f) => !used(f)), ...built.findings].sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  }
  for (const f of all) {
    let g: Finding | undefined = f;
    // Beside a checkpoint, the folder rules compare the real keys (NL304): no guess is needed.
    if (LOADS_INTO.has(f.rule)) g = opts.checkpointBeside ? undefined : judgeLoad(f, project, userLevel(f.rule) !== undefined);
    if (g && summary?.test && !ABOUT_THE_FILE.has(g.rule) && userLevel(g.rule) === undefined) g = atMost(g, "info");
    if (g) out.push(g);
  }
  return out;
}

/**
 * A model folder's finding that a module outside the folder can change: NL304 compares the
 * checkpoint's keys with the folder's code and the renames in it, but a loader elsewhere in the
 * project that maps the code's norm parameter names may be the one that reads this checkpoint. The
 * finding then is a note naming that loader (unless the user configured the rule's level).
 */
export function judgeFolderFinding(f: Finding, project: Project, inFolder: (path: string) => boolean, userLevel: (rule: string) => string | undefined = () => undefined): Finding {
  if (f.rule !== "checkpoint-norm-keys-mismatch" || typeof f.data?.params !== "string") return f;
  for (const name of f.data.params.split(",").filter(Boolean)) {
    const elsewhere = project.mappedIn(name).filter((p) => !inFolder(p));
    if (!elsewhere.length) continue;
    const note = ` ${elsewhere[0]} maps \`${name}\` while loading: if that loader reads this checkpoint, it renames the keys there.`;
    return { ...f, message: f.message + note, ...(userLevel(f.rule) === undefined ? { severity: atMost(f, "info").severity } : {}) };
  }
  return f;
}

function judgeLoad(f: Finding, project: Project, configured: boolean): Finding | undefined {
  const name = f.data?.param;
  if (typeof name !== "string") return f;
  if (project.mappedIn(name).length || !project.loadsWeights) return undefined;
  // A rename inside the class is safe only where nothing else in the project uses the old name.
  const fixes = project.usedOutsideClass(name) ? f.fixes.filter((x) => !x.title.startsWith("Rename")) : f.fixes;
  // Error only when a loader maps a sibling parameter of the same class and skips this one.
  const siblings = typeof f.data?.siblings === "string" ? f.data.siblings.split(",").filter(Boolean) : [];
  const mapped = siblings.find((s) => project.mappedIn(s).length > 0);
  if (mapped) return { ...f, fixes, message: `${f.message} (${project.mappedIn(mapped)[0]} maps \`${mapped}\` while loading, and not \`${name}\`)` };
  if (configured) return { ...f, fixes };
  const where = project.loaders.map((l) => l.path).slice(0, 2).join(", ");
  return {
    ...f,
    fixes,
    severity: atMost(f, "warning").severity,
    message: `${f.message} (normlint did not see the checkpoint's keys; the project loads weights in ${where}${project.loaders.length > 2 ? " and more" : ""} without renaming \`${name}\`)`,
  };
}
