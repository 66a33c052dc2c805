#!/usr/bin/env bash
# Builds the stand-in for python:3.10.11-slim (Docker Hub is not reachable here) and pushes it to the local
# registry as ${BK_BASE_IMAGE}: Debian bookworm minbase + python3 + pip, plus the Debian packages that
# satisfy the fixture's requirements offline. The rootfs tarball is cached under .buildkit/base/.
#  - PIP_BREAK_SYSTEM_PACKAGES=1: Debian's pip refuses to install next to apt packages otherwise
#    (python:*-slim has no such marker).
#  - PIP_NO_INDEX=1: pip never waits on the unreachable PyPI; only steps that pass an index on purpose
#    (the torch step, with PIP_NO_INDEX=0) reach one.
#  - PIP_TRUSTED_HOST=<bridge gateway>: pip accepts plain HTTP only from localhost; RUN steps reach the
#    local wheel index through the bridge gateway.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/daemons.sh"

packages="${BK_BASE_PACKAGES}"
base_dir="${BK_STATE}/base"
key="$(printf '%s' "bookworm minbase ${packages}" | sha256sum | cut -c1-12)"
tarball="${base_dir}/rootfs-${key}.tar"

repo_path="${BK_BASE_IMAGE#*/}"
repo_name="${repo_path%:*}"
repo_tag="${repo_path##*:}"
if curl -fsS -o /dev/null \
  -H "Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" \
  "http://${BK_REGISTRY_ADDR}/v2/${repo_name}/manifests/${repo_tag}" 2>/dev/null; then
  bk_log "base image ${BK_BASE_IMAGE} already in the registry"
  exit 0
fi

if [[ ! -s "${tarball}" ]]; then
  command -v debootstrap >/dev/null || bk_die "debootstrap is not installed (run scripts/buildkit/install.sh)"
  rootfs="${base_dir}/rootfs"
  rm -rf "${rootfs}"
  mkdir -p "${rootfs}"
  bk_log "debootstrap bookworm minbase (+${packages}) into ${rootfs} (about a minute)"
  debootstrap --variant=minbase --include="${packages}" bookworm "${rootfs}" http://deb.debian.org/debian \
    >"${BK_LOGS}/debootstrap.log" 2>&1 || bk_die "debootstrap failed; see ${BK_LOGS}/debootstrap.log"
  rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/archives/*.deb "${rootfs}"/var/log/*.log
  tar -C "${rootfs}" --numeric-owner -cf "${tarball}.tmp" . || bk_die "tar of ${rootfs} failed"
  mv "${tarball}.tmp" "${tarball}"
  rm -rf "${rootfs}"
fi

bk_start_registry
bk_start_dockerd
bk_log "importing ${tarball} as ${BK_BASE_IMAGE}"
changes=()
for kv in "${BK_BASE_ENV[@]}"; do
  changes+=(--change "ENV ${kv}")
done
"${BK_DOCKER}" import "${changes[@]}" --change 'CMD ["python3"]' "${tarball}" "${BK_BASE_IMAGE}" >/dev/null || bk_die "docker import failed"
"${BK_DOCKER}" push -q "${BK_BASE_IMAGE}" >/dev/null || bk_die "docker push ${BK_BASE_IMAGE} failed"
bk_log "pushed ${BK_BASE_IMAGE}"
