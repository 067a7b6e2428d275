// The extension's `contributes.configuration`, generated from the rule metadata and the settings'
// defaults, so package.json cannot go stale when a rule is added (test/extension/manifest.test.ts
// compares the two).
import { RULES } from "../engine/registry";
import { CUSTOM_SEVERITIES, type CustomSeverity, DEFAULTS, RUN_MODES, SAMPLING } from "../extension/settings";

const SEVERITY_DOCS: Record<CustomSeverity, string> = {
  off: "Do not report the rule in the editor.",
  info: "Report as information.",
  warning: "Report as a warning.",
  error: "Report as an error.",
  default: "Report at the level the project's `.normlint.json` (or the rule's default) gives it.",
  downgrade: "One step milder than the project's level (error -> warning -> info).",
  upgrade: "One step stronger than the project's level (info -> warning -> error).",
};

/** Completions for a customization's `rule`: every rule by name and by code, the code groups, and `*`. */
function ruleChoices(): { values: string[]; docs: string[] } {
  const values = ["*"];
  const docs = ["Every rule."];
  const groups = new Map<string, string[]>();
  for (const r of RULES) {
    const g = `${r.code.slice(0, 3)}*`;
    groups.set(g, [...(groups.get(g) ?? []), r.name]);
  }
  for (const [g, names] of groups) {
    values.push(g);
    docs.push(`The ${names.length} rules ${g}: ${names.join(", ")}.`);
  }
  for (const r of RULES) {
    values.push(r.name, r.code);
    docs.push(`${r.code} (default ${r.severity}): ${r.summary}.`, `${r.name} (default ${r.severity}): ${r.summary}.`);
  }
  return { values, docs };
}

export function configurationContribution(): Record<string, unknown> {
  const rules = ruleChoices();
  return {
    title: "normlint",
    properties: {
      "normlint.enable": {
        type: "boolean",
        default: DEFAULTS.enable,
        scope: "resource",
        markdownDescription: "Lint model configs (`config.json`), Python modeling code, notebooks and the checkpoints beside a `config.json`.",
      },
      "normlint.run": {
        type: "string",
        enum: [...RUN_MODES],
        enumDescriptions: ["Lint as you type (after a short pause), on open and on save.", "Lint on open and on save only."],
        default: DEFAULTS.run,
        scope: "resource",
        markdownDescription: "When to lint an open file.",
      },
      "normlint.rules.customizations": {
        type: "array",
        default: DEFAULTS.customizations,
        scope: "resource",
        markdownDescription:
          "Change how rules show in the editor, as ESLint's `eslint.rules.customizations` does: `rule` is a glob over rule names and codes (`*` any characters, `?` one; `norm-*`, `NL1*`), a leading `!` selects the rules that do **not** match, and the last matching entry wins. A rule the project's `.normlint.json` turns off stays off. Example: `[{ \"rule\": \"*\", \"severity\": \"warning\" }, { \"rule\": \"!eps-*\", \"severity\": \"info\" }]`.",
        items: {
          type: "object",
          required: ["rule", "severity"],
          additionalProperties: false,
          defaultSnippets: [{ label: "rule customization", body: { rule: "$1", severity: "${2|off,info,warning,error,default,downgrade,upgrade|}" } }],
          properties: {
            rule: {
              type: "string",
              markdownDescription: "Rule name or code, or a glob over them (`*`, `?`); a leading `!` negates.",
              anyOf: [{ enum: rules.values, enumDescriptions: rules.docs }, { pattern: "^!?[A-Za-z0-9*?_-]+$" }],
            },
            severity: {
              type: "string",
              enum: [...CUSTOM_SEVERITIES],
              enumDescriptions: CUSTOM_SEVERITIES.map((s) => SEVERITY_DOCS[s]),
            },
          },
        },
      },
      "normlint.weights.sampling": {
        type: "string",
        enum: [...SAMPLING],
        enumDescriptions: [
          "Read checkpoint headers and sample the norm weights (up to `normlint.weights.maxBytes`) to check their values against the family's convention.",
          "Read checkpoint headers only: structure, shapes and names are checked, values are not.",
        ],
        default: DEFAULTS.weights.sampling,
        scope: "resource",
        markdownDescription:
          "Whether to read norm weights from the `*.safetensors`/`*.gguf` files beside a `config.json`. Checkpoints are read with ranged reads from disk only: in virtual workspaces (vscode.dev, remote repositories) they are not read at all.",
      },
      "normlint.weights.maxBytes": {
        type: "integer",
        minimum: 0,
        default: DEFAULTS.weights.maxBytes,
        scope: "resource",
        markdownDescription: "Most bytes of norm weights read per model folder when `normlint.weights.sampling` is `on` (default 64 MiB).",
      },
      "normlint.maxFileSize": {
        type: "integer",
        minimum: 0,
        default: DEFAULTS.maxFileSize,
        scope: "resource",
        markdownDescription:
          "Largest `config.json`, Python file or notebook (its code) the editor lints, in bytes (default 8 MiB). A larger file gets one `file-too-large` or `source-unreadable` finding and a notice. A smaller `maxFileSize` in `.normlint.json` wins.",
      },
    },
  };
}
