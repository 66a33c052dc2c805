#!/usr/bin/env bash
# Brings up the local BuildKit environment (idempotent): installs the Debian packages if missing, starts
# the registry (127.0.0.1:5000) and dockerd (own socket, data root and exec root under .buildkit/), pushes
# the stand-in base image and starts the local wheel index. Stop it with down.sh.
#
# For other shells:  eval "$(bash scripts/buildkit/up.sh --print-env)"  exports DOCKER_HOST etc.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "${here}/daemons.sh"

bash "${here}/install.sh"
bk_start_registry
bk_start_dockerd
bash "${here}/base-image.sh"
bash "${here}/wheels.sh"
bk_start_wheels

if [[ "${1:-}" == "--print-env" ]]; then
  printf 'export DOCKER_HOST=%q DOCKER_CONFIG=%q BUILDX_NO_DEFAULT_ATTESTATIONS=1\n' "${DOCKER_HOST}" "${DOCKER_CONFIG}"
  printf 'alias docker=%q\n' "${BK_DOCKER}"
else
  bk_log "up: registry ${BK_REGISTRY_ADDR}, dockerd ${DOCKER_HOST}, base ${BK_BASE_IMAGE}, torch index ${BK_TORCH_INDEX_URL}"
  bk_log "use: DOCKER_HOST=${DOCKER_HOST} ${BK_DOCKER} buildx ..."
fi
