#!/usr/bin/env bash
# Idempotently builds the pinned MinIO release that the S3 integration tests run against
# (see docs/adr/0011-test-s3-server.md). MinIO publishes no semver tags, so the pin is the
# Go module proxy's pseudo-version of one commit. The binary lands in
# $HOLDFAST_CACHE/minio/<version>/minio, outside the clone; test/helpers/minio.ts looks
# for it there. Nothing is rebuilt when that file exists.
set -euo pipefail
version="v0.0.0-20260212201848-7aac2a2c5b7c"
cache="${HOLDFAST_CACHE:-$HOME/.cache/holdfast-dev}"
dir="$cache/minio/$version"
bin="$dir/minio"

if [ -x "$bin" ]; then
  echo "install-minio: minio $version present at $bin"
  exit 0
fi

go_cmd="$(command -v go || true)"
if [ -z "$go_cmd" ] && [ -x /usr/local/go/bin/go ]; then go_cmd=/usr/local/go/bin/go; fi
if [ -z "$go_cmd" ]; then
  echo "install-minio: Go toolchain not found (need go >= 1.24 on PATH or at /usr/local/go/bin/go)" >&2
  exit 1
fi

mkdir -p "$dir"
tmp="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
# GOTOOLCHAIN=local: build with the Go that is here instead of fetching the one go.mod names.
if ! GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local \
  "$go_cmd" install -trimpath -ldflags='-s -w' "github.com/minio/minio@$version" >"$tmp/build.log" 2>&1; then
  cat "$tmp/build.log" >&2
  echo "install-minio: building minio $version failed" >&2
  exit 1
fi
mv "$tmp/minio" "$bin"
echo "install-minio: built minio $version into $bin in $((SECONDS - start))s"
