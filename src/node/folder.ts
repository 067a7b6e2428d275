// The one model-folder reader: config.json, the safetensors index, safetensors and GGUF checkpoints
// (opened for ranged reads), PyTorch pickles (listed, never read) and the modeling code beside
// them, gathered into the engine's ModelFolderInput with the same caps and file naming for every
// caller (the CLI's lint and `verify`, the editor's lint and the Norm Lab). Files are reached
// through a FileAccess, so the editor can hand in its own for folders that are not on disk.
import type { ModelFolderInput } from "../engine/folder";
import type { CodeModule } from "../engine/folder-model";
import { DEFAULT_MAX_FILE_SIZE } from "../engine/settings";
import type { ClosableSource, FileAccess } from "./access";
import { targetKind } from "./walk";

/** Size caps, the same for every caller. */
export const FOLDER_CAPS = {
  /** config.json and modeling code, unless the caller's settings say otherwise (maxFileSize). */
  file: DEFAULT_MAX_FILE_SIZE,
  /** A safetensors index lists every tensor of a sharded checkpoint: large, but bounded. */
  index: 64 * 1024 * 1024,
} as const;

/** When several indexes sit in one folder, this one is the checkpoint's (transformers' name). */
export const INDEX_NAME = "model.safetensors.index.json";

/** Meta's original checkpoint config (`norm_eps`, `dim`, `n_heads`), beside config.json in some folders. */
export const PARAMS_NAME = "params.json";

export interface FolderReadOptions {
  /** How a file is named in the input, its findings and `problems` (default: its location). */
  display?: (location: string) => string;
  /**
   * config.json's bytes when the caller holds them (an open editor's text, the CLI's fixed text);
   * `null`: the folder has no config.json for this caller (the CLI excluded it or reported it).
   */
  config?: Uint8Array | null;
  /**
   * The folder's files when the caller has listed them (the CLI's walk, with .gitignore and excludes
   * applied): the folder is then not listed again, and may even be unlistable.
   */
  names?: Iterable<string>;
  /** Cap for config.json and modeling code (default FOLDER_CAPS.file; the maxFileSize setting). */
  maxFileSize?: number;
  /** Passed on to the engine: bytes of norm tensors to read for statistics. */
  maxNormBytes?: number;
  /** The folder's modeling code, already analysed by the caller. */
  code?: CodeModule[];
}

/** A file of the folder that was not read, and why (not a regular file, over a cap, an open error). */
export interface FolderProblem {
  location: string;
  path: string;
  error: string;
}

export interface ModelFolderRead {
  input: ModelFolderInput;
  problems: FolderProblem[];
  /** Modeling code in the folder (`*.py`, `*.ipynb`), in name order, for callers that analyse it. */
  code: Array<{ location: string; path: string; kind: "python" | "notebook" }>;
  /** Location of every file named in `input`, `problems` and `code`, by its display path. */
  locations: Map<string, string>;
  /** Closes every checkpoint opened (call it when the engine is done with `input`). */
  close(): Promise<void>;
}

export function overCap(size: number, cap: number): string {
  return `${size} bytes, over the ${cap}-byte cap`;
}

/** Reads a model folder; throws only when the folder itself cannot be listed. */
export async function readModelFolderInput(dir: string, access: FileAccess, opts: FolderReadOptions = {}): Promise<ModelFolderRead> {
  const display = opts.display ?? ((l: string) => l);
  const listed = opts.names ? [...opts.names] : (await access.list(dir)).filter((e) => e.type !== "directory").map((e) => e.name);
  const names = [...new Set(listed)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const locations = new Map<string, string>();
  const at = (name: string) => {
    const location = access.join(dir, name);
    const path = display(location);
    locations.set(path, location);
    return { location, path };
  };
  const problems: FolderProblem[] = [];
  const opened: ClosableSource[] = [];
  const code: ModelFolderRead["code"] = [];
  const input: ModelFolderInput = { dir: display(dir), safetensors: [], gguf: [], pickles: [], files: names };
  if (opts.maxNormBytes !== undefined) input.maxNormBytes = opts.maxNormBytes;
  if (opts.code) input.code = opts.code;
  const fileCap = opts.maxFileSize ?? FOLDER_CAPS.file;

  const readWhole = async (name: string, cap: number) => {
    const { location, path } = at(name);
    const r = await access.read(location, cap);
    if (r.bytes) return { path, bytes: r.bytes };
    problems.push({ location, path, error: r.error ?? overCap(r.size, cap) });
    return undefined;
  };

  if (opts.config) input.config = { path: at("config.json").path, bytes: opts.config };
  else if (opts.config !== null && names.includes("config.json")) input.config = await readWhole("config.json", fileCap);

  // Meta's params.json, read only beside a config.json: the eps the two files give are compared.
  if (input.config && names.includes(PARAMS_NAME)) input.params = await readWhole(PARAMS_NAME, fileCap);

  const kinds = names.map((name) => ({ name, kind: targetKind(name) }));
  const indexes = kinds.filter((k) => k.kind === "index").map((k) => k.name);
  const index = indexes.includes(INDEX_NAME) ? INDEX_NAME : indexes[0];
  if (index) input.index = await readWhole(index, FOLDER_CAPS.index);

  for (const { name, kind } of kinds) {
    if (kind === "pickle") input.pickles.push(at(name).path);
    else if (kind === "python" || kind === "notebook") code.push({ ...at(name), kind });
    else if (kind === "safetensors" || kind === "gguf") {
      const { location, path } = at(name);
      try {
        const source = await access.open(location);
        opened.push(source);
        (kind === "gguf" ? input.gguf : input.safetensors).push({ path, source });
      } catch (e) {
        problems.push({ location, path, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message });
      }
    }
  }
  return {
    input,
    problems,
    code,
    locations,
    close: async () => void (await Promise.all(opened.splice(0).map((o) => o.close().catch(() => undefined)))),
  };
}
