// Norm implementations from other libraries that patches bind into transformers' modeling modules.
// Their code is not in the linted file, so what they compute is recorded here, each with its source.
// These are facts about libraries, not about model families.

export interface ExternalNorm {
  kind: "rms" | "layer";
  /** The weight offset the constructor uses by default (0 = `x * w`, 1 = `x * (1 + w)`). */
  offset: number;
  /** The keyword that overrides it (`partial(LigerRMSNorm, offset=1.0)`). */
  offsetKwarg?: string;
  /** Its position among the constructor's arguments, for positional overrides. */
  offsetPosition?: number;
  /** The casting mode (`casting_mode=`) and weight init (`init_fn=`) it defaults to, and their positions. */
  cast?: "llama" | "gemma" | "none";
  castPosition?: number;
  init?: "ones" | "zeros";
  initPosition?: number;
  src: string;
}

const LIGER_RMS = "linkedin/Liger-Kernel@047078394ea1edb21ecff66f78b051b371e6ebf1:src/liger_kernel/transformers/rms_norm.py";

export const EXTERNAL_NORMS: Readonly<Record<string, ExternalNorm>> = {
  LigerRMSNorm: { kind: "rms", offset: 0, offsetKwarg: "offset", offsetPosition: 2, cast: "llama", castPosition: 3, init: "ones", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForGemma: { kind: "rms", offset: 1, offsetKwarg: "offset", offsetPosition: 2, cast: "gemma", castPosition: 3, init: "zeros", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForGemma2: { kind: "rms", offset: 1, offsetKwarg: "offset", offsetPosition: 2, cast: "gemma", castPosition: 3, init: "zeros", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForGemma3: { kind: "rms", offset: 1, offsetKwarg: "offset", offsetPosition: 2, cast: "gemma", castPosition: 3, init: "zeros", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForGemma4: { kind: "rms", offset: 0, offsetKwarg: "offset", offsetPosition: 2, cast: "gemma", castPosition: 3, init: "ones", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForOlmo2: { kind: "rms", offset: 0, offsetKwarg: "offset", offsetPosition: 2, cast: "llama", castPosition: 3, init: "ones", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForGlm4: { kind: "rms", offset: 0, offsetKwarg: "offset", offsetPosition: 2, cast: "llama", castPosition: 3, init: "ones", initPosition: 4, src: LIGER_RMS },
  LigerRMSNormForQwen3Next: { kind: "rms", offset: 1, offsetKwarg: "offset", offsetPosition: 2, cast: "gemma", castPosition: 3, init: "zeros", initPosition: 4, src: LIGER_RMS },
  LigerLayerNorm: { kind: "layer", offset: 0, src: "linkedin/Liger-Kernel@0a0e606b399c8b4e0f172662e71fbf0bc545814c:src/liger_kernel/transformers/layer_norm.py" },
};
