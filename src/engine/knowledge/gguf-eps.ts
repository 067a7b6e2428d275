// Which GGUF metadata key llama.cpp's runtime reads for a model's norm eps, per GGUF architecture:
// `{arch}.attention.layer_norm_rms_epsilon` (RMSNorm models) or `{arch}.attention.layer_norm_epsilon`
// (LayerNorm models). A key the runtime requires and the file lacks makes llama.cpp refuse the
// file ("key not found in model", llama.cpp #28989); a key it reads holds the eps every norm uses.
//
// Source: ggml-org/llama.cpp@00342301d01add50835550e8a916f12097d94517 src/llama-model.cpp,
// `llama_model::load_hparams`, the `switch (arch)` of arch-specific KVs: `ml.get_key(
// LLM_KV_ATTENTION_LAYERNORM_RMS_EPS, hparams.f_norm_rms_eps)` or `ml.get_key(
// LLM_KV_ATTENTION_LAYERNORM_EPS, hparams.f_norm_eps)`, required unless passed `false`. The
// architecture names are the strings of LLM_ARCH_NAMES in src/llama-arch.cpp
// (ggml-org/llama.cpp@00395eb285c7c6821ff372e3ca41dae9da33c2c7), LLM_ARCH_OPENAI_MOE being "gpt-oss".
// Newer llama.cpp moved each architecture's loader into src/models/<arch>.cpp
// (`llama_model_<arch>::load_arch_hparams`, the same `ml.get_key` calls); the architectures read
// there are listed in NEWER, each with the commit it was read at, their names being the strings of
// MODEL_ARCH_NAMES in gguf-py/gguf/constants.py (ggml-org/llama.cpp@ef035f779276d5f5636a0fd8cbeff6a83d646d2b).
// qwen3vl, qwen35, qwen35moe and nemotron_h_moe were read in a fork mirror of llama.cpp
// (unslothai/llama.cpp, whose src/models/ files are ggml-org's; the ggml-org repository is over the
// fetch limit here). Architectures listed nowhere here get no finding: normlint says nothing about them.
import { table } from "../util/text";

const GGUF_EPS_SOURCE = "ggml-org/llama.cpp@00342301d01a:src/llama-model.cpp (llama_model::load_hparams)";

/** Architectures read from the per-model loaders of newer llama.cpp, with where each was read. */
const NEWER: Readonly<Record<string, { kind: GgufEpsKind; src: string }>> = table({
  // `ml.get_key(LLM_KV_ATTENTION_LAYERNORM_RMS_EPS, hparams.f_norm_rms_eps)`, required.
  gemma4: { kind: "rms", src: "ggml-org/llama.cpp@9af0434d8c5e:src/models/gemma4.cpp (llama_model_gemma4::load_arch_hparams)" },
  qwen3vlmoe: { kind: "rms", src: "ggml-org/llama.cpp@e73aa8035dbe:src/models/qwen3vlmoe.cpp (llama_model_qwen3vlmoe::load_arch_hparams)" },
  "minimax-m2": { kind: "rms", src: "ggml-org/llama.cpp@fe7f57389405:src/models/minimax-m2.cpp (llama_model_minimax_m2::load_arch_hparams)" },
  qwen3vl: { kind: "rms", src: "unslothai/llama.cpp@53fd974b4406:src/models/qwen3vl.cpp (llama_model_qwen3vl::load_arch_hparams)" },
  qwen35: { kind: "rms", src: "unslothai/llama.cpp@53fd974b4406:src/models/qwen35.cpp (llama_model_qwen35::load_arch_hparams)" },
  qwen35moe: { kind: "rms", src: "unslothai/llama.cpp@53fd974b4406:src/models/qwen35moe.cpp (llama_model_qwen35moe::load_arch_hparams)" },
  // src/models/models.h: llama_model_nemotron_h_moe derives from llama_model_nemotron_h and keeps its
  // load_arch_hparams (src/models/nemotron-h.cpp), which requires the RMS eps key.
  nemotron_h_moe: { kind: "rms", src: "unslothai/llama.cpp@53fd974b4406:src/models/nemotron-h.cpp (llama_model_nemotron_h::load_arch_hparams, inherited by llama_model_nemotron_h_moe, src/models/models.h)" },
});

/** Which eps key an architecture's loader reads; "either" reads both, neither required (RWKV). */
export type GgufEpsKind = "rms" | "layer" | "either";

const RMS = [
  "llama", "llama4", "arcee", "deci", "minicpm", "minicpm3", "grok", "baichuan", "refact", "neo-bert",
  "qwen", "qwen2vl", "qwen2", "dream", "llada", "llada-moe", "qwen2moe", "qwen3", "qwen3moe", "phi3",
  "phimoe", "plamo", "plamo2", "internlm2", "gemma", "gemma2", "gemma3", "gemma3n", "gemma-embedding",
  "mamba", "mamba2", "jamba", "xverse", "olmo2", "seed_oss", "olmoe", "openelm", "arctic", "deepseek",
  "deepseek2", "plm", "chatglm", "glm4", "glm4moe", "bitnet", "t5", "t5encoder", "nemotron_h", "exaone",
  "exaone4", "granite", "granitemoe", "granitehybrid", "qwen3next", "chameleon", "bailingmoe",
  "bailingmoe2", "dots1", "ernie4_5", "ernie4_5-moe", "falcon-h1", "hunyuan-moe", "hunyuan-dense",
  "smollm3", "gpt-oss", "lfm2", "lfm2moe", "smallthinker", "grovemoe", "apertus",
];
const LAYER = [
  "falcon", "starcoder", "bert", "jina-bert-v2", "jina-bert-v3", "nomic-bert", "nomic-bert-moe", "bloom",
  "mpt", "stablelm", "phi2", "gpt2", "codeshell", "orion", "starcoder2", "command-r", "cohere2", "dbrx",
  "olmo", "gptneox", "jais", "nemotron", "wavtokenizer-dec",
];
const EITHER = ["rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"];

const kinds: Readonly<Record<string, GgufEpsKind>> = table({
  ...Object.fromEntries(RMS.map((a) => [a, "rms" as const])),
  ...Object.fromEntries(LAYER.map((a) => [a, "layer" as const])),
  ...Object.fromEntries(EITHER.map((a) => [a, "either" as const])),
  ...Object.fromEntries(Object.entries(NEWER).map(([a, x]) => [a, x.kind])),
});

/** Where llama.cpp's eps read for an architecture was taken from. */
export function ggufEpsSource(arch: string): string {
  return NEWER[arch]?.src ?? GGUF_EPS_SOURCE;
}

/** The eps kind llama.cpp reads for a GGUF architecture, or undefined when normlint does not know it. */
export function ggufEpsKind(arch: string): GgufEpsKind | undefined {
  return kinds[arch];
}

/** The metadata key for an architecture and kind. */
export function ggufEpsKey(arch: string, kind: "rms" | "layer"): string {
  return `${arch}.attention.${kind === "rms" ? "layer_norm_rms_epsilon" : "layer_norm_epsilon"}`;
}

/** Every architecture listed (for tests). */
export function ggufEpsArchitectures(): string[] {
  return Object.keys(kinds);
}
