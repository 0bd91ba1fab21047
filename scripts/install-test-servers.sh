#!/usr/bin/env bash
# Builds the test servers that come from Go modules (MinIO; kube-apiserver and
# kube-controller-manager) side by side: their module downloads overlap, which matters on
# a fresh machine. Each script is idempotent and caches in $HOLDFAST_CACHE.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install-minio.sh" & minio=$!
"$here/install-kube.sh" & kube=$!
status=0
wait "$minio" || status=$?
wait "$kube" || status=$?
exit "$status"
