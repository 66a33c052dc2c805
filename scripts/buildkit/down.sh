#!/usr/bin/env bash
# Stops what up.sh started, by the PIDs recorded in .buildkit/run/ (never by process name). Keeps the data
# (registry content, base tarball, wheels) for the next run; `down.sh --purge` deletes .buildkit/ as well.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

bk_stop_wheels
bk_stop_dockerd
bk_stop_registry
if [[ "${1:-}" == "--purge" ]]; then
  bk_log "deleting ${BK_STATE}"
  rm -rf "${BK_STATE}"
fi
bk_log "down"
