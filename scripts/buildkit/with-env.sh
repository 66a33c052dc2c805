#!/usr/bin/env bash
# with-env.sh NAME COMMAND...: runs COMMAND on a fresh local BuildKit environment and tears it down.
# Installs and starts what is needed (up.sh), empties the registry's cache repositories so a cold build is
# cold, re-pushes the base image if the registry lost it, exports the BK_* settings the TypeScript side
# reads, and stops every daemon it started (by PID) on exit, failure included.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/daemons.sh"

name="$1"
shift

cleanup() {
  local rc=$?
  bash "${here}/down.sh" || rc=1
  exit "${rc}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=${SECONDS}
bash "${here}/up.sh"
bash "${here}/reset-registry.sh"
bash "${here}/base-image.sh"

export BK_ROOT BK_DOCKER BK_REGISTRY_ADDR BK_BASE_IMAGE BK_TORCH_INDEX_URL
cd "${BK_ROOT}"
"$@"
bk_log "${name} finished in $((SECONDS - start)) s"
