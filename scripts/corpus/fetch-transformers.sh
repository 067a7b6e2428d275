#!/usr/bin/env bash
# Exports transformers' modeling files from a local git checkout or mirror into .cache/transformers/,
# where test/transformers-corpus.test.ts lints them (it skips, loudly, when the cache is absent).
# transformers is Apache-2.0; the files are read, never committed here.
#
#   scripts/corpus/fetch-transformers.sh <git-dir-or-work-tree> [revision]
#
# The revision defaults to HEAD. Nothing is downloaded: point it at a clone you already have.
set -euo pipefail

src="${1:?usage: $0 <git-dir-or-work-tree> [revision]}"
rev="${2:-HEAD}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/transformers"

git -C "$src" rev-parse --verify --quiet "$rev^{commit}" >/dev/null || { echo "no commit $rev in $src" >&2; exit 2; }
commit="$(git -C "$src" rev-parse "$rev^{commit}")"

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
count=0
while IFS= read -r path; do
  model="$(basename "$(dirname "$path")")"
  mkdir -p "$out.tmp/$model"
  git -C "$src" show "$commit:$path" >"$out.tmp/$model/$(basename "$path")"
  count=$((count + 1))
done < <(git -C "$src" ls-tree -r --name-only "$commit" -- src/transformers/models/ | grep -E '^src/transformers/models/[^/]+/modeling_[a-z0-9_]+\.py$')

version="$(git -C "$src" show "$commit:src/transformers/__init__.py" 2>/dev/null | sed -n 's/^__version__ = "\(.*\)"/\1/p' | head -1)"
printf '{ "commit": "%s", "version": "%s", "files": %d }\n' "$commit" "${version:-unknown}" "$count" >"$out.tmp/SOURCE.json"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "exported $count modeling files of transformers ${version:-?} ($commit) to $out"
