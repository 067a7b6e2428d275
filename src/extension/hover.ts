// Hover text (markdown) from the knowledge base and the Python analysis: on a config.json key, what
// the family's config class does with it; on a norm class, what normlint understood it computes.
import { buildConfigFile } from "../engine/config-model";
import type { EpsSource, ModuleAnalysis, NormFacts, NormImpl, NormUse } from "../engine/analysis/types";
import { VIA_LABEL } from "../engine/analysis/family";
import { describeNorm, type Family, family as familyOf, isKnownEpsKey, knowledgeMeta } from "../engine/knowledge/index";
import { parseJson, properties } from "../engine/parsers/json";
import type { ConfigScope } from "../engine/rule";
import { formatNumber, formatValue } from "../engine/util/text";

const CAST: Record<Family["cast"], string> = {
  llama: "statistics in fp32, cast back to the input dtype, then `* weight`",
  gemma: "the whole product in fp32, then cast back",
  fp32: "computed in fp32",
  t5: "variance in fp32; the activations cast to a half-precision weight's dtype before `* weight`",
  torch: "torch's own norm module",
  none: "no cast",
  other: "its own casting",
};

const VIA: Record<NormFacts["via"], string> = VIA_LABEL;

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** `huggingface/transformers@5.3.0.dev0:src/...py` as a markdown link to that file at that version. */
export function citationLink(src: string): string {
  // `transformers@5.18.0:models/x/modeling_x.py:52` is src/transformers/<path> of huggingface/transformers.
  const hf = /^transformers@([^:]+):(.+)$/.exec(src);
  const m = hf ? [src, "huggingface/transformers", hf[1], `src/transformers/${hf[2]}`] : /^([\w.-]+\/[\w.-]+)@([^:]+):(.+)$/.exec(src);
  if (!m) return code(src);
  const [, repo, version, cited] = m;
  const [, path, line] = /^(.*?)(?::(\d+))?$/.exec(cited)!;
  const base = knowledgeMeta.base as { version?: string; commit?: string } | undefined;
  const ref = version === base?.version && base?.commit ? base.commit : /^\d+\.\d+\.\d+$/.test(version) ? `v${version}` : version;
  const file = path.split("/").pop();
  return `[${repo.split("/")[1]} ${version} ${file}${line ? `:${line}` : ""}](https://github.com/${repo}/blob/${ref}/${path}${line ? `#L${line}` : ""})`;
}

function familyLines(f: Family): string[] {
  const lines = [`Norm: ${describeNorm(f)}; weight init: ${f.init}; casting: ${CAST[f.cast]}.`];
  if (f.src.length) lines.push(`Source: ${f.src.map(citationLink).join(" · ")}`);
  return lines;
}

function familyHeader(f: Family, scope: ConfigScope): string {
  const how = scope.inferredFrom === "architectures" ? " (from `architectures`)" : scope.inferredFrom === "parent" ? " (sub-config of its parent)" : "";
  return `**normlint** · ${code(f.modelType)} · ${code(f.config)}${how}`;
}

function epsText(v: number | null | undefined): string {
  return v === null || v === undefined ? "no default" : `default ${code(formatNumber(v))}`;
}

/** Markdown for the config.json key at `offset`, or undefined when normlint has nothing to say about it. */
export function configHover(text: string, offset: number): { markdown: string; start: number; end: number } | undefined {
  const config = buildConfigFile(parseJson(text));
  let hit: { scope: ConfigScope; key: string; start: number; end: number } | undefined;
  for (const scope of config.scopes) {
    for (const p of properties(scope.node)) {
      const k = p.keyNode;
      if (offset >= k.offset && offset <= k.offset + k.length) hit = { scope, key: p.key, start: k.offset, end: k.offset + k.length };
    }
  }
  if (!hit) return undefined;
  const { scope, key } = hit;
  const f = scope.family;
  const lines: string[] = [];
  if (key === "model_type" && !f) {
    const mt = scope.modelType;
    if (mt === undefined) return undefined;
    lines.push(`**normlint** · ${code(mt)}`, "", `normlint's knowledge base (transformers ${String((knowledgeMeta.base as { version?: string })?.version ?? "")}) has no model type ${code(mt)}.`);
    return { markdown: lines.join("\n"), start: hit.start, end: hit.end };
  }
  if (!f) return undefined;
  if (key === "model_type" || key === "architectures") {
    lines.push(familyHeader(f, scope), "", ...familyLines(f));
    const eps = Object.entries(f.eps);
    if (eps.length) lines.push("", `Eps keys it reads: ${eps.map(([k, v]) => `${code(k)} (${epsText(v)})`).join(", ")}.`);
    else if (f.epsFixed !== undefined) lines.push("", `Eps is fixed at ${code(formatNumber(f.epsFixed))}; no config key changes it.`);
  } else if (key in f.eps) {
    lines.push(familyHeader(f, scope), "", `${code(f.config)} reads ${code(key)} (${epsText(f.eps[key])}).`, "", ...familyLines(f));
  } else if (f.normKeys && key in f.normKeys) {
    lines.push(familyHeader(f, scope), "", `${code(f.config)} reads ${code(key)} (default ${code(formatValue(f.normKeys[key]))}).`, "", ...familyLines(f));
  } else if (f.sub && key in f.sub) {
    const t = f.sub[key];
    const sub = t ? familyOf(t) : undefined;
    lines.push(familyHeader(f, scope), "", sub ? `Sub-config read as ${code(sub.modelType)} (${code(sub.config)}): ${describeNorm(sub)}.` : `Sub-config of ${code(f.config)}.`);
  } else if (isKnownEpsKey(key)) {
    const read = Object.keys(f.eps);
    const uses = read.length
      ? `its norms use ${read.map(code).join(" / ")}`
      : f.epsFixed !== undefined
        ? `its norms use a fixed eps of ${code(formatNumber(f.epsFixed))}`
        : "it reads no eps key";
    lines.push(familyHeader(f, scope), "", `${code(f.config)} never reads ${code(key)}; ${uses}.`, "", ...familyLines(f));
  } else return undefined;
  return { markdown: lines.join("\n"), start: hit.start, end: hit.end };
}

function epsSource(e: EpsSource | undefined): string | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case "literal":
      return e.value !== undefined ? `${code(formatNumber(e.value))} (literal)` : "a literal";
    case "config":
      return `${code(`config.${e.key ?? "?"}`)}`;
    case "param":
      return e.value !== undefined ? `${code(formatNumber(e.value))} (a parameter's default)` : "a constructor parameter";
    case "attr":
      return e.value !== undefined ? `${code(formatNumber(e.value))} (through an attribute)` : "an attribute";
    case "default":
      return e.value !== undefined ? `${code(formatNumber(e.value))} (a default value)` : "a default value";
    default:
      return undefined;
  }
}

function factsLine(facts: NormFacts | undefined): string[] {
  if (!facts) return ["- family: none found (no family facts to check against)"];
  const f = facts.family;
  const kind = facts.kind === "rms" ? "RMSNorm" : facts.kind === "layer" ? "LayerNorm" : "another norm";
  const expect = `${kind}, ${facts.init === "none" ? "no weight" : facts.offset ? "x * (1 + weight)" : "x * weight"}, ${facts.bias ? "with bias" : "no bias"}; casting: ${CAST[facts.cast]}`;
  const eps = facts.epsDefault !== undefined ? `; eps ${code(formatNumber(facts.epsDefault))}` : "";
  return [`- family: ${code(f.modelType)} (found from ${VIA[facts.via]}) expects ${expect}${eps}`, ...(f.src.length ? [`- source: ${f.src.map(citationLink).join(" · ")}`] : [])];
}

function implLines(n: NormImpl): string[] {
  const c = n.compute;
  const lines: string[] = [];
  if (c) {
    const kind = c.kind === "rms" ? "RMSNorm" : c.kind === "layer" ? "LayerNorm" : "L2 norm";
    const how = c.via === "explicit" ? "" : c.via === "functional" ? " (through a functional call)" : c.via === "parent" ? " (inherited)" : " (through a submodule)";
    const stats = c.statsDtype === "fp32" ? "statistics in fp32" : c.statsDtype === "input" ? "statistics in the input dtype" : "statistics dtype unknown";
    lines.push(`- computes: ${kind}${how}; ${stats}`);
    const s = c.scale;
    if (s) {
      const order = s.afterCastBack ? "after the cast back from fp32" : s.activationDtype === "fp32" ? "in fp32" : "in the input dtype";
      lines.push(`- scale: ${code(s.offset ? `x * (1 + ${s.param})` : `x * ${s.param}`)}, applied ${order}${s.implicit ? " (by a parent class or library call)" : ""}`);
    } else lines.push("- scale: none found");
    if (c.bias) lines.push(`- bias: ${code(c.bias)}`);
    const eps = epsSource(c.eps ?? n.epsInInit ?? n.epsParam?.default);
    if (eps) lines.push(`- eps: ${eps}`);
  } else if (n.torchBase) {
    lines.push(`- computes: torch's ${n.torchBase === "rms" ? "nn.RMSNorm" : "nn.LayerNorm"} (inherited)`);
  } else lines.push("- computes: not understood (no forward normlint could follow)");
  if (n.params.length) lines.push(`- parameters: ${n.params.map((p) => `${code(p.name)} (${p.init === "none" ? p.storage : `${p.init} init`})`).join(", ")}`);
  if (n.loadHook) lines.push("- renames its own checkpoint keys (a load hook)");
  return lines;
}

function useLines(u: NormUse): string[] {
  const kind = u.kind === "rms" ? "RMSNorm" : u.kind === "layer" ? "LayerNorm" : "a norm";
  const lines = [`- builds: ${kind}${u.origin === "torch" ? " (torch)" : " (a class of this module)"}${u.affine ? "" : ", without parameters"}`];
  if (u.slot) lines.push(`- slot: ${code(`self.${u.slot}`)}${u.owner ? ` in ${code(u.owner)}` : ""}`);
  const eps = epsSource(u.eps);
  if (eps) lines.push(`- eps: ${eps}`);
  if (u.scale) lines.push(`- scale: ${code(u.scale.offset ? `x * (1 + ${u.scale.param})` : `x * ${u.scale.param}`)}`);
  return lines;
}

/** Markdown for the norm class (its name) or norm construction (its callee) at a module offset. */
export function pythonHover(module: ModuleAnalysis, offset: number): { markdown: string; start: number; end: number } | undefined {
  const inside = (r: { start: number; end: number }) => offset >= r.start && offset <= r.end;
  const impl = module.norms.find((n) => inside(n.nameRange));
  if (impl) {
    return {
      markdown: [`**normlint** · ${code(impl.name)}: what normlint understood`, "", ...implLines(impl), ...factsLine(impl.facts)].join("\n"),
      start: impl.nameRange.start,
      end: impl.nameRange.end,
    };
  }
  const use = module.uses.find((u) => !u.insideNorm && inside(u.calleeRange));
  if (use) {
    return {
      markdown: [`**normlint** · ${code(use.callee)}: what normlint understood`, "", ...useLines(use), ...factsLine(use.facts)].join("\n"),
      start: use.calleeRange.start,
      end: use.calleeRange.end,
    };
  }
  return undefined;
}
