import { family as familyOf, familiesForArchitecture, isKnownEpsKey } from "../../knowledge/index";
import type { Node } from "jsonc-parser";
import { deletePropertyEdit, nodeValue, properties, property, type JsonDocument } from "../../parsers/json";
import { defineRule } from "../../rule";
import { formatNumber, formatValue } from "../../util/text";
import { familyLabel, sameValue } from "./shared";

/**
 * ## What it does
 * Flags an eps key that the family's configuration class never reads, such as `layer_norm_eps` in
 * a Llama config or `rms_norm_eps` in a StarCoder2 config, and says which key is read, its
 * effective value, and whether the ignored value differs. When the model runs with that very value
 * anyway (the key read, or the sub-config, holds the same number), the finding is info: the key is
 * dead, but no activation changes.
 *
 * ## Why is this bad?
 * `PretrainedConfig` stores unknown keys without complaint, so the model silently runs with the
 * eps of the key it does read (often its default). A port that "set" eps to 1e-5 may in fact run
 * at 1e-6, and nothing raises an error.
 *
 * ## Example
 * `{"model_type": "llama", "layer_norm_eps": 1e-5}`
 *
 * ## Use instead
 * `{"model_type": "llama", "rms_norm_eps": 1e-5}`
 */
export default defineRule({
  name: "eps-key-unused",
  code: "NL101",
  severity: "warning",
  input: "config",
  tags: ["eps", "config"],
  fix: "unsafe",
  summary: "eps key the family's config class never reads",
  messages: {
    unused: "{{config}} never reads `{{key}}`; {{family}} norms use `{{read}}` = {{effective}} ({{source}}){{compare}}.",
    noEpsKey: "{{config}} never reads `{{key}}`; {{family}} norms use a fixed eps{{fixed}} that no config key changes.",
    subConfig: "{{config}} never reads `{{key}}` at this level; the {{sub}} sub-config reads it{{compare}}.",
  },
  check(ctx) {
    const config = ctx.config;
    if (!config) return;
    for (const scope of config.scopes) {
      const fam = scope.family;
      if (!fam) continue;
      const readKeys = Object.keys(fam.eps);
      for (const prop of properties(scope.node)) {
        if (!isKnownEpsKey(prop.key) || prop.key in fam.eps) continue;
        const value = nodeValue(config.doc, prop.valueNode);
        const data: Record<string, string> = { config: fam.config, key: prop.key, family: familyLabel(fam) };
        // A composite config's sub-config may read this key: say where it belongs.
        const subEntry = Object.entries(fam.sub ?? {}).find(([, t]) => t && prop.key in (familyOf(t)?.eps ?? {}));
        if (subEntry) {
          const [subKey] = subEntry;
          // Flat composite configs feed top-level keys into text_config when it is absent.
          if (fam.flatSub === subKey && !property(scope.node, subKey)) continue;
          // A flat file (no sub-config object) whose architectures no known family registers is
          // written for other code reusing the model type (LISA's LlavaConfig(LlamaConfig) registers
          // "llava" and reads the keys at the top): which class reads it cannot be seen.
          if (!property(scope.node, subKey) && foreignArchitectures(config.doc, scope.node)) continue;
          const inSub = property(property(scope.node, subKey)?.valueNode, prop.key);
          const subValue = inSub ? nodeValue(config.doc, inSub.valueNode) : subDefault(subEntry[1], prop.key);
          ctx.report({
            messageId: "subConfig",
            at: prop.keyNode,
            // The sub-config runs with this very value (set there, or its default): nothing changes.
            ...(sameValue(subValue, value) ? { severity: "info" as const } : {}),
            data: { ...data, sub: `\`${subKey}\``, compare: inSub ? `, where it is ${formatValue(subValue)}${sameValue(subValue, value) ? "" : `; this ${formatValue(value)} is ignored`}` : sameValue(subValue, value) ? `, whose default is the same ${formatValue(value)}` : `; move it into \`${subKey}\`` },
          });
          continue;
        }
        if (readKeys.length === 0) {
          ctx.report({ messageId: "noEpsKey", at: prop.keyNode, data: { ...data, fixed: fam.epsFixed !== undefined ? ` (${formatNumber(fam.epsFixed)})` : "" } });
          continue;
        }
        const read = readKeys[0];
        const readProp = property(scope.node, read);
        const effective = readProp ? nodeValue(config.doc, readProp.valueNode) : fam.eps[read];
        const differs = !sameValue(effective, value);
        const fix = readProp
          ? { title: `Remove the unused \`${prop.key}\``, safe: false, edits: [deletePropertyEdit(ctx.text, scope.node, prop.node)] }
          : { title: `Rename \`${prop.key}\` to \`${read}\``, safe: false, edits: [{ start: prop.keyNode.offset, end: prop.keyNode.offset + prop.keyNode.length, text: JSON.stringify(read) }] };
        ctx.report({
          messageId: "unused",
          at: prop.keyNode,
          // The norms run with this very value anyway: the key is dead, but no number changes.
          ...(differs ? {} : { severity: "info" as const }),
          data: {
            ...data,
            read,
            effective: formatValue(effective),
            source: readProp ? "set in this file" : "its default",
            compare: differs ? `; the ignored value ${formatValue(value)} differs` : "; the ignored value is the same",
          },
          fixes: [fix],
        });
      }
    }
  },
});

/** A sub-config family's default for `key`, when the sub-config is absent and builds from defaults. */
function subDefault(subType: string | null | undefined, key: string): unknown {
  return subType ? familyOf(subType)?.eps[key] : undefined;
}

/** True when the scope lists architectures and none of them is registered by a known family. */
function foreignArchitectures(doc: JsonDocument, node: Node | undefined): boolean {
  const arch = property(node, "architectures");
  const list = arch ? nodeValue(doc, arch.valueNode) : undefined;
  return Array.isArray(list) && list.length > 0 && list.every((a) => typeof a !== "string" || familiesForArchitecture(a).length === 0);
}
