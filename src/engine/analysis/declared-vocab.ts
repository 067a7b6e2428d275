// The words other libraries use to declare a norm convention, and what each value means. These
// are facts about libraries (like external.ts), each with the source it was read from; what a
// family actually does stays in knowledge/.
import type { Cast } from "../knowledge/index";
import type { Aspect } from "./declared-types";
import { table } from "../util/text";

const TL = "TransformerLensOrg/TransformerLens@4cd36aaeb5dad931d085bd5d46a12b402fe15272";
const LIGER = "linkedin/Liger-Kernel@ead96b618e5c67bddc6a6e9bcb99bfe6b5ab661c";
const UNSLOTH = "unslothai/unsloth@015bdef0d94a241bcd94eec7a405b1700632180d";
const AXOLOTL = "axolotl-ai-cloud/axolotl@067b021c8b87a9e5e380b9173c704cf7340e30f5";
const EXLLAMAV2 = "turboderp-org/exllamav2@da07facd10b5c7f35b03664c41a3090c9f093de5";
export const SRC = {
  tlConfig: `${TL}:transformer_lens/config/transformer_bridge_config.py`,
  tlNorm: `${TL}:transformer_lens/model_bridge/generalized_components/normalization.py`,
  tlConversion: `${TL}:transformer_lens/conversion_utils/conversion_steps/arithmetic_tensor_conversion.py`,
  ligerModule: `${LIGER}:src/liger_kernel/transformers/rms_norm.py`,
  ligerKernel: `${LIGER}:src/liger_kernel/ops/rms_norm.py`,
  unslothKernel: `${UNSLOTH}:unsloth/kernels/rms_layernorm.py`,
  axolotlKernel: `${AXOLOTL}:src/axolotl/kernels/gemma4_fused_rope.py`,
  exllamav2Norm: `${EXLLAMAV2}:exllamav2/rmsnorm.py`,
  litgpt: "Lightning-AI/litgpt@26857050fe3ff627cd714fe92f5838f51a3d5efa:litgpt/model.py",
  litgptConfig: "Lightning-AI/litgpt@26857050fe3ff627cd714fe92f5838f51a3d5efa:litgpt/config.py",
  gemmaPytorch: "google/gemma_pytorch@014acb7ac4563a5f77c76d7ff98f31b568c16508:gemma/model.py",
  minimax: "ggml-org/llama.cpp@d32676d77426540327835040d5d3279728f0b4c8:conversion/minimax.py",
  megatronConfig: "NVIDIA/Megatron-LM@d2c5e8b4f4fa0062d8cd9cbe18a7fca7cf1f99a3:megatron/core/transformer/transformer_config.py",
  megatronArgs: "NVIDIA/Megatron-LM@d2c5e8b4f4fa0062d8cd9cbe18a7fca7cf1f99a3:megatron/training/arguments.py",
  ctranslate2: "OpenNMT/CTranslate2@0d8bcd362ac75ef860ef161d6f0efad0ae439ff0:src/cpu/kernels.cc",
} as const;

export interface Key {
  aspect: Aspect;
  /** Reads a literal (`True`, `"RMS"`, `1.0`, `"gemma"`); undefined when the value means nothing known. */
  read(v: boolean | number | string): boolean | string | number | undefined;
  /**
   * A generic word (`offset`, `casting_mode`) counts only as an argument or parameter of a norm
   * callable; a specific one (`rmsnorm_uses_offset`) counts wherever it is set.
   */
  generic: boolean;
  /**
   * Counts only where a call passes it: a parameter's default (`unit_offset: bool = True` in a norm
   * class some family constructs with `False`) says nothing about what a family gets.
   */
  argumentOnly?: boolean;
  src: string;
}

const bool = (v: boolean | number | string) => (typeof v === "boolean" ? v : undefined);

export const KEYS: Readonly<Record<string, Key>> = table({
  // TransformerBridgeConfig(rmsnorm_uses_offset: bool = False); NormalizationBridge scales by (1.0 + weight) when set.
  rmsnorm_uses_offset: { aspect: "offset", read: bool, generic: false, src: SRC.tlNorm },
  // "LN" / "LNPre" centre the activations, "RMS" / "RMSPre" do not (NormalizationBridge.uses_rms_norm).
  normalization_type: {
    aspect: "kind",
    read: (v) => (typeof v !== "string" ? undefined : /^LN(Pre)?$/i.test(v) ? "layer" : /^RMS(Pre)?$/i.test(v) ? "rms" : undefined),
    generic: false,
    src: SRC.tlConfig,
  },
  uses_rms_norm: { aspect: "kind", read: (v) => (typeof v === "boolean" ? (v ? "rms" : "layer") : undefined), generic: false, src: SRC.tlNorm },
  eps_attr: { aspect: "eps", read: (v) => (typeof v === "string" ? v : undefined), generic: false, src: SRC.tlNorm },
  // litgpt's and gemma_pytorch's RMSNorm(add_unit_offset=...): `(1 + self.weight) if self.add_unit_offset else self.weight`.
  add_unit_offset: { aspect: "offset", read: bool, generic: false, src: SRC.litgpt },
  norm_class_name: {
    aspect: "kind",
    read: (v) => (v === "RMSNorm" ? "rms" : v === "LayerNorm" ? "layer" : undefined),
    generic: false,
    src: SRC.litgptConfig,
  },
  norm_eps: { aspect: "eps", read: (v) => (typeof v === "number" ? v : undefined), generic: false, src: SRC.litgptConfig },
  // Megatron-Core's TransformerConfig: "the LayerNorm is adjusted to center the gamma values around 0"
  // (the norm scales by 1 + gamma; Megatron-Bridge sets it for Gemma); `--apply-layernorm-1p` in
  // Megatron's arguments and NeMo's LayerNorm1P set the same; TransformerEngine's and Megatron's
  // fused norms take it as `zero_centered_gamma`.
  layernorm_zero_centered_gamma: { aspect: "offset", read: bool, generic: false, src: SRC.megatronConfig },
  apply_layernorm_1p: { aspect: "offset", read: bool, generic: false, src: SRC.megatronArgs },
  zero_centered_gamma: { aspect: "offset", read: bool, generic: false, src: SRC.megatronConfig },
  // CTranslate2's LayerNormSpec flag (converters/transformers.py sets it for Gemma 1-3): its RMSNorm
  // kernel computes `x * inv_rms * (1 + gamma)` when set, `x * inv_rms * gamma` otherwise.
  layer_norm_use_residual: { aspect: "offset", read: bool, generic: false, src: SRC.ctranslate2 },
  // MiniMax-M3's config switch for its Gemma-style (1 + w) RMSNorm.
  use_gemma_norm: { aspect: "offset", read: bool, generic: false, src: SRC.minimax },
  // Liger-Kernel's LigerRMSNorm(offset=, casting_mode=, init_fn=): y = x / rms * (offset + w).
  offset: { aspect: "offset", read: (v) => (v === 0 ? false : v === 1 ? true : undefined), generic: true, src: SRC.ligerModule },
  // unsloth's fast_rms_layernorm(layernorm, X, gemma=...): `_gemma_rms_layernorm_forward`
  // (`normed * (W_row + 1.0)`) when set, `_rms_layernorm_forward` (`normed * W_row`) otherwise.
  gemma: { aspect: "offset", read: bool, generic: true, argumentOnly: true, src: SRC.unslothKernel },
  // axolotl's fused_rms_norm_rope(x, weight, cos, sin, eps, unit_offset=...): the Triton body's
  // `if UNIT_OFFSET: X_norm * (W_row + 1.0) else: X_norm * W_row`.
  unit_offset: { aspect: "offset", read: bool, generic: true, argumentOnly: true, src: SRC.axolotlKernel },
  // exllamav2's per-architecture `norm_constant_bias` (ExLlamaV2ArchParams): ExLlamaV2RMSNorm.load()
  // adds it to the loaded weight (`self.weight += self.archparams.norm_constant_bias`), so 1 gives
  // `x * (1 + w)` and 0 gives `x * w`; other constants mean nothing known.
  norm_constant_bias: { aspect: "offset", read: (v) => (v === 0 ? false : v === 1 ? true : undefined), generic: false, src: SRC.exllamav2Norm },
  casting_mode: { aspect: "cast", read: (v) => (v === "llama" || v === "gemma" || v === "none" ? v : undefined), generic: true, src: SRC.ligerKernel },
  init_fn: { aspect: "init", read: (v) => (v === "ones" || v === "zeros" ? v : undefined), generic: true, src: SRC.ligerModule },
});

/**
 * The knowledge base's cast orders a Liger casting mode reproduces. "llama" normalises in fp32 and
 * casts back before the weight multiply (T5 casts to the weight's dtype instead, the same order);
 * "gemma" multiplies by the fp32 weight and casts at the end, which is also the order of the
 * families recorded as "fp32"; "none" does everything in the input dtype.
 */
export const CASTING_MODES: Readonly<Record<string, readonly Cast[]>> = {
  llama: ["llama", "t5"],
  gemma: ["gemma", "fp32"],
  none: ["none"],
};

/** Families whose cast order says nothing a casting mode could contradict. */
export const CAST_WITHOUT_ORDER: readonly Cast[] = ["torch", "other"];

/**
 * Classes whose flags default when unset: a TransformerLens adapter that sets no
 * `rmsnorm_uses_offset` inherits its base adapter's value, or the config default (False).
 */
export const FLAG_HOLDERS: ReadonlyArray<{ suffix: RegExp; key: string; default: boolean; marks: string[]; src: string }> = [
  { suffix: /ArchitectureAdapter$/, key: "rmsnorm_uses_offset", default: false, marks: ["normalization_type", "uses_rms_norm"], src: SRC.tlConfig },
];
