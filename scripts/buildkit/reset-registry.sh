#!/usr/bin/env bash
# Empties the local registry except the stand-in base image, so a "cold" build really finds no cache:
# stops the registry, deletes every repository but voxpersona/base, garbage-collects the orphaned blobs
# and starts it again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

repos="${BK_REGISTRY_ROOT}/docker/registry/v2/repositories"
bk_stop_registry
if [[ -d "${repos}" ]]; then
  find "${repos}" -mindepth 1 -maxdepth 1 ! -name voxpersona -exec rm -rf {} +
  if [[ -d "${repos}/voxpersona" ]]; then
    find "${repos}/voxpersona" -mindepth 1 -maxdepth 1 ! -name base -exec rm -rf {} +
  fi
  docker-registry garbage-collect "${BK_STATE}/registry.yml" >"${BK_LOGS}/registry-gc.log" 2>&1 ||
    bk_die "registry garbage-collect failed; see ${BK_LOGS}/registry-gc.log"
fi
bk_start_registry
bk_log "registry reset (kept ${BK_BASE_IMAGE%:*})"
