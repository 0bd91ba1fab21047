#!/usr/bin/env bash
# Idempotent install of the CSI pieces of the test clusters (see docs/test-environment.md):
# csi-provisioner, the csi-snapshotter sidecar and snapshot-controller, built from their Go
# modules at pinned releases, the snapshot CRDs copied out of the module cache, and the
# test's own host-path CSI driver (test/helpers/csi/hostpath-driver), built in the same
# wrapper module. The wrapper lives in $HOLDFAST_CACHE/csi/<versions>/src, binaries land in
# …/bin and the CRDs in …/crd. Nothing is written into the clone.
#
#   scripts/install-csi.sh             install what is missing
#   scripts/install-csi.sh --print-dir print the install folder (bin/, crd/) and exit
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${HOLDFAST_CACHE:-$HOME/.cache/holdfast-dev}"
# v6.4.0 needs sig-storage-lib-external-provisioner v13.1.0, which the module proxy refuses;
# v8.7.0 moved to the Kubernetes 1.37 libraries, v8.6.0 is the last release on 1.36.
provisioner_version="v6.3.0"
snapshotter_version="v8.6.0"
# The Kubernetes release of the control plane (scripts/install-kube.sh): external-provisioner
# imports k8s.io/kubernetes, and every staging module is pinned to the same minor.
kube_version="v1.36.3"
csi_dir="$cache/csi/provisioner-$provisioner_version-snapshotter-$snapshotter_version"
bin_dir="$csi_dir/bin"
crd_dir="$csi_dir/crd"
stamp="$csi_dir/.installed"
driver_src="$here/../test/helpers/csi/hostpath-driver"
driver_name="holdfast-hostpath"
driver_pkg="holdfast.dev/csi-build/cmd/$driver_name"
upstream=(
  "github.com/kubernetes-csi/external-provisioner/v6/cmd/csi-provisioner"
  "github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter"
  "github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller"
)

if [ "${1-}" = "--print-dir" ]; then
  echo "$csi_dir"
  exit 0
fi

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return; fi
  echo "install-csi: Go 1.26 or newer is needed to build the CSI sidecars (https://go.dev/dl/)" >&2
  exit 1
}

module_file() {
  local go="$1" module="$2" field="$3"
  "$go" mod download -json "$module" | sed -n 's/^[[:space:]]*"'"$field"'": "\(.*\)",\{0,1\}$/\1/p'
}

# Each upstream go.mod pins its k8s.io modules with replace directives, which a dependent
# module ignores; the wrapper pins every staging module of kubernetes $kube_version to the
# published v0.X.Y of the control plane's release instead (as scripts/install-kube.sh does).
write_wrapper_module() {
  local go="$1" src="$csi_dir/src" kube_mod staging_version="v0.${kube_version#v1.}"
  kube_mod="$(module_file "$go" "k8s.io/kubernetes@$kube_version" GoMod)"
  [ -f "$kube_mod" ] || { echo "install-csi: cannot download k8s.io/kubernetes@$kube_version" >&2; exit 1; }
  mkdir -p "$src/cmd/$driver_name"
  {
    echo "module holdfast.dev/csi-build"
    echo
    grep -E '^(go|godebug) ' "$kube_mod"
    echo
    echo "require ("
    echo "	github.com/kubernetes-csi/external-provisioner/v6 $provisioner_version"
    echo "	github.com/kubernetes-csi/external-snapshotter/v8 $snapshotter_version"
    echo "	github.com/kubernetes-csi/external-snapshotter/client/v8 $snapshotter_version"
    echo "	k8s.io/kubernetes $kube_version"
    echo ")"
    echo
    for pkg in "${upstream[@]}"; do echo "tool $pkg"; done
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/.*$#\t\1 => \1 '"$staging_version"'#p' "$kube_mod"
    echo ")"
  } >"$src/go.mod"
}

copy_driver_source() {
  local dest="$csi_dir/src/cmd/$driver_name"
  rm -f "$dest"/*.go
  cp "$driver_src"/*.go "$dest/"
}

driver_hash() {
  cat "$driver_src"/*.go | sha256sum | cut -d' ' -f1
}

# Runs go in the wrapper module; its output goes to build.log, whose end is shown on failure.
in_wrapper() {
  local log="$csi_dir/build.log"
  if ! (
    cd "$csi_dir/src"
    export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
    nice -n 10 "$@"
  ) >>"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "install-csi: '$*' failed; full log in $log" >&2
    exit 1
  fi
}

go_build() {
  local go="$1" out="$2" version="$3"; shift 3
  in_wrapper "$go" build -trimpath -ldflags "-s -w${version:+ -X main.version=$version}" -o "$out/" "$@"
}

copy_crds() {
  local go="$1" client_dir
  client_dir="$(module_file "$go" "github.com/kubernetes-csi/external-snapshotter/client/v8@$snapshotter_version" Dir)"
  rm -rf "$crd_dir.tmp" && mkdir -p "$crd_dir.tmp"
  cp "$client_dir"/config/crd/*.storage.k8s.io_*.yaml "$crd_dir.tmp/"
  chmod u+w "$crd_dir.tmp"/*.yaml
  rm -rf "$crd_dir" && mv "$crd_dir.tmp" "$crd_dir"
}

build_upstream() {
  local go="$1" tmp_bin="$csi_dir/bin.tmp" started=$SECONDS
  echo "install-csi: building csi-provisioner $provisioner_version, csi-snapshotter and snapshot-controller $snapshotter_version (cold build takes minutes)" >&2
  rm -rf "$tmp_bin" && mkdir -p "$tmp_bin"
  in_wrapper "$go" mod tidy
  go_build "$go" "$tmp_bin" "$provisioner_version" "${upstream[0]}"
  go_build "$go" "$tmp_bin" "$snapshotter_version" "${upstream[@]:1}"
  copy_crds "$go"
  mkdir -p "$bin_dir"
  mv "$tmp_bin"/* "$bin_dir/" && rmdir "$tmp_bin"
  echo "install-csi: built the sidecars in $((SECONDS - started))s into $bin_dir" >&2
}

build_driver() {
  local go="$1" hash="$2" tmp_bin="$csi_dir/driver.tmp" started=$SECONDS
  rm -rf "$tmp_bin" && mkdir -p "$tmp_bin"
  copy_driver_source
  in_wrapper "$go" mod tidy
  go_build "$go" "$tmp_bin" "" "$driver_pkg"
  mkdir -p "$bin_dir"
  mv "$tmp_bin/$driver_name" "$bin_dir/$driver_name" && rmdir "$tmp_bin"
  echo "$hash" >"$bin_dir/$driver_name.sha256"
  echo "install-csi: built $driver_name in $((SECONDS - started))s" >&2
}

have_upstream() {
  [ -f "$stamp" ] || return 1
  local pkg
  for pkg in "${upstream[@]}"; do [ -x "$bin_dir/${pkg##*/}" ] || return 1; done
}

have_driver() {
  [ -x "$bin_dir/$driver_name" ] && [ "$(cat "$bin_dir/$driver_name.sha256" 2>/dev/null)" = "$1" ]
}

ensure_csi() {
  local hash
  hash="$(driver_hash)"
  have_upstream && have_driver "$hash" && return
  mkdir -p "$csi_dir"
  # Two concurrent installs build once.
  exec 9>"$csi_dir/.lock"
  flock 9
  local go
  go="$(find_go)"
  : >"$csi_dir/build.log"
  if ! have_upstream; then
    rm -f "$stamp"
    write_wrapper_module "$go"
    copy_driver_source
    build_upstream "$go"
    touch "$stamp"
  fi
  have_driver "$hash" || build_driver "$go" "$hash"
}

ensure_csi
