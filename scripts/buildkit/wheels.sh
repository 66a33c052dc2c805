#!/usr/bin/env bash
# Creates the local PEP 503 index (.buildkit/wheels/simple/) with the stand-in torch wheel, once.
# TORCH_STANDIN_MIB (default 350) sets the size of its incompressible payload.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

version="${TORCH_STANDIN_VERSION:-2.5.1}"
mib="${TORCH_STANDIN_MIB:-350}"
stamp="${BK_WHEELS_DIR}/.stamp"
if [[ -s "${BK_WHEELS_DIR}/simple/torch/index.html" && "$(cat "${stamp}" 2>/dev/null)" == "${version} ${mib}" ]]; then
  exit 0
fi
rm -rf "${BK_WHEELS_DIR}"
mkdir -p "${BK_WHEELS_DIR}"
bk_log "writing stand-in torch ${version} wheel (${mib} MiB incompressible) to ${BK_WHEELS_DIR}/simple"
python3 "$(dirname "${BASH_SOURCE[0]}")/make-wheels.py" "${BK_WHEELS_DIR}" "${version}" "${mib}" >/dev/null ||
  bk_die "writing the stand-in wheel failed"
echo "${version} ${mib}" >"${stamp}"
