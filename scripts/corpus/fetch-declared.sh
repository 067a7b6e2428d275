#!/usr/bin/env bash
# Exports the files of other projects that *declare* norm conventions (adapters, kernel bindings,
# weight converters) from local git checkouts or mirrors into .cache/declared/<project>/, where
# test/declared-corpus.test.ts lints them (it skips, loudly, when the cache is absent). The files
# are read, never committed here (.cache/ is git-ignored); docs/findings.md records what was found.
#
#   scripts/corpus/fetch-declared.sh <project>=<git-dir-or-work-tree>[@revision] ...
#
# Projects and the paths taken from each (a revision defaults to HEAD):
#   transformerlens  TransformerLensOrg/TransformerLens: bridge adapters, pretrained weight conversions
#   liger-kernel     linkedin/Liger-Kernel: monkey_patch.py, rms_norm.py, layer_norm.py
#   axolotl          axolotl-ai-cloud/axolotl: its Liger integration, kernels and monkeypatches
#   litgpt           Lightning-AI/litgpt: config.py, model.py, the conversion scripts
#   gemma_pytorch    google/gemma_pytorch: gemma/*.py
#   mlx-lm           ml-explore/mlx-lm: mlx_lm/models/*.py
#   llama.cpp        ggml-org/llama.cpp (or a mirror of it): convert_hf_to_gguf.py and conversion/*.py
#
# Nothing is downloaded: point it at clones you already have. Existing projects not named on the
# command line are kept, so the cache can be filled one project at a time.
set -euo pipefail

[ $# -gt 0 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/declared"
mkdir -p "$out"

paths_of() {
  case "$1" in
    transformerlens) echo '^transformer_lens/(model_bridge/supported_architectures/[^/]+\.py|pretrained/weight_conversions/[^/]+\.py|loading_from_pretrained\.py|factories/architecture_adapter_factory\.py|weight_processing\.py)$' ;;
    liger-kernel) echo '^src/liger_kernel/transformers/(monkey_patch|rms_norm|layer_norm)\.py$' ;;
    axolotl) echo '^src/axolotl/(integrations/liger/.+|kernels/.+|monkeypatch/.+)\.py$' ;;
    litgpt) echo '^litgpt/(config|model|scripts/convert_[a-z_]+)\.py$' ;;
    gemma_pytorch) echo '^gemma/[^/]+\.py$' ;;
    mlx-lm) echo '^mlx_lm/models/[^/]+\.py$' ;;
    llama.cpp) echo '^(convert_hf_to_gguf\.py|conversion/[^/]+\.py)$' ;;
    *) return 1 ;;
  esac
}

for arg in "$@"; do
  project="${arg%%=*}"
  spec="${arg#*=}"
  src="${spec%@*}"
  rev="HEAD"
  [ "$spec" != "$src" ] && rev="${spec##*@}"
  pattern="$(paths_of "$project")" || { echo "unknown project $project" >&2; exit 2; }
  git -C "$src" rev-parse --verify --quiet "$rev^{commit}" >/dev/null || { echo "no commit $rev in $src" >&2; exit 2; }
  commit="$(git -C "$src" rev-parse "$rev^{commit}")"
  dest="$out/$project"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  count=0
  while IFS= read -r path; do
    mkdir -p "$dest.tmp/$(dirname "$path")"
    # Files the snapshot lacks (large blobs) are skipped rather than failing the export.
    if git -C "$src" show "$commit:$path" >"$dest.tmp/$path" 2>/dev/null; then count=$((count + 1)); else rm -f "$dest.tmp/$path"; fi
  done < <(git -C "$src" ls-tree -r --name-only "$commit" | grep -E "$pattern")
  printf '{ "project": "%s", "commit": "%s", "files": %d }\n' "$project" "$commit" "$count" >"$dest.tmp/SOURCE.json"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "exported $count files of $project ($commit) to $dest"
done
