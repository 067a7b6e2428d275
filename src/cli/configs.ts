// Finds the nearest .normlint.json for each file (walking up), loads each once, and remembers the
// findings of broken ones so they are reported once.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { CONFIG_FILE, type Finding, type LoadedConfig, loadConfig } from "../engine/index";
import { toPosix } from "./paths";

export class ConfigFinder {
  private readonly byDir = new Map<string, LoadedConfig | undefined>();
  readonly problems: Array<{ path: string; text: string; findings: Finding[] }> = [];

  constructor(private readonly explicit?: string) {}

  forFile(file: string): LoadedConfig | undefined {
    if (this.explicit) return this.load(resolve(this.explicit), dirname(resolve(this.explicit)));
    return this.lookup(dirname(resolve(file)));
  }

  private lookup(dir: string): LoadedConfig | undefined {
    if (this.byDir.has(dir)) return this.byDir.get(dir);
    let found: LoadedConfig | undefined;
    const candidate = join(dir, CONFIG_FILE);
    let text: string | undefined;
    try {
      text = readFileSync(candidate, "utf8");
    } catch {}
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
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read --config ${path}: ${(e as NodeJS.ErrnoException).code}`);
    }
    const loaded = this.parse(path, dir, text);
    this.byDir.set(path, loaded);
    return loaded;
  }

  private parse(path: string, dir: string, text: string): LoadedConfig {
    const { loaded, findings } = loadConfig(text, toPosix(path), toPosix(dir));
    if (findings.length) this.problems.push({ path, text, findings });
    return loaded;
  }
}

export class UsageError extends Error {}
