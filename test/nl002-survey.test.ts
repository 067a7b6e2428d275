// NL002 (unknown-model-type) on real config.json files: the files pinned in scripts/corpus/configs.json
// (config.json of Hugging Face Hub model repositories, read through GitHub mirrors of them), exported
// into .cache/configs/ by scripts/corpus/fetch-configs.sh. NL002 may fire only for a model type that has
// no source normlint extracts from (neither transformers' auto mappings at the pinned release nor a
// remote-code family of scripts/kb/remote.json); a type with a source is known, with its norm or with
// "no norm" (scripts/kb/no-norm.json says why). Every config.json rule (all on, at their default levels,
// as `--select all` sets them) must also stay below warning on these correct files: a warning here is a
// rule bug, unless ALLOWED below names the file and says why the config itself is wrong. Without the
// cache the suite is skipped and says so.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { type FileSettings, lintConfig, resolveSettings, RULES } from "../src/engine/index";
import { family } from "../src/engine/knowledge/index";
import { fromJsonl } from "../src/engine/knowledge/extract/index";

const root = join(__dirname, "..");
const cache = join(root, ".cache", "configs");
const present = existsSync(join(cache, "SOURCE.json"));
if (!present) {
  console.warn("\n*** NL002 survey SKIPPED: .cache/configs/ is absent. Run scripts/corpus/fetch-configs.sh <git mirrors folder> to enable it. ***\n");
}

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : f === "config.json" ? [p] : [];
    });
}

/**
 * Findings at warning or above that are true (the config itself is wrong), by
 * `<owner>+<name>/<commit>/<path> <rule>/<messageId>`, each with why. Empty: the survey's 29 warnings
 * were all rule bugs, fixed in the rules.
 */
const ALLOWED: Record<string, string> = {};

/** Every rule on at its default level, as the CLI's `--select all` resolves them. */
function allRules(rel: string): FileSettings {
  const settings = resolveSettings(undefined, rel, { select: ["all"] });
  for (const r of RULES.filter((x) => x.input === "config")) expect(settings.levels.get(r.name), r.name).not.toBe("off");
  return settings;
}

/** Model types with a source: transformers' at the pinned release and the pinned remote-code families. */
function sourcedTypes(): Set<string> {
  const dir = join(root, "scripts", "kb", "extracted");
  const types = new Set<string>();
  for (const f of readdirSync(dir).filter((x) => /^(transformers|remote)-.*\.jsonl$/.test(x))) {
    for (const fam of fromJsonl(readFileSync(join(dir, f), "utf8")).families) types.add(fam.modelType);
  }
  return types;
}

describe.skipIf(!present)("NL002 on real config.json files (.cache/configs)", () => {
  it("fires only for model types that have no source, and every type with a source has a record", () => {
    const files = walk(cache);
    const sourced = sourcedTypes();
    const flagged = new Map<string, string[]>();
    const noNorm = new Set<string>();
    const seen = new Set<string>();
    let linted = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const rel = relative(cache, file);
      const r = lintConfig({ path: rel, text });
      if (r.status !== "config") continue;
      linted++;
      for (const f of r.findings.filter((x) => x.code === "NL002")) {
        const type = JSON.parse(text.slice(f.start, f.end)) as string;
        flagged.set(type, [...(flagged.get(type) ?? []), rel]);
      }
      for (const m of text.matchAll(/"model_type"\s*:\s*"([^"]+)"/g)) {
        seen.add(m[1]);
        if (family(m[1])?.norm === "none") noNorm.add(m[1]);
      }
    }
    console.log(
      `NL002 survey: ${linted} of ${files.length} config.json files linted as model configs, ${seen.size} model types; ` +
        `NL002 for ${flagged.size} type(s) without a source: ${[...flagged.keys()].sort().join(", ") || "none"}; ` +
        `known without a norm: ${[...noNorm].sort().join(", ") || "none"}`,
    );
    // The cache is the export of the pinned list, not of an older one.
    const source = JSON.parse(readFileSync(join(cache, "SOURCE.json"), "utf8"));
    const pinned = JSON.parse(readFileSync(join(root, "scripts", "corpus", "configs.json"), "utf8")).configs.length;
    expect(source.exported + source.missing, "stale .cache/configs: run scripts/corpus/fetch-configs.sh").toBe(pinned);
    expect(files.length).toBe(source.exported);
    expect(linted).toBeGreaterThan(0);
    for (const [type, where] of flagged) {
      expect(sourced.has(type), `NL002 on \`${type}\` (${where[0]}), a model type normlint has a source for`).toBe(false);
      expect(family(type), type).toBeUndefined();
    }
    // A type with a source is never unknown: a sourced type seen in the survey has a record.
    for (const type of seen) if (sourced.has(type)) expect(family(type), `${type} has a source but no record`).toBeDefined();
  });

  it("no config rule reports a warning or an error on a real config (precision)", () => {
    const found = new Map<string, string>();
    const bySeverity: Record<string, number> = { error: 0, warning: 0, info: 0 };
    const files = walk(cache);
    let canaries = 0;
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      const rel = relative(cache, file);
      const settings = allRules(rel);
      const r = lintConfig({ path: rel, text }, settings);
      expect(r.status, rel).toBe("config");
      for (const f of r.findings) {
        bySeverity[f.severity]++;
        if (f.severity !== "info") found.set(`${rel} ${f.rule}/${f.messageId}`, `${f.severity}: ${f.message}`);
      }
      // The same file with a key written twice must warn (NL004): the silence above is the rules' verdict,
      // not a lint that never reached the warning level on these files.
      const dup = lintConfig({ path: rel, text: text.replace("{", '{"normlint_canary": 1, "normlint_canary": 1,') }, settings);
      if (dup.findings.some((f) => f.rule === "duplicate-key" && f.severity === "warning")) canaries++;
    }
    console.log(
      `config rules on the survey: ${files.length} files, ${bySeverity.error} error(s), ${bySeverity.warning} warning(s), ${bySeverity.info} info; ` +
        `${canaries}/${files.length} duplicated-key canaries warned`,
    );
    for (const [k, v] of found) console.log(`  ${k}\n    ${v}`);
    expect(canaries).toBe(files.length);
    expect([...found.keys()].sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});
