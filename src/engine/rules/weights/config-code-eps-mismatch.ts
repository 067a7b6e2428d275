import { classForSlot, factsFromClass } from "../../analysis/family";
import type { EpsSource, NormFacts, Range } from "../../analysis/types";
import type { Family } from "../../knowledge/index";
import { property } from "../../parsers/json";
import { defineRule, type FolderRuleContext } from "../../rule";
import { formatNumber } from "../../util/text";
import { sameNumber } from "../modeling/shared";

type M = "literal" | "default";

/**
 * ## What it does
 * In a model folder, compares the eps the modeling code uses with the eps the folder's
 * `config.json` gives that norm: a literal in the norm class or where the norm is built, or the
 * constructor's default (`def __init__(self, dim, eps=1e-6)`, torch's 1e-5 for `nn.LayerNorm`)
 * when the code does not pass `config.<key>`. Only norms the knowledge base ties to a config key
 * are checked (the family's norm classes, and norms built in the slots it names, such as
 * `input_layernorm`); a model's other norms may keep their own eps on purpose. The config's value
 * is the one it sets, or the family's default when it sets none. The finding is on the code line;
 * the config key is a related location.
 *
 * ## Why is this bad?
 * The checkpoint was trained with the config's eps. Code that ignores it normalizes slightly
 * differently at every layer; the error is small per layer but compounds, and it is invisible in
 * either file alone (the code's eps may well be the family's usual one, while this model differs).
 *
 * ## Example
 * `self.norm = RMSNorm(dim)` with `def __init__(self, dim, eps=1e-6)`, beside a config.json with
 * `"rms_norm_eps": 1e-05`.
 *
 * ## Use instead
 * `self.norm = RMSNorm(dim, eps=config.rms_norm_eps)`
 */
export default defineRule<M, FolderRuleContext<M>>({
  name: "config-code-eps-mismatch",
  code: "NL309",
  severity: "warning",
  input: "folder",
  tags: ["eps", "modeling"],
  fix: "none",
  summary: "eps in the modeling code that differs from the folder's config.json",
  messages: {
    literal: "Hard-coded eps {{value}}, but {{source}}.",
    default: "`{{callee}}` gets no eps and so uses {{value}}, but {{source}}.",
  },
  check(ctx) {
    const { code, family: fam, textConfig, textScope, config, configPath, anchor } = ctx.folder;
    if (!code.length || !fam || !config || !configPath || fam.epsFixed !== undefined) return;
    // The folder's family, for code that does not say which model it implements.
    const slotFacts = (slot: string | undefined): NormFacts | undefined => {
      const cls = slot ? classForSlot(fam, slot) : undefined;
      return cls ? factsFromClass(fam, "option", cls) : undefined;
    };
    for (const c of code) {
      // Facts from the folder's config apply only to code that says nothing about its model; where
      // the analysis found a family and still gave a norm no facts, it had a reason.
      // A family known only from this very config.json is no other evidence.
      const fromConfig = c.module.fileFamily?.via === "config-json";
      const anonymous = fromConfig || (!c.module.fileFamily && !c.module.norms.some((n) => n.facts) && !c.module.uses.some((u) => u.facts));
      const seen = new Set<number>();
      const check = (eps: EpsSource | undefined, at: Range | undefined, f: NormFacts, callee: string | undefined, nl206: boolean) => {
        if (!eps || !at || seen.has(at.start) || (eps.kind !== "literal" && eps.kind !== "default")) return;
        if (eps.value === undefined && !(eps.kind === "default" && callee && /rms_?norm/i.test(callee))) return;
        if (!f.epsKeys.length || !serves(fam, f)) return;
        // The family's own code builds this class without an eps too, or with this literal: the
        // knowledge base cannot say the config's key applies here.
        const known = f.cls?.eps ?? [];
        if (eps.kind === "default" && known.includes("None")) return;
        if (eps.value !== undefined && known.some((k) => /^-?[\d.]/.test(k) && sameNumber(Number(k), eps.value!))) return;
        const expected = configEps(fam, f, textConfig);
        if (!expected || (eps.value !== undefined && sameNumber(eps.value, expected.value))) return;
        // norm-eps-mismatch already says this when the config holds the family's default.
        if (nl206 && f.epsDefault !== undefined && sameNumber(expected.value, f.epsDefault) && (eps.kind === "literal" || callee)) return;
        seen.add(at.start);
        const prop = expected.set ? property(textScope?.node, expected.key) : undefined;
        const source = expected.set
          ? `${configPath} sets \`${expected.key}\` = ${formatNumber(expected.value)}`
          : `${configPath} does not set \`${expected.key}\`, so ${fam.modelType} uses its default ${formatNumber(expected.value)}`;
        ctx.report({
          messageId: eps.kind === "literal" ? "literal" : "default",
          file: c.path,
          at,
          data: { value: eps.value === undefined ? "the input dtype's machine epsilon" : formatNumber(eps.value), source, callee: callee ?? "" },
          related: [
            prop
              ? { file: configPath, at: { start: prop.keyNode.offset, end: prop.keyNode.offset + prop.keyNode.length }, message: `\`${expected.key}\` is set here` }
              : { file: configPath, at: anchor.range, message: `the config names ${fam.modelType} and does not set \`${expected.key}\`` },
          ],
        });
      };
      // A class the knowledge base records (LlamaRMSNorm) should read the config's eps, so an eps
      // hard-coded inside it is checked; so is one in a class built in a slot the family names.
      for (const impl of c.module.norms) {
        const f = impl.facts?.cls ? impl.facts : anonymous ? c.module.uses.map((u) => (u.origin === "local" && u.callee === impl.name ? slotFacts(u.slot) : undefined)).find((x) => x) : undefined;
        if (!f) continue;
        if (impl.compute?.eps?.kind === "literal") check(impl.compute.eps, impl.compute.eps.range, f, undefined, impl.facts !== undefined);
        check(impl.epsInInit, impl.epsInInit?.range, f, undefined, impl.facts !== undefined);
      }
      // Where a norm is built: only slots the family names (`input_layernorm`) are pinned to a key;
      // a model's other norms may use their own eps on purpose.
      for (const use of c.module.uses) {
        if (use.insideNorm || use.kind === "other") continue;
        const f = use.facts ? (use.factsVia === "slot" ? use.facts : undefined) : anonymous ? slotFacts(use.slot) : undefined;
        if (!f) continue;
        const callee = use.eps.kind === "default" ? use.callee.replace(/^torch\.nn\.functional\./, "F.").replace(/^torch\./, "") : undefined;
        check(use.eps, use.eps.kind === "default" ? use.calleeRange : use.eps.range, f, callee, use.facts !== undefined);
      }
    }
  },
});

/** Do the facts describe the config's (text) model, rather than another model of the file? */
function serves(fam: Family, facts: NormFacts): boolean {
  const other = facts.family;
  return other.modelType === fam.modelType || Object.values(fam.sub ?? {}).includes(other.modelType) || Object.values(other.sub ?? {}).includes(fam.modelType);
}

/** The eps the config gives this norm: the value it sets for the norm's key, else the family's default. */
function configEps(fam: Family, facts: NormFacts, values: Record<string, unknown>): { key: string; value: number; set: boolean } | undefined {
  const keys = facts.epsKeys.filter((k) => k in fam.eps || Object.hasOwn(values, k));
  for (const key of keys) {
    const v = values[key];
    if (typeof v === "number" && Number.isFinite(v) && v > 0) return { key, value: v, set: true };
  }
  const defaults = keys.map((k) => fam.eps[k]).filter((v): v is number => typeof v === "number");
  if (!keys.length || defaults.length !== keys.length || !defaults.every((v) => sameNumber(v, defaults[0]))) return undefined;
  // A key the config sets to something that is not a positive number is another rule's business.
  if (keys.some((k) => k in values)) return undefined;
  return { key: keys[0], value: defaults[0], set: false };
}
