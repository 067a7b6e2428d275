// Finds the nearest .normlint.json for each file (walking up), loads each once, and remembers the
// findings of broken ones so they are reported once.
import { dirname, join, resolve } from "node:path";
import { CONFIG_FILE, type Finding, type LoadedConfig, loadConfig } from "../engine/index";
import { readRegular, readTextFile } from "../node/files";
import { toPosix } from "../node/paths";

export class ConfigFinder {
  private readonly byDir = new Map<string, LoadedConfig | undefined>();
  readonly problems: Array<{ path: string; text: string; findings: Finding[] }> = [];

  constructor(private readonly explicit?: string) {
    // An unreadable --config is a usage error even when no file is linted.
    if (explicit) this.load(resolve(explicit), process.cwd());
  }

  /**
   * The configuration for a file. A --config file's globs are relative to the working directory,
   * as with ruff and ESLint: a shared config kept elsewhere would otherwise match nothing.
   */
  forFile(file: string): LoadedConfig | undefined {
    if (this.explicit) return this.load(resolve(this.explicit), process.cwd());
    return this.lookup(dirname(resolve(file)));
  }

  private lookup(dir: string): LoadedConfig | undefined {
    if (this.byDir.has(dir)) return this.byDir.get(dir);
    let found: LoadedConfig | undefined;
    const candidate = join(dir, CONFIG_FILE);
    const text = readTextFile(candidate);
    if (text !== undefined) found = this.parse(candidate, dir, text);
    else {
      const parent = dirname(dir);
      found = parent === dir ? undefined : this.lookup(parent);
    }
    this.byDir.set(dir, found);
    return found;
  }

  private load(path: string, dir: string): LoadedConfig | undefined {
    if (this.byDir.has(path)) return this.byDir.get(path);
    const read = readRegular(path);
    if (!read.bytes) throw new UsageError(`cannot read --config ${path}: ${read.error}`);
    const loaded = this.parse(path, dir, Buffer.from(read.bytes).toString("utf8"));
    this.byDir.set(path, loaded);
    return loaded;
  }

  private parse(path: string, dir: string, text: string): LoadedConfig {
    const { loaded, findings } = loadConfig(text, toPosix(path), toPosix(dir));
    if (findings.length) this.problems.push({ path, text, findings: findings.sort((a, b) => a.start - b.start) });
    return loaded;
  }
}

export class UsageError extends Error {}
