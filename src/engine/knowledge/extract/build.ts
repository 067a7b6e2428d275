// The shipped knowledge base (families.json) from extractions: each extracted family compiled to the
// record format of knowledge/index.ts `Family`, then the hand-verified overrides applied where the
// extraction cannot decide (code outside transformers, llama.cpp's GGUF conversion). Pure and
// deterministic: the same extractions and overrides give the same bytes.
import type { Family } from "../index";
import { applyOverrides, compileFamily, defaultMain, type Override, type Overrides } from "./compare";
import type { ExtractedFamily, Extraction } from "./types";

export type FamilyRecord = Omit<Family, "modelType">;

export interface BuiltKnowledge {
  meta: Record<string, unknown>;
  families: Record<string, FamilyRecord>;
  /** Every place an override and the extraction disagree, with the override's reason and source. */
  disagreements: string[];
}

/** `transformers@5.18.0:`, or `THUDM/ChatGLM3@<commit>:` for remote code: the prefix of every citation. */
export function citationPrefix(meta: Extraction["meta"]): string {
  return meta.repo ? `${meta.repo}@${meta.commit ?? meta.version}:${meta.root ? `${meta.root}/` : ""}` : `transformers@${meta.version}:`;
}

/** A citation with its prefix, unless it names its own repository (`owner/repo@commit:path`, a remote family's port). */
export function cited(prefix: string, s: string): string {
  return /^[\w.-]+\/[\w.-]+@[0-9a-f]{7,40}:/.test(s) ? s : `${prefix}${s}`;
}

/** The fixed eps of a family whose norms take no eps from the config (OLMo's `F.layer_norm(..., eps=1e-5)`). */
function fixedEps(f: ExtractedFamily, main: { eps: string[] } | undefined): number | undefined {
  if (!main || Object.keys(f.eps).length) return undefined;
  const lits = main.eps.map(Number);
  if (!lits.length || lits.some((x) => !Number.isFinite(x))) return undefined;
  return lits.every((x) => x === lits[0]) ? lits[0] : undefined;
}

export function compileRecord(f: ExtractedFamily, meta: Extraction["meta"], overrides: Overrides): { rec: FamilyRecord; disagreements: string[] } {
  const external = overrides._external ?? {};
  const c = compileFamily(f, external);
  const prefix = citationPrefix(meta);
  // An eps key no norm reads, in a family whose norms name the keys they read, belongs to something
  // else (DeepSeek-V4's `hc_eps` is the hyper-connections' sinkhorn eps): not a norm eps key.
  const read = new Set(f.classes.flatMap((x) => x.eps));
  // A key whose name says it is a norm's (`mixer_rms_eps`, read by Falcon-Mamba's functional rms_forward) stays.
  if (Object.keys(c.eps).some((k) => read.has(k))) {
    for (const k of Object.keys(c.eps)) if (!read.has(k) && !/norm|rms|ln_|_ln|layer/i.test(k)) delete c.eps[k];
  }
  // Config keys reached through attribute_map (`layer_norm_eps` -> `rms_norm_eps`) are eps keys too: a
  // config.json may spell the alias, and the config class reads it into the same field.
  for (const [alias, target] of Object.entries(f.attributeMap ?? {})) {
    if (target in c.eps && !(alias in c.eps)) c.eps[alias] = c.eps[target];
  }
  const main = c.norm === "none" ? undefined : defaultMain(f, c.classes);
  const eps = fixedEps(f, main);
  if (eps !== undefined) c.epsFixed = eps;
  const src: string[] = [];
  const cite = (s: string | undefined) => {
    if (s && !src.includes(cited(prefix, s))) src.push(cited(prefix, s));
  };
  cite(f.config?.src);
  const mainExtracted = main ? f.classes.find((x) => x.name === main.name) : undefined;
  cite(mainExtracted?.lines?.scale ?? mainExtracted?.src);
  for (const x of f.classes) if (!x.from || !/^[\w.]+$/.test(x.from) || x.from.endsWith(".py")) cite(x.src);
  const classes = c.classes.map(({ src: s, ...rest }) => {
    // init "other": a scale initialised some other way (torch.randn in a test-only class); the record
    // format knows ones, zeros and none, and only a unit offset needs zeros.
    const init = rest.init === "other" ? (rest.offset ? "zeros" : "ones") : rest.init;
    return { ...rest, init, ...(typeof s === "string" && !s.includes(".py:") ? { src: s } : {}) } as FamilyRecord["classes"] extends Array<infer C> | undefined ? C : never;
  });
  const rec: Record<string, unknown> = {
    config: c.config,
    norm: c.norm,
    bias: c.bias,
    offset: c.offset,
    init: c.init === "other" ? (c.offset ? "zeros" : "ones") : c.init,
    cast: c.cast,
    eps: c.eps,
  };
  if (c.normKeys) rec.normKeys = c.normKeys;
  if (c.epsFixed !== undefined) rec.epsFixed = c.epsFixed;
  if (c.sub) rec.sub = c.sub;
  if (c.flatSub) rec.flatSub = c.flatSub;
  if (c.arch) rec.arch = c.arch;
  if (classes.length) rec.classes = classes;
  const list = overrides[f.modelType];
  const notes: string[] = [];
  let disagreements: string[] = [];
  if (Array.isArray(list) && list.length) {
    const target = { ...rec, classes: (rec.classes as unknown[] | undefined) ?? [] } as unknown as Parameters<typeof applyOverrides>[1];
    disagreements = applyOverrides(f.modelType, target, list as Override[]);
    Object.assign(rec, target);
    if (!(rec.classes as unknown[]).length) delete rec.classes;
    for (const o of list as Override[]) {
      notes.push(`${o.class ? `${o.class}: ` : ""}${Object.keys(o.set).join(", ")} set by hand: ${o.reason}`);
      if (!src.includes(o.source)) src.push(o.source);
    }
  }
  if (f.gaps?.length) notes.push(...f.gaps.map((g) => `extraction: ${g}`));
  if (notes.length) rec.notes = notes;
  rec.src = src;
  rec.via = Array.isArray(list) && list.length ? "extracted+override" : "extracted";
  return { rec: rec as unknown as FamilyRecord, disagreements };
}


/**
 * The knowledge base from one or more extractions, in order (transformers first, then remote code):
 * a model type of a later extraction that an earlier one already has is skipped.
 */
export function buildKnowledge(extractions: Extraction[], overrides: Overrides): BuiltKnowledge {
  const families: Record<string, FamilyRecord> = {};
  const disagreements: string[] = [];
  const sources: Array<Record<string, unknown>> = [];
  for (const x of extractions) {
    sources.push({ ...(x.meta.repo ? { repo: x.meta.repo, commit: x.meta.commit } : { package: x.meta.package }), version: x.meta.version, ...(x.meta.sha256 ? { sha256: x.meta.sha256 } : {}), modelTypes: x.families.length });
    for (const f of x.families) {
      if (families[f.modelType]) continue;
      const { rec, disagreements: d } = compileRecord(f, x.meta, overrides);
      families[f.modelType] = rec;
      disagreements.push(...d);
    }
  }
  // Overrides for model types no extraction has are reported: an override never invents a family.
  for (const t of Object.keys(overrides)) if (!t.startsWith("_") && !families[t]) disagreements.push(`${t}: override for a model type no extraction has`);
  const first = extractions[0]?.meta;
  const sorted = Object.fromEntries(Object.keys(families).sort().map((k) => [k, families[k]]));
  return {
    meta: {
      generatedBy: "scripts/kb/build.ts (npm run kb:build)",
      base: { repo: "huggingface/transformers", version: first?.version, ...(first?.sha256 ? { wheel: first.wheel, sha256: first.sha256 } : {}) },
      sources,
      citations: "transformers@<version>:<path>:<line> is huggingface/transformers src/transformers/<path> at that release; <owner>/<repo>@<commit>:<path> names remote code or another repository",
      overrides: "scripts/kb/overrides.json",
    },
    families: sorted,
    disagreements,
  };
}

/** families.json text: one family per line, so a change to one family is a one-line diff. */
export function familiesJson(k: BuiltKnowledge): string {
  const lines = Object.entries(k.families).map(([t, v]) => `    ${JSON.stringify(t)}: ${JSON.stringify(v)}`);
  return `{\n  "_meta": ${JSON.stringify(k.meta)},\n  "families": {\n${lines.join(",\n")}\n  }\n}\n`;
}
