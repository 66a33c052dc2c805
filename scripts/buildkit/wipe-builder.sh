#!/usr/bin/env bash
# Gives the next build an empty builder: stops dockerd, deletes its data root (image store, containerd
# content, BuildKit's local cache and cache mounts) and starts it again. Any cache hit after this must come
# from the registry. `docker builder prune -af` alone would leave the image store in place.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

bk_stop_dockerd
rm -rf "${BK_DOCKERD_ROOT}" "${BK_DOCKERD_EXEC_ROOT}"
[[ ! -e "${BK_DOCKERD_ROOT}" ]] || bk_die "could not delete ${BK_DOCKERD_ROOT}"
bk_start_dockerd
bk_start_wheels
