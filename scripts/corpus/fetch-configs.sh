#!/usr/bin/env bash
# Exports the real config.json files pinned in scripts/corpus/configs.json into .cache/configs/, where
# test/nl002-survey.test.ts lints them (it skips, loudly, when the cache is absent). The files are read,
# never committed here (.cache/ is git-ignored).
#
#   scripts/corpus/fetch-configs.sh [<git mirrors folder>]
#
# Each file is `git show <commit>:<path>` from <git mirrors folder>/<owner>+<name>/repo when that clone
# exists, else downloaded from raw.githubusercontent.com at the pinned commit. It lands in
# .cache/configs/<owner>+<name>/<commit>/<path>; SOURCE.json lists what was exported and what was not.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
mirrors="${1:-}"
out="$root/.cache/configs"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"

ok=0
missing=0
while read -r repo commit path; do
  dest="$out.tmp/${repo/\//+}/$commit/$path"
  mkdir -p "$(dirname "$dest")"
  git_dir="${mirrors:+$mirrors/${repo/\//+}/repo}"
  if [ -n "$git_dir" ] && [ -d "$git_dir" ] && git -C "$git_dir" show "$commit:$path" >"$dest" 2>/dev/null; then
    ok=$((ok + 1))
  elif curl -fsSL "https://raw.githubusercontent.com/$repo/$commit/$path" -o "$dest" 2>/dev/null; then
    ok=$((ok + 1))
  else
    rm -f "$dest"
    echo "not exported: $repo@$commit:$path" >&2
    missing=$((missing + 1))
  fi
done < <(node -e '
  const r = require(process.argv[1]);
  for (const c of r.configs) console.log([c.repo, c.commit, c.path].join(" "));
' "$root/scripts/corpus/configs.json")

printf '{ "list": "scripts/corpus/configs.json", "exported": %d, "missing": %d }\n' "$ok" "$missing" >"$out.tmp/SOURCE.json"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "exported $ok config.json files to $out ($missing not reachable)"
