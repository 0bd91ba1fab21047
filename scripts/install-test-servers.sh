#!/usr/bin/env bash
# Builds the test servers that come from Go modules (MinIO; kube-apiserver and
# kube-controller-manager; the CSI sidecars and the test's host-path CSI driver) side by
# side: their module downloads overlap, which matters on a fresh machine. Each script is
# idempotent and caches in $HOLDFAST_CACHE.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/install-minio.sh" & minio=$!
"$here/install-kube.sh" & kube=$!
"$here/install-csi.sh" & csi=$!
status=0
wait "$minio" || status=$?
wait "$kube" || status=$?
wait "$csi" || status=$?
exit "$status"
