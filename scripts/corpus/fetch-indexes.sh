#!/usr/bin/env bash
# Exports the real checkpoint indexes and the config.json beside each, pinned in
# scripts/corpus/indexes.json, into .cache/indexes/, where test/index-survey.test.ts lints them (it
# skips, loudly, when the cache is absent). The files are read, never committed here (.cache/ is
# git-ignored).
#
#   scripts/corpus/fetch-indexes.sh [<git mirrors folder>]
#
# Each file is `git show <commit>:<path>` from <git mirrors folder>/<owner>+<name>/repo when that clone
# exists, else downloaded from raw.githubusercontent.com at the pinned commit. It lands in
# .cache/indexes/<owner>+<name>/<commit>/<path>; SOURCE.json counts the pairs exported and not.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
mirrors="${1:-}"
out="$root/.cache/indexes"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"

export_file() { # repo commit path -> 0 when exported
  local repo="$1" commit="$2" path="$3"
  local dest="$out.tmp/${repo/\//+}/$commit/$path"
  mkdir -p "$(dirname "$dest")"
  local git_dir="${mirrors:+$mirrors/${repo/\//+}/repo}"
  if [ -n "$git_dir" ] && [ -d "$git_dir" ] && git -C "$git_dir" show "$commit:$path" >"$dest" 2>/dev/null; then
    return 0
  elif curl -fsSL "https://raw.githubusercontent.com/$repo/$commit/$path" -o "$dest" 2>/dev/null; then
    return 0
  fi
  rm -f "$dest"
  return 1
}

ok=0
missing=0
while read -r repo commit index config; do
  if export_file "$repo" "$commit" "$index" && export_file "$repo" "$commit" "$config"; then
    ok=$((ok + 1))
  else
    rm -f "$out.tmp/${repo/\//+}/$commit/$index" "$out.tmp/${repo/\//+}/$commit/$config"
    echo "not exported: $repo@$commit:$index" >&2
    missing=$((missing + 1))
  fi
done < <(node -e '
  const r = require(process.argv[1]);
  for (const p of r.pairs) console.log([p.repo, p.commit, p.index, p.config].join(" "));
' "$root/scripts/corpus/indexes.json")

printf '{ "list": "scripts/corpus/indexes.json", "exported": %d, "missing": %d }\n' "$ok" "$missing" >"$out.tmp/SOURCE.json"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "exported $ok index/config pairs to $out ($missing not reachable)"
