#!/usr/bin/env bash
# Fetches the published modeling files of the remote-code families pinned in scripts/kb/remote.json into
# .cache/remote/<modelType>/ (with a SOURCE.json naming repository, commit and folder), where
# `npm run kb:extract-remote` reads them. The files are read, never committed here.
#
#   scripts/kb/fetch-remote.sh [<git mirrors folder>]
#
# Each file (config, modeling and the sibling modules) is `git show <commit>:<dir>/<file>` from
# <git mirrors folder>/<owner>+<name>/repo when that clone exists, else
# downloaded from raw.githubusercontent.com at the pinned commit.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
mirrors="${1:-}"
out="$root/.cache/remote"
mkdir -p "$out"

node -e '
  const r = require(process.argv[1]);
  // An empty folder (the repository top) travels as "." so the fields stay positional.
  // The sibling modules follow the modeling file; a config class inside the modeling file is fetched once.
  for (const f of r.families) console.log([f.modelType, f.repo, f.commit, f.dir || ".", ...new Set([f.config, f.modeling, ...(f.modules ?? [])])].join(" "));
' "$root/scripts/kb/remote.json" | while read -r type repo commit dir files; do
  [ "$dir" = "." ] && dir=""
  dest="$out/$type"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  git_dir="${mirrors:+$mirrors/${repo/\//+}/repo}"
  for f in $files; do
    if [ -n "$git_dir" ] && [ -d "$git_dir" ]; then
      git -C "$git_dir" show "$commit:${dir:+$dir/}$f" >"$dest.tmp/$f"
    else
      curl -fsSL "https://raw.githubusercontent.com/$repo/$commit/${dir:+$dir/}$f" -o "$dest.tmp/$f"
    fi
  done
  printf '{ "repo": "%s", "commit": "%s", "dir": "%s" }\n' "$repo" "$commit" "$dir" >"$dest.tmp/SOURCE.json"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "fetched $type from $repo@$commit:$dir"
done
