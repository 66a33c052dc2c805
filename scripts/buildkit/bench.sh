#!/usr/bin/env bash
# npm run bench:cache: the cache bench (scripts/buildkit/bench.ts) on the local BuildKit environment.
# Installs and starts what it needs, empties the registry's cache repositories so "cold" is cold, runs
# every setup and scenario in one go, writes bench/results/, and stops the daemons (by PID) on exit.
# BENCH_SETUPS=per-stage,inline limits the setups (default: all four).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/daemons.sh"

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
npx ts-node --transpile-only scripts/buildkit/bench.ts
bk_log "bench:cache finished in $((SECONDS - start)) s"
