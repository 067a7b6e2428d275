// File discovery: folders are walked respecting .gitignore files (those above the starting folder
// up to the repository root too), .git and node_modules are skipped, symlinked folders are followed
// once (a loop is cut by tracking real paths), and only regular files are returned. A folder that
// cannot be listed is a problem reported to the caller; a dangling link with a name normlint lints
// is returned, so that reading it reports why it cannot be read.
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { readTextFile } from "./files";
import { displayPath } from "./paths";

export type TargetKind = "config" | "safetensors" | "gguf" | "index" | "pickle" | "python" | "notebook" | "params";

export interface Candidate {
  path: string;
  explicit: boolean;
  kind: TargetKind;
}

const SKIP_DIRS = new Set([".git", "node_modules", ".hg", ".svn", "__pycache__", ".venv", ".mypy_cache"]);

/** What a file is to normlint, by name; explicit files are linted whatever their name. */
export function targetKind(name: string, explicit = false): TargetKind | undefined {
  if (name === "config.json") return "config";
  // Meta's params.json: read with the model folder it sits in, never linted on its own.
  if (name === "params.json") return "params";
  if (name.endsWith(".safetensors.index.json")) return "index";
  if (name.endsWith(".safetensors")) return "safetensors";
  if (name.endsWith(".gguf")) return "gguf";
  if (/\.(bin|pt|pth|ckpt)$/.test(name)) return "pickle";
  if (name.endsWith(".py")) return "python";
  if (name.endsWith(".ipynb")) return "notebook";
  return explicit ? "config" : undefined;
}

interface Layer {
  base: string;
  ig: Ignore;
}

function loadGitignore(dir: string): Layer | undefined {
  const text = readTextFile(join(dir, ".gitignore"));
  if (text === undefined) return undefined;
  try {
    return { base: dir, ig: ignore().add(text) };
  } catch {
    return undefined; // a pattern the ignore package rejects: walk as if the file were absent
  }
}

/** .gitignore layers from the repository root (or filesystem root) down to `dir`'s parent. */
function ancestorLayers(dir: string): Layer[] {
  const layers: Layer[] = [];
  let d = dirname(dir);
  let child = dir;
  while (d !== child) {
    const l = loadGitignore(d);
    if (l) layers.unshift(l);
    if (existsSync(join(d, ".git"))) break;
    child = d;
    d = dirname(d);
  }
  if (existsSync(join(dir, ".git"))) return [];
  return layers;
}

function ignored(layers: Layer[], path: string, isDir: boolean): boolean {
  for (const { base, ig } of layers) {
    const rel = relative(base, path).split(sep).join("/");
    if (!rel || rel.startsWith("..")) continue;
    if (ig.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

export interface WalkProblem {
  path: string;
  message: string;
}

export function collect(paths: string[], onProblem: (p: WalkProblem) => void, opts: { respectGitignore?: boolean } = {}): Candidate[] {
  const respect = opts.respectGitignore !== false;
  const out: Candidate[] = [];
  const seenFiles = new Set<string>();
  const add = (path: string, explicit: boolean, kind: TargetKind) => {
    let key = path;
    try {
      key = realpathSync(path);
    } catch {}
    if (seenFiles.has(key)) return;
    seenFiles.add(key);
    out.push({ path, explicit, kind });
  };
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      onProblem({ path: p, message: `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      const visited = new Set<string>();
      walk(abs, respect ? ancestorLayers(abs) : [], visited, (f, kind) => add(f, false, kind), respect, onProblem);
    } else add(abs, true, targetKind(basename(abs), true)!);
  }
  return out;
}

function walk(dir: string, layers: Layer[], visited: Set<string>, emit: (file: string, kind: TargetKind) => void, respect: boolean, onProblem: (p: WalkProblem) => void): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return;
  }
  if (visited.has(real)) return; // a symlink loop or a second link to the same folder
  visited.add(real);
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    onProblem({ path: dir, message: `cannot read folder ${displayPath(dir)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return;
  }
  // Only a folder that lists a .gitignore is asked for one (a failed open per folder was costly).
  const own = respect && entries.some((e) => e.name === ".gitignore") ? loadGitignore(dir) : undefined;
  const here = own ? [...layers, own] : layers;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const st = statSync(full);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch {
        // Dangling, looping or unreachable: a config.json or checkpoint behind it is reported when read.
        const kind = targetKind(e.name);
        if (kind && !ignored(here, full, false)) emit(full, kind);
        continue;
      }
    }
    if (isDir) {
      if (SKIP_DIRS.has(e.name) || ignored(here, full, true)) continue;
      walk(full, here, visited, emit, respect, onProblem);
    } else if (isFile) {
      // The name first: most files in a large workspace are not normlint's, and need no .gitignore match.
      const kind = targetKind(e.name);
      if (kind && !ignored(here, full, false)) emit(full, kind);
    }
  }
}
