// Which families normalize queries and keys per attention layer, under which config switch, and
// the shape of those norms' weights: facts read from the attention classes of transformers 5.18.0
// (the `self.q_norm = ...` lines cited per family), where the knowledge base's module paths say
// only that the norms exist. A checkpoint's q/k norm tensors are judged against these.
import { table } from "../util/text";

/**
 * The q norm's weight shape (the k norm's uses the key/value head count in place of the heads):
 * - `head`: `[head_dim]`, one weight shared by every head (Qwen3, Gemma 3);
 * - `projection`: `[heads * head_dim]`, the whole projection normalized at once (OLMo 2);
 * - `head-matrix`: `[heads, head_dim]`, one row per head (Cohere, Chameleon);
 * - `per-head`: one `[head_dim]` LayerNorm per head, `q_layernorm.norms.{h}.weight` (StableLM).
 */
export type QkShape = "head" | "projection" | "head-matrix" | "per-head";

export interface QkNormFact {
  /** The attention's module names for the two norms. */
  q: string;
  k: string;
  shape: QkShape;
  /**
   * How the attention gets head_dim: from the config (`getattr(config, "head_dim", hidden_size //
   * heads)`, with the config class's default when it declares one), or always `hidden_size // heads`.
   */
  headDim: { from: "config"; default?: number } | { from: "hidden" };
  /** The config switch that builds the norms, and its default; absent: always built. */
  flag?: { key: string; default: boolean };
  src: string[];
}

const tf = (path: string) => `transformers@5.18.0:models/${path}`;
const headFromConfig = (d?: number): QkNormFact["headDim"] => ({ from: "config", ...(d !== undefined ? { default: d } : {}) });

const FACTS: Readonly<Record<string, QkNormFact>> = table<QkNormFact>({
  qwen3: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(128), src: [tf("qwen3/modeling_qwen3.py:237"), tf("qwen3/configuration_qwen3.py:68")] },
  qwen3_moe: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(), src: [tf("qwen3_moe/modeling_qwen3_moe.py:147")] },
  gemma3_text: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(256), src: [tf("gemma3/modeling_gemma3.py:338"), tf("gemma3/configuration_gemma3.py:83")] },
  olmo2: { q: "q_norm", k: "k_norm", shape: "projection", headDim: headFromConfig(), src: [tf("olmo2/modeling_olmo2.py:221")] },
  olmo3: { q: "q_norm", k: "k_norm", shape: "projection", headDim: headFromConfig(), src: [tf("olmo3/modeling_olmo3.py:162")] },
  olmoe: { q: "q_norm", k: "k_norm", shape: "projection", headDim: { from: "hidden" }, src: [tf("olmoe/modeling_olmoe.py:233")] },
  minimax_m2: { q: "q_norm", k: "k_norm", shape: "projection", headDim: headFromConfig(128), src: [tf("minimax_m2/modeling_minimax_m2.py:303"), tf("minimax_m2/configuration_minimax_m2.py:82")] },
  cohere: { q: "q_norm", k: "k_norm", shape: "head-matrix", headDim: headFromConfig(), flag: { key: "use_qk_norm", default: false }, src: [tf("cohere/modeling_cohere.py:239"), tf("cohere/configuration_cohere.py:86")] },
  chameleon: { q: "q_norm", k: "k_norm", shape: "head-matrix", headDim: { from: "hidden" }, src: [tf("chameleon/modeling_chameleon.py:291"), tf("chameleon/modeling_chameleon.py:272")] },
  stablelm: { q: "q_layernorm", k: "k_layernorm", shape: "per-head", headDim: { from: "hidden" }, flag: { key: "qk_layernorm", default: false }, src: [tf("stablelm/modeling_stablelm.py:257"), tf("stablelm/modeling_stablelm.py:172"), tf("stablelm/configuration_stablelm.py:59")] },
  persimmon: { q: "q_layernorm", k: "k_layernorm", shape: "head", headDim: { from: "hidden" }, flag: { key: "qk_layernorm", default: true }, src: [tf("persimmon/modeling_persimmon.py:219"), tf("persimmon/configuration_persimmon.py:54")] },
  phi: { q: "q_layernorm", k: "k_layernorm", shape: "head", headDim: { from: "hidden" }, flag: { key: "qk_layernorm", default: false }, src: [tf("phi/modeling_phi.py:182"), tf("phi/configuration_phi.py:79")] },
  glm4_moe: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(), flag: { key: "use_qk_norm", default: false }, src: [tf("glm4_moe/modeling_glm4_moe.py:211"), tf("glm4_moe/configuration_glm4_moe.py:116")] },
  dots1: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(), src: [tf("dots1/modeling_dots1.py:217")] },
  exaone4: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(), src: [tf("exaone4/modeling_exaone4.py:217")] },
  apertus: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(), src: [tf("apertus/modeling_apertus.py:233")] },
  afmoe: { q: "q_norm", k: "k_norm", shape: "head", headDim: headFromConfig(128), src: [tf("afmoe/modeling_afmoe.py:346"), tf("afmoe/configuration_afmoe.py:79")] },
  lfm2: { q: "q_layernorm", k: "k_layernorm", shape: "head", headDim: headFromConfig(), src: [tf("lfm2/modeling_lfm2.py:225")] },
});

/** The q/k norm facts of a family, or undefined when normlint has none (no q/k norms, or not studied). */
export function qkNormFacts(modelType: string): QkNormFact | undefined {
  return FACTS[modelType];
}

export function qkNormFamilies(): string[] {
  return Object.keys(FACTS);
}

/** The sizes a family's q and k norm weights must have for a config: the expected shapes. */
export function expectedQkShapes(f: QkNormFact, dims: { hidden: number; heads: number; kvHeads: number; headDim?: number }): { q: number[]; k: number[]; headDim: number } | undefined {
  const headDim = f.headDim.from === "hidden" ? dims.hidden / dims.heads : dims.headDim ?? f.headDim.default ?? dims.hidden / dims.heads;
  if (!Number.isInteger(headDim) || headDim <= 0) return undefined;
  switch (f.shape) {
    case "head":
    case "per-head":
      return { q: [headDim], k: [headDim], headDim };
    case "projection":
      return { q: [dims.heads * headDim], k: [dims.kvHeads * headDim], headDim };
    case "head-matrix":
      return { q: [dims.heads, headDim], k: [dims.kvHeads, headDim], headDim };
  }
}
