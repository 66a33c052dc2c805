#!/usr/bin/env bash
# npm run test:build: real builds of the fixture app with BuildKit and a registry.
# Installs and starts what it needs (scripts/buildkit/up.sh), empties the registry's cache repositories,
# runs test/build/*.build.ts, and stops every daemon it started (by PID) on exit, failure included.
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
bash "${here}/base-image.sh" # re-pushes the base if the registry lost it

export BK_ROOT BK_DOCKER BK_REGISTRY_ADDR BK_BASE_IMAGE BK_TORCH_INDEX_URL
cd "${BK_ROOT}"
npx mocha --config test/build/.mocharc.json "$@"
bk_log "test:build passed in $((SECONDS - start)) s"
