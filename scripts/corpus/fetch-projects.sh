#!/usr/bin/env bash
# Exports whole projects that define their own norms and load real checkpoints from local git
# checkouts or mirrors into .cache/projects/<project>/, where test/projects-corpus.test.ts and
# scripts/corpus/lint-projects.mjs lint them (the test skips, loudly, when the cache is absent). The
# files are read, never committed here (.cache/ is git-ignored); docs/findings.md records what was found.
#
#   scripts/corpus/fetch-projects.sh [--any-commit] <project>=<git-dir-or-work-tree>[@revision] ...
#
# Projects (each pinned below to the commit docs/findings.md was written against):
#   LLMs-from-scratch   rasbt/LLMs-from-scratch: the book's code, notebooks and loaders (educational)
#   TransformerLens     TransformerLensOrg/TransformerLens: interpretability library, weight conversions
#   nanoGPT             karpathy/nanoGPT: GPT-2 training and from_pretrained (educational)
#   llama2.c            karpathy/llama2.c: Llama 2 in PyTorch and C, export and conversion scripts
#   llama               meta-llama/llama: the Llama 2 reference inference code
#   mistral-inference   mistralai/mistral-inference: reference inference engine
#   gpt-neox            EleutherAI/gpt-neox: training framework, checkpoint conversion tools
#   torchtune           pytorch/torchtune: fine-tuning framework, checkpoint converters per family
#   nanotron            huggingface/nanotron: 3D-parallel pretraining, HF conversion examples
#   x-transformers      lucidrains/x-transformers: configurable transformer library
#   mlx-examples        ml-explore/mlx-examples: MLX ports with their convert scripts
#   unsloth             unslothai/unsloth: fine-tuning, patches and kernels over transformers
#   lmdeploy            InternLM/lmdeploy: inference engine with its own PyTorch model ports
#   text-generation-inference  huggingface/text-generation-inference: serving engine, its own layers and loaders
#   CTranslate2         OpenNMT/CTranslate2: inference engine, Python converters from transformers checkpoints
#   GPTQModel           ModelCloud/GPTQModel: quantizer with vendored model ports
#   gpt-fast            pytorch-labs/gpt-fast: minimal Llama/Mixtral inference and checkpoint conversion
#   litgpt              Lightning-AI/litgpt: training and fine-tuning framework, HF checkpoint conversion
#   torchtitan          pytorch/torchtitan: pretraining framework, its own model ports and HF state-dict adapters
#   OLMo                allenai/OLMo: training code of the OLMo models, checkpoint conversion
#   gemma_pytorch       google/gemma_pytorch: Google's reference PyTorch Gemma
#   mamba               state-spaces/mamba: SSM layers, Triton layer-norm/RMSNorm kernels, gated norms
#   open_clip           mlfoundations/open_clip: CLIP training and models (LayerNorm fp32 variants)
#   pytorch-image-models  huggingface/pytorch-image-models (timm): vision model library, many norm layers
#   dinov2              facebookresearch/dinov2: vision foundation models and training
#   peft                huggingface/peft: adapter methods over transformers (LayerNorm tuning)
#   OpenRLHF            OpenRLHF/OpenRLHF: RLHF training framework over transformers
#
# The recall corpus (issue 15: engines and frameworks where 2024-2026 norm bugs happened), exported into
# .cache/engines/<project>/ instead, so that test/projects-corpus.test.ts in other checkouts sharing the
# cache does not pick them up before docs/findings.md pins them; scripts/corpus/mutate.mjs injects the
# incidents' bug patterns into them (scripts/corpus/mutations.json):
#   mlx-lm              ml-explore/mlx-lm: MLX ports, sanitize() shifts (mlx-lm#1623)
#   mlx-vlm             Blaizzy/mlx-vlm: MLX vision-language ports, sanitize() shifts (mlx-vlm#1528)
#   Liger-Kernel        linkedin/Liger-Kernel: Triton norm kernels and their HF patches (Liger-Kernel#74)
#   axolotl             axolotl-ai-cloud/axolotl: training framework, monkey patches (axolotl#1886)
#   llm-compressor      vllm-project/llm-compressor: quantizer, smoothing folds into norms (#2102)
#   unsloth-zoo         unslothai/unsloth-zoo: patches, merged save and GGUF export (unsloth-zoo#1095)
#   Megatron-Bridge     NVIDIA-NeMo/Megatron-Bridge: HF<->Megatron bridges, zero-centred gamma (#1929)
#   exllamav2           turboderp-org/exllamav2: inference engine, its own loader and norm modules
#   AutoAWQ             casper-hansen/AutoAWQ: AWQ quantizer, scales folded into norm weights
#   optimum-quanto      huggingface/optimum-quanto: quantizer, smoothing/calibration of norms
#
# The converters corpus (issue 17: code that moves norm weights between storage layouts), exported into
# .cache/converters/<project>/ and held to docs/findings.md's "Converters corpus" by
# test/converters-corpus.test.ts; only the converter, sanitize and loader parts of the large repositories
# are taken (the paths after the commit below). mlx-lm and mlx-vlm's sanitize() live in the recall corpus.
#   llama.cpp           unslothai/llama.cpp (a fork mirror: ggml-org's repo is too large to fetch):
#                       convert_hf_to_gguf.py, conversion/, convert_lora_to_gguf.py, gguf-py
#   NeMo                NVIDIA/NeMo: scripts/checkpoint_converters, the NeMo 2 HF importers/exporters
#   Megatron-LM         NVIDIA/Megatron-LM: tools/checkpoint (loaders and savers between formats)
#   executorch          pytorch/executorch: examples/models (Gemma/Qwen/Llama convert_weights, loaders)
#                       and extension/llm
#   optimum-executorch  huggingface/optimum-executorch: HF -> ExecuTorch exporters and loaders
#
# The whole repository's *.py, *.ipynb, config.json, other *.json under 1 MiB and .gitignore files are
# taken from the pinned commit (files over 4 MiB, symlinks, submodules and anything not UTF-8 text are
# skipped). A revision other than the pinned one is refused unless --any-commit is given; with it and
# no @revision, HEAD is exported. Nothing is downloaded: point it at clones you already have. Existing
# projects not named on the command line are kept, so the cache can be filled one project at a time.
set -euo pipefail

usage() { sed -n '2,69p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
any=0
[ "${1:-}" = "--any-commit" ] && { any=1; shift; }
[ $# -gt 0 ] || usage
root="$(cd "$(dirname "$0")/../.." && pwd)"

# project -> "owner/repo commit [corpus [path prefix,...]]" (no prefixes: the whole repository)
pin_of() {
  case "$1" in
    LLMs-from-scratch) echo "rasbt/LLMs-from-scratch 28c65cdfbc3338e2e040016eea4b7fdf556e4d57" ;;
    TransformerLens) echo "TransformerLensOrg/TransformerLens 4cd36aaeb5dad931d085bd5d46a12b402fe15272" ;;
    nanoGPT) echo "karpathy/nanoGPT 3adf61e154c3fe3fca428ad6bc3818b27a3b8291" ;;
    llama2.c) echo "karpathy/llama2.c 350e04fe35433e6d2941dce5a1f53308f87058eb" ;;
    llama) echo "meta-llama/llama 689c7f261b9c5514636ecc3c5fefefcbb3e6eed7" ;;
    mistral-inference) echo "mistralai/mistral-inference 2557e12d0e1878a1562ece30434820f80aa3e12a" ;;
    gpt-neox) echo "EleutherAI/gpt-neox ea7aefd8f8e183256992d9fede4d7c71a46d67a5" ;;
    torchtune) echo "pytorch/torchtune bd2a0fc7c31430972728494fa01aaeeb0ebf1ba1" ;;
    nanotron) echo "huggingface/nanotron 2411b022a75fb7f7561a1bb4166706da5e1b76de" ;;
    x-transformers) echo "lucidrains/x-transformers 9252ed7838021ee61e6c5be0930b3a9a88efdf06" ;;
    mlx-examples) echo "ml-explore/mlx-examples 7ddca42f4dc83ea70f4c53d1b6a917d335ab435d" ;;
    unsloth) echo "unslothai/unsloth 015bdef0d94a241bcd94eec7a405b1700632180d" ;;
    lmdeploy) echo "InternLM/lmdeploy 1263d5cd889b7ad500e85b8eb20401327a4516ab" ;;
    text-generation-inference) echo "huggingface/text-generation-inference db931fcf42da018a3657580c64bf2720f167f9ab" ;;
    CTranslate2) echo "OpenNMT/CTranslate2 0d8bcd362ac75ef860ef161d6f0efad0ae439ff0" ;;
    GPTQModel) echo "ModelCloud/GPTQModel f4c327a17eb3e24524d5a97a3d682e3696ae6a28" ;;
    gpt-fast) echo "pytorch-labs/gpt-fast 32971d3129541c5bfb4f715abc33d1c5f408d204" ;;
    litgpt) echo "Lightning-AI/litgpt 26857050fe3ff627cd714fe92f5838f51a3d5efa" ;;
    torchtitan) echo "pytorch/torchtitan b5bcd76c66d0acb1a08b176d9639425bc55e0b2a" ;;
    OLMo) echo "allenai/OLMo 59a53e3f68e546330ca5a99ec626e58f9ab96494" ;;
    gemma_pytorch) echo "google/gemma_pytorch 014acb7ac4563a5f77c76d7ff98f31b568c16508" ;;
    mamba) echo "state-spaces/mamba e9594ce1c732d97440f0332fdc43170a2294dbfa" ;;
    open_clip) echo "mlfoundations/open_clip 89fb801f1e6087880e951fc8354b8a2077b79c6d" ;;
    pytorch-image-models) echo "huggingface/pytorch-image-models aa4b5850c1543fa488abf260f18390eda46cf85d" ;;
    dinov2) echo "facebookresearch/dinov2 b8931f7bf91576930313be2c6d6af376033b35f0" ;;
    peft) echo "huggingface/peft 5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40" ;;
    OpenRLHF) echo "OpenRLHF/OpenRLHF 3c3be6234e0cb353e76bb8019947db9dfe99fca7" ;;
    mlx-lm) echo "ml-explore/mlx-lm d78bf58e217c904ec282ed8da9b947491f78c022 engines" ;;
    mlx-vlm) echo "Blaizzy/mlx-vlm 9b13f522a7f1d214f426c67bb292c9e1065e9108 engines" ;;
    Liger-Kernel) echo "linkedin/Liger-Kernel ead96b618e5c67bddc6a6e9bcb99bfe6b5ab661c engines" ;;
    axolotl) echo "axolotl-ai-cloud/axolotl 067b021c8b87a9e5e380b9173c704cf7340e30f5 engines" ;;
    llm-compressor) echo "vllm-project/llm-compressor ab1ba3effcafc15746cd6d6ca24cba3f7bd7a582 engines" ;;
    unsloth-zoo) echo "unslothai/unsloth-zoo ce232d6cef9cb8cd34cd3727906131622177436b engines" ;;
    Megatron-Bridge) echo "NVIDIA-NeMo/Megatron-Bridge 067f987df03b8355b03192d88d70f1709fedf51a engines" ;;
    exllamav2) echo "turboderp-org/exllamav2 da07facd10b5c7f35b03664c41a3090c9f093de5 engines" ;;
    AutoAWQ) echo "casper-hansen/AutoAWQ 88e4c76b20755db275574e6a03c83c84ba3bece5 engines" ;;
    optimum-quanto) echo "huggingface/optimum-quanto e33f8202e6c755256b7448789a5ed765c45d5105 engines" ;;
    llama.cpp) echo "unslothai/llama.cpp d32676d77426540327835040d5d3279728f0b4c8 converters" ;;
    NeMo) echo "NVIDIA/NeMo 8cfedd7203462cb251a914e700e5605444277561 converters scripts/checkpoint_converters/,nemo/collections/llm/gpt/model/" ;;
    Megatron-LM) echo "NVIDIA/Megatron-LM d98e8a64ddf34856e74b24714e3bedb2f5a39553 converters tools/checkpoint/" ;;
    executorch) echo "pytorch/executorch cff6f4dd32e630945b7188512c1f2b4f102b05ad converters examples/models/,extension/llm/" ;;
    optimum-executorch) echo "huggingface/optimum-executorch 02860798f27cfb58e19080c7994949928e6ac7fc converters" ;;
    *) return 1 ;;
  esac
}

# Whether a path lies under one of the comma-separated prefixes (none: every path does).
under() {
  local path="$1" prefixes="$2" p list
  [ -n "$prefixes" ] || return 0
  IFS=, read -ra list <<<"$prefixes"
  for p in "${list[@]}"; do [[ "$path" == "$p"* ]] && return 0; done
  return 1
}

MiB=$((1024 * 1024))

# Whether a tree entry is exported, from its path and size in bytes.
wanted() {
  local path="$1" size="$2" name="${1##*/}"
  # A blob the snapshot lacks has no size ("BAD"): skipped like a large one.
  [[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -le $((4 * MiB)) ] || return 1
  case "$name" in
    *.py | *.ipynb | .gitignore | config.json) return 0 ;;
    *.json) [ "$size" -lt "$MiB" ] ;;
    *) return 1 ;;
  esac
}

for arg in "$@"; do
  project="${arg%%=*}"
  spec="${arg#*=}"
  [ "$project" != "$arg" ] || { echo "expected <project>=<git dir>, got $arg" >&2; exit 2; }
  src="${spec%@*}"
  pin="$(pin_of "$project")" || { echo "unknown project $project" >&2; exit 2; }
  read -r repo pinned corpus prefixes <<<"$pin"
  out="$root/.cache/${corpus:-projects}"
  mkdir -p "$out"
  rev="$pinned"
  if [ "$spec" != "$src" ]; then rev="${spec##*@}"
  elif [ $any = 1 ]; then rev="HEAD"; fi
  git -C "$src" rev-parse --verify --quiet "$rev^{commit}" >/dev/null || { echo "no commit $rev in $src (pass --any-commit to export its HEAD)" >&2; exit 2; }
  commit="$(git -C "$src" rev-parse "$rev^{commit}")"
  if [ "$commit" != "$pinned" ] && [ $any = 0 ]; then
    echo "$project is pinned to $pinned, $src gives $commit: pass --any-commit to export it anyway" >&2
    exit 2
  fi
  dest="$out/$project"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  count=0
  # -z: paths with spaces or non-ASCII names come through unquoted.
  while IFS= read -r -d '' entry; do
    meta="${entry%%$'\t'*}"
    path="${entry#*$'\t'}"
    read -r mode type _ size <<<"$meta"
    [ "$type" = blob ] && [ "$mode" != 120000 ] || continue
    under "$path" "${prefixes:-}" && wanted "$path" "$size" || continue
    file="$dest.tmp/$path"
    mkdir -p "$(dirname "$file")"
    # Files the snapshot lacks (large blobs) are skipped rather than failing the export, and so is
    # anything that is not UTF-8 text (a NUL byte or an invalid sequence).
    if git -C "$src" cat-file blob "$commit:$path" >"$file" 2>/dev/null \
      && ! LC_ALL=C grep -qaP '\x00' "$file" && iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1; then
      count=$((count + 1))
    else
      rm -f "$file"
    fi
  done < <(git -C "$src" ls-tree -r -l -z "$commit")
  printf '{ "project": "%s", "repo": "%s", "commit": "%s", "files": %d }\n' "$project" "$repo" "$commit" "$count" >"$dest.tmp/SOURCE.json"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "exported $count files of $project ($repo@$commit) to $dest"
done
