// normlint.* settings: validation, eslint-style customizations, and the engine settings they make.
import { describe, expect, it } from "vitest";
import { defaultSettings, DEFAULT_MAX_FILE_SIZE, RULES } from "../../src/engine/index";
import { customizationMatches, customizedLevel, DEFAULTS, parseSettings, toFileSettings } from "../../src/extension/settings";

const rule = { name: "eps-key-unused", code: "NL101" };
const get = (values: Record<string, unknown>) => (key: string) => values[key];

describe("parseSettings", () => {
  it("gives the defaults for nothing set", () => {
    expect(parseSettings(get({}))).toEqual({ settings: DEFAULTS, problems: [] });
  });

  it("keeps valid values and reports invalid ones instead of failing", () => {
    const { settings, problems } = parseSettings(
      get({ run: "onSave", enable: "yes", maxFileSize: -1, "weights.sampling": "off", "rules.customizations": [{ rule: "NL1*", severity: "error" }, { rule: "x", severity: "loud" }, 3] }),
    );
    expect(settings).toMatchObject({ run: "onSave", enable: true, maxFileSize: DEFAULTS.maxFileSize, weights: { sampling: "off" }, customizations: [{ rule: "NL1*", severity: "error" }] });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^normlint\.rules\.customizations\[1\]/);
  });

  it("uses the engine's default size cap", () => {
    expect(DEFAULTS.maxFileSize).toBe(DEFAULT_MAX_FILE_SIZE);
  });
});

describe("customizations", () => {
  it("match names and codes by glob, case-insensitively for codes", () => {
    expect(customizationMatches("eps-*", rule)).toBe(true);
    expect(customizationMatches("nl1*", rule)).toBe(true);
    expect(customizationMatches("NL10?", rule)).toBe(true);
    expect(customizationMatches("norm-*", rule)).toBe(false);
    expect(customizationMatches("eps", rule)).toBe(false);
  });

  it("`!` negates", () => {
    expect(customizationMatches("!norm-*", rule)).toBe(true);
    expect(customizationMatches("!eps-*", rule)).toBe(false);
    expect(customizationMatches("!NL101", rule)).toBe(false);
  });

  it("the last matching entry wins; default restores the project's level; up/downgrade step", () => {
    expect(customizedLevel(rule, "warning", [{ rule: "*", severity: "error" }])).toBe("error");
    expect(customizedLevel(rule, "warning", [{ rule: "*", severity: "error" }, { rule: "NL101", severity: "default" }])).toBe("warning");
    expect(customizedLevel(rule, "warning", [{ rule: "NL101", severity: "off" }, { rule: "*", severity: "info" }])).toBe("info");
    expect(customizedLevel(rule, "warning", [{ rule: "*", severity: "downgrade" }])).toBe("info");
    expect(customizedLevel(rule, "info", [{ rule: "*", severity: "downgrade" }])).toBe("info");
    expect(customizedLevel(rule, "warning", [{ rule: "*", severity: "upgrade" }])).toBe("error");
    expect(customizedLevel(rule, "warning", [{ rule: "norm-*", severity: "error" }])).toBe("warning");
  });

  it("never turns on a rule the project turned off", () => {
    expect(customizedLevel(rule, "off", [{ rule: "*", severity: "error" }])).toBe("off");
  });
});

describe("toFileSettings", () => {
  it("overrides severity per rule and leaves others at the project's level", () => {
    const project = defaultSettings();
    project.levels.set("duplicate-key", "error");
    const s = toFileSettings(project, undefined, { ...DEFAULTS, customizations: [{ rule: "NL10*", severity: "info" }, { rule: "!NL1*", severity: "off" }] }, RULES);
    expect(s.levels.get("eps-key-unused")).toBe("info");
    expect(s.levels.get("duplicate-key")).toBe("off");
    expect(s.levels.get("norm-config-conflict")).toBe("info");
    expect(project.levels.get("duplicate-key")).toBe("error"); // not mutated
  });

  it("caps the size at the smaller of the project's maxFileSize and the editor's", () => {
    const project = defaultSettings();
    expect(toFileSettings(project, undefined, { ...DEFAULTS, maxFileSize: 100 }, RULES).maxFileSize).toBe(100);
    expect(toFileSettings(project, 50, { ...DEFAULTS, maxFileSize: 100 }, RULES).maxFileSize).toBe(50);
    expect(toFileSettings(project, undefined, { ...DEFAULTS, maxFileSize: 32 * 1024 * 1024 }, RULES).maxFileSize).toBe(32 * 1024 * 1024);
  });
});
