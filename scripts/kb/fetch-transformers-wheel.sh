#!/usr/bin/env bash
# Fetches one released transformers wheel through pip and unpacks its package folder into
# .cache/transformers-wheel/<version>/transformers/, where `npm run kb:extract` reads it.
# transformers is Apache-2.0; the files are read, never committed here.
#
#   scripts/kb/fetch-transformers-wheel.sh <version> [--corpus]
#
# The pin is the wheel's version and its sha256, written to .cache/transformers-wheel/<version>/SOURCE.json:
# a wheel carries no git commit, so the knowledge base cites file:line @ transformers <version> (wheel sha256).
# With --corpus the modeling files are also exported to .cache/transformers/ (one folder per model), the
# layout test/transformers-corpus.test.ts lints.
set -euo pipefail

version="${1:?usage: $0 <version> [--corpus]}"
corpus="${2:-}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/transformers-wheel/$version"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pip download --quiet --no-deps --only-binary=:all: "transformers==$version" -d "$tmp"
wheel="$(ls "$tmp"/transformers-"$version"-*.whl)"
sha="$(sha256sum "$wheel" | cut -d' ' -f1)"

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
unzip -q "$wheel" 'transformers/*' -d "$out.tmp"
# The version the package itself declares must be the one asked for.
declared="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$out.tmp/transformers/__init__.py" | head -1)"
[ "$declared" = "$version" ] || { echo "wheel declares __version__ $declared, not $version" >&2; exit 2; }
printf '{ "package": "transformers", "version": "%s", "wheel": "%s", "sha256": "%s" }\n' "$version" "$(basename "$wheel")" "$sha" >"$out.tmp/SOURCE.json"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "unpacked $(basename "$wheel") (sha256 $sha) to $out/transformers"

if [ "$corpus" = "--corpus" ]; then
  dest="$root/.cache/transformers"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  count=0
  for f in "$out"/transformers/models/*/modeling_*.py; do
    model="$(basename "$(dirname "$f")")"
    mkdir -p "$dest.tmp/$model"
    cp "$f" "$dest.tmp/$model/"
    count=$((count + 1))
  done
  printf '{ "version": "%s", "wheel": "%s", "sha256": "%s", "files": %d }\n' "$version" "$(basename "$wheel")" "$sha" "$count" >"$dest.tmp/SOURCE.json"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "exported $count modeling files to $dest"
fi
