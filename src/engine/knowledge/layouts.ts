// Typed access to the storage-layout facts (layouts.json, written by `npm run kb:build` from
// scripts/kb/layouts.json): where each format leaves a family's norm weights. Hugging Face
// safetensors follow the family's own code (families.json); GGUF, MLX and Megatron files follow
// their converter, and each fact cites the line that decides it.
import data from "./layouts.json";
import type { Family } from "./index";

export type LayoutFormat = "hf" | "gguf" | "mlx" | "megatron";
/** Norms that a converter can treat differently within one checkpoint. */
export type ModuleGroup = "trunk" | "mtp" | "vision" | "gated";

export interface LayoutFact {
  id: string;
  format: Exclude<LayoutFormat, "hf">;
  families: string[];
  ggufArch?: string[];
  centre: Partial<Record<ModuleGroup, 0 | 1 | null>> & { trunk: 0 | 1 | null };
  shift?: 0 | 1;
  markers?: string[];
  note: string;
  source: { repo: string; file: string; commit: string; at: string };
}

export interface ExpectedCentre {
  /** Where this group's stored weights sit: 0 (offsets from 1), 1 (the scale), or unknown. */
  centre: 0 | 1 | "unknown";
  /** The layout fact that decided it, when one did (Hugging Face layouts are decided by the family). */
  fact?: LayoutFact;
  /** "llama.cpp conversion/gemma.py@2bbcf7f GemmaModel.modify_tensors", or the family's source. */
  cite: string;
  why: string;
}

const FACTS = (data as unknown as { facts: LayoutFact[] }).facts;

export function layoutFacts(): readonly LayoutFact[] {
  return FACTS;
}

/** The model type llama.cpp's `general.architecture` names, when a layout fact maps it. */
export function familyForGgufArch(arch: string): string | undefined {
  return FACTS.find((f) => f.format === "gguf" && f.ggufArch?.includes(arch))?.families[0];
}

function citeFact(f: LayoutFact): string {
  return `${f.source.repo}@${f.source.commit.slice(0, 8)}:${f.source.file} (${f.source.at.split(":")[0]})`;
}

function factFor(format: LayoutFact["format"], modelType: string): LayoutFact | undefined {
  return FACTS.find((f) => f.format === format && f.families.includes(modelType)) ?? FACTS.find((f) => f.format === format && f.families.includes("*"));
}

/** Gated norms (RMSNormGated, linear attention's ssm_norm) are plain unless the family's class says otherwise. */
function gatedIsOffset(fam: Family): boolean {
  return (fam.classes ?? []).some((c) => c.kind === "rms-gated" && c.offset);
}

function hfCentre(fam: Family, group: ModuleGroup): ExpectedCentre {
  // The modeling file decides where the weights sit (the config file only names the family).
  const cite = fam.src.find((s) => /modeling_/.test(s)) ?? fam.src[0] ?? fam.via;
  if (group === "gated") return { centre: gatedIsOffset(fam) ? 0 : 1, cite, why: `${fam.modelType}'s gated norms compute x * ${gatedIsOffset(fam) ? "(1 + w)" : "w"}` };
  // Vision towers are other models (SigLIP, CLIP...) with their own norms: not decided by the text family.
  if (group === "vision") return { centre: "unknown", cite, why: "a vision tower's norms follow the tower's own model" };
  return { centre: fam.offset ? 0 : 1, cite, why: fam.offset ? `${fam.modelType} computes x * (1 + w), so its checkpoints store w near 0` : `${fam.modelType} computes x * w, so its checkpoints store w near 1` };
}

/**
 * The centre a checkpoint's norms of one module group should sit at, for a family in a storage
 * format, with the fact that decided it. "unknown" when no fact decides (the caller stays silent).
 */
export function expectedCentre(fam: Family, format: LayoutFormat, group: ModuleGroup): ExpectedCentre {
  const hf = hfCentre(fam, group);
  if (format === "hf") return hf;
  const fact = factFor(format, fam.modelType);
  if (fact) {
    const c = fact.centre[group];
    if (c === 0 || c === 1) return { centre: c, fact, cite: citeFact(fact), why: fact.note };
    // A catch-all fact (Megatron's zero-centred gamma) leaves every group open; so does an explicit null.
    if (c === null || fact.families.includes("*")) return { centre: "unknown", fact, cite: citeFact(fact), why: fact.note };
    // A group the fact does not name: the converter leaves plain norms as they are.
    if (hf.centre === 1 && group !== "vision") return { ...hf, fact, why: `${hf.why}; ${fact.id} shifts only the norms it names` };
    return { centre: "unknown", fact, cite: citeFact(fact), why: `${fact.id} says nothing about the ${group} norms` };
  }
  // GGUF facts not written as layout facts live on the family record (overrides.json: gguf.foldsOffset).
  if (format === "gguf" && fam.gguf && group === "trunk") {
    const centre = fam.offset && !fam.gguf.foldsOffset ? 0 : 1;
    return { centre, cite: hf.cite, why: fam.gguf.foldsOffset ? `llama.cpp's converter adds 1 to ${fam.modelType}'s norm weights` : `llama.cpp's converter writes ${fam.modelType}'s norm weights as they are` };
  }
  // A plain family's norms are plain in every format but Megatron's: no converter subtracts 1.
  if (hf.centre === 1 && format !== "megatron" && group !== "vision") return { ...hf, why: `${hf.why}; no converter subtracts 1 from plain norms` };
  return { centre: "unknown", cite: hf.cite, why: `no layout fact says where ${format} files keep ${fam.modelType}'s ${group} norms` };
}
