#!/usr/bin/env bash
# Fetches the published modeling files of the remote-code families pinned in scripts/kb/remote.json into
# .cache/remote/<modelType>/ (with a SOURCE.json naming repository, commit and folder), where
# `npm run kb:extract-remote` reads them. The files are read, never committed here.
#
#   scripts/kb/fetch-remote.sh [<git mirrors folder>]
#
# Each file (config, modeling and the sibling modules) is `git show <commit>:<dir>/<file>` from
# <git mirrors folder>/<owner>+<name>/repo when that clone exists, else
# downloaded from raw.githubusercontent.com at the pinned commit. An entry whose modeling file is read
# from another repository (`modelingFrom`: a port, where the published file is out of reach) takes that
# file from there, at its own commit, recorded as modelingCommit in SOURCE.json.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
mirrors="${1:-}"
out="$root/.cache/remote"
mkdir -p "$out"

# One file of <repo> at <commit> into <to>: from the mirror when there is one, else from GitHub; a
# file that cannot be had stops the run, naming it.
get() {
  local repo="$1" commit="$2" path="$3" to="$4" git_dir="${mirrors:+$mirrors/${1/\//+}/repo}"
  if [ -n "$git_dir" ] && [ -d "$git_dir" ]; then
    git -C "$git_dir" show "$commit:$path" >"$to" 2>/dev/null && return
  else
    curl -fsSL "https://raw.githubusercontent.com/$repo/$commit/$path" -o "$to" 2>/dev/null && return
  fi
  echo "fetch-remote: cannot get $repo@$commit:$path (from ${git_dir:-GitHub})" >&2
  rm -rf "$(dirname "$to")"
  exit 1
}

node -e '
  const r = require(process.argv[1]);
  // An empty folder (the repository top) travels as "." so the fields stay positional.
  // The sibling modules follow the modeling file; a config class inside the modeling file is fetched once.
  // A modeling file from another repository travels as one token: @<repo>@<commit>@<path>@<file>.
  for (const f of r.families) {
    const m = f.modelingFrom;
    const files = new Set([f.config, ...(m ? [] : [f.modeling]), ...(f.modules ?? [])]);
    console.log([f.modelType, f.repo, f.commit, f.dir || ".", ...files, ...(m ? [`@${m.repo}@${m.commit}@${m.path}@${f.modeling}`] : [])].join(" "));
  }
' "$root/scripts/kb/remote.json" | while read -r type repo commit dir files; do
  [ "$dir" = "." ] && dir=""
  dest="$out/$type"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  extra=""
  for f in $files; do
    if [[ "$f" == @* ]]; then
      IFS=@ read -r _ mrepo mcommit mpath mfile <<<"$f"
      get "$mrepo" "$mcommit" "$mpath" "$dest.tmp/$mfile"
      extra=", \"modelingCommit\": \"$mcommit\""
    else
      get "$repo" "$commit" "${dir:+$dir/}$f" "$dest.tmp/$f"
    fi
  done
  printf '{ "repo": "%s", "commit": "%s", "dir": "%s"%s }\n' "$repo" "$commit" "$dir" "$extra" >"$dest.tmp/SOURCE.json"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "fetched $type from $repo@$commit:$dir"
done
