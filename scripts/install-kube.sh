#!/usr/bin/env bash
# Idempotent install of the test control plane (see docs/adr/0012-test-control-plane.md):
# etcd from Debian's etcd-server package, and kube-apiserver + kube-controller-manager
# built from the k8s.io/kubernetes Go module at a pinned release. The build happens in a
# wrapper module generated under $HOLDFAST_CACHE/kube/<version>/src; the binaries land
# in $HOLDFAST_CACHE/kube/<version>/bin. Nothing is written into the clone.
#
#   scripts/install-kube.sh                 install what is missing
#   scripts/install-kube.sh --print-bin-dir print the binaries' folder and exit
set -euo pipefail
cache="${HOLDFAST_CACHE:-$HOME/.cache/holdfast-dev}"
kube_version="v1.36.3"
kube_dir="$cache/kube/$kube_version"
bin_dir="$kube_dir/bin"
commands=(kube-apiserver kube-controller-manager)

if [ "${1-}" = "--print-bin-dir" ]; then
  echo "$bin_dir"
  exit 0
fi

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return; fi
  echo "install-kube: Go 1.26 or newer is needed to build kube-apiserver (https://go.dev/dl/)" >&2
  exit 1
}

ensure_etcd() {
  command -v etcd >/dev/null 2>&1 && return
  echo "install-kube: apt-get install etcd-server" >&2
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
}

have_binaries() {
  local name
  for name in "${commands[@]}"; do [ -x "$bin_dir/$name" ] || return 1; done
}

# go.mod of the wrapper: kubernetes' own go.mod replaces every k8s.io staging module with
# ./staging/src/...; those folders are not part of the published module, so each is
# replaced with the published staging module of the same minor (v1.X.Y -> v0.X.Y).
write_wrapper_module() {
  local go="$1" src="$kube_dir/src" kube_mod staging_version="v0.${kube_version#v1.}"
  kube_mod="$("$go" mod download -json "k8s.io/kubernetes@$kube_version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  [ -f "$kube_mod" ] || { echo "install-kube: cannot download k8s.io/kubernetes@$kube_version" >&2; exit 1; }
  mkdir -p "$src"
  {
    echo "module holdfast.dev/kube-build"
    echo
    grep -E '^(go|godebug) ' "$kube_mod"
    echo
    echo "require k8s.io/kubernetes $kube_version"
    echo
    for name in "${commands[@]}"; do echo "tool k8s.io/kubernetes/cmd/$name"; done
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/.*$#\t\1 => \1 '"$staging_version"'#p' "$kube_mod"
    echo ")"
  } >"$src/go.mod"
}

build_binaries() {
  local go="$1" src="$kube_dir/src" tmp_bin="$kube_dir/bin.tmp" minor="${kube_version#v1.}"
  minor="${minor%%.*}"
  local pkg ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  local targets=()
  for name in "${commands[@]}"; do targets+=("k8s.io/kubernetes/cmd/$name"); done
  echo "install-kube: building ${commands[*]} $kube_version (cold build takes minutes)" >&2
  local started=$SECONDS
  (
    cd "$src"
    export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
    "$go" mod tidy
    rm -rf "$tmp_bin" && mkdir -p "$tmp_bin"
    "$go" build -trimpath -ldflags "$ldflags" -o "$tmp_bin/" "${targets[@]}"
  )
  rm -rf "$bin_dir" && mv "$tmp_bin" "$bin_dir"
  echo "install-kube: built in $((SECONDS - started))s into $bin_dir" >&2
}

ensure_kube() {
  have_binaries && return
  mkdir -p "$kube_dir"
  # Two concurrent installs (e.g. parallel CI steps) build once.
  exec 9>"$kube_dir/.lock"
  flock 9
  have_binaries && return
  local go
  go="$(find_go)"
  write_wrapper_module "$go"
  build_binaries "$go"
}

ensure_etcd
ensure_kube
