// The nearest .normlint.json above each file (the nearest wins; parents are not merged), as the CLI
// finds it, but read through the editor (an open, unsaved .normlint.json counts) and cached per
// folder until a .normlint.json changes. Each workspace folder of a multi-root workspace thus gets
// its own configuration.
import type { LoadedConfig } from "../engine/settings";
import type { Finding } from "../engine/types";
import type { Uri } from "./types";
import { decodedPath, dirname, joinUri, relativePath, schemeOf } from "./uri";

export const CONFIG_FILE = ".normlint.json";

export interface ResolvedConfig {
  uri: Uri;
  text: string;
  loaded: LoadedConfig;
  /** Problems in the file itself (invalid-normlint-config). */
  findings: Finding[];
}

type Load = (text: string, path: string, dir: string) => { loaded: LoadedConfig; findings: Finding[] };

/** Schemes without folders to walk up (an untitled buffer has no neighbours). */
const FLAT_SCHEMES = new Set(["untitled", "vscode-notebook-cell", "output", "git"]);

export class ConfigResolver {
  private readonly byDir = new Map<Uri, Promise<ResolvedConfig | undefined>>();

  constructor(
    private readonly read: (uri: Uri) => Promise<string | undefined>,
    private readonly load: Load,
  ) {}

  /** The configuration that applies to a file, if any. */
  forFile(uri: Uri): Promise<ResolvedConfig | undefined> {
    if (FLAT_SCHEMES.has(schemeOf(uri))) return Promise.resolve(undefined);
    return this.lookup(dirname(uri));
  }

  /** The file's path relative to its configuration's folder (what globs in it match against). */
  static relPath(config: ResolvedConfig | undefined, uri: Uri, fallbackRoot?: Uri): string {
    if (config) return relativePath(dirname(config.uri), uri);
    return fallbackRoot ? relativePath(fallbackRoot, uri) : decodedPath(uri).replace(/^\//, "");
  }

  invalidate(): void {
    this.byDir.clear();
  }

  /** Every configuration read so far (for their diagnostics). */
  async known(): Promise<ResolvedConfig[]> {
    const all = await Promise.all(this.byDir.values());
    const seen = new Map<Uri, ResolvedConfig>();
    for (const c of all) if (c) seen.set(c.uri, c);
    return [...seen.values()];
  }

  private lookup(dir: Uri): Promise<ResolvedConfig | undefined> {
    let found = this.byDir.get(dir);
    if (!found) {
      found = (async () => {
        const candidate = joinUri(dir, CONFIG_FILE);
        const text = await this.read(candidate);
        if (text !== undefined) {
          const { loaded, findings } = this.load(text, decodedPath(candidate), decodedPath(dir));
          return { uri: candidate, text, loaded, findings };
        }
        const parent = dirname(dir);
        return parent === dir ? undefined : this.lookup(parent);
      })();
      this.byDir.set(dir, found);
    }
    return found;
  }
}
