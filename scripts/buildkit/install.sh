#!/usr/bin/env bash
# Installs what the local BuildKit environment needs, from Debian only (idempotent):
# - bookworm: docker-registry (distribution 2.8), debootstrap, curl, iproute2, python3 (wheel index);
# - trixie: docker.io 26.1, docker-cli 26.1, docker-buildx 0.13 (bookworm's docker.io 20.10 only does
#   inline cache), docker-compose 2 (the CLI plugin that validates compose.yaml; bookworm only has v1). They are fetched with a separate sources list so the system's apt sources stay as they are.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[[ "$(id -u)" == 0 ]] || bk_die "install needs root (apt-get); run as root or install the packages by hand"
export DEBIAN_FRONTEND=noninteractive

need_bookworm=()
for pkg in docker-registry debootstrap curl ca-certificates iproute2 python3; do
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" || need_bookworm+=("${pkg}")
done
if ((${#need_bookworm[@]})); then
  bk_log "installing from bookworm: ${need_bookworm[*]}"
  apt-get update -qq || bk_die "apt-get update failed (is the Debian mirror reachable?)"
  apt-get install -y -qq --no-install-recommends "${need_bookworm[@]}" >/dev/null ||
    bk_die "apt-get install ${need_bookworm[*]} failed"
fi

have_version() { # PKG MIN_MAJOR: installed with an upstream major version >= MIN_MAJOR
  local v
  v="$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null)" || return 1
  v="${v#*:}"
  [[ -n "$v" ]] && (( ${v%%.*} >= $2 ))
}
if have_version docker.io 26 && have_version docker-cli 26 && have_version docker-buildx 0 &&
  [[ -x /usr/libexec/docker/cli-plugins/docker-buildx ]] && have_version docker-compose 2 &&
  [[ -x /usr/libexec/docker/cli-plugins/docker-compose ]]; then
  exit 0
fi

bk_log "fetching docker.io, docker-cli, docker-buildx and docker-compose from trixie (separate sources list)"
apt_dir="${BK_STATE}/apt-trixie"
mkdir -p "${apt_dir}/lists/partial" "${apt_dir}/cache/archives/partial" "${apt_dir}/debs"
cat >"${apt_dir}/sources.list" <<'LIST'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
LIST
apt_opts=(
  -o "Dir::Etc::SourceList=${apt_dir}/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=${apt_dir}/lists"
  -o "Dir::Cache=${apt_dir}/cache"
)
apt-get "${apt_opts[@]}" update -qq || bk_die "apt-get update for trixie failed"
rm -f "${apt_dir}"/debs/*.deb
(cd "${apt_dir}/debs" && apt-get "${apt_opts[@]}" download docker.io/trixie docker-cli/trixie docker-buildx/trixie docker-compose/trixie) ||
  bk_die "apt-get download of the trixie docker packages failed"
apt-get install -y -qq --no-install-recommends "${apt_dir}"/debs/*.deb >/dev/null ||
  bk_die "installing the trixie docker .debs failed"
[[ -x "${BK_DOCKER}" && -x "${BK_DOCKERD}" ]] || bk_die "${BK_DOCKER} or ${BK_DOCKERD} missing after install"
"${BK_DOCKER}" buildx version >&2 || bk_die "docker buildx plugin not usable"
"${BK_DOCKER}" compose version >&2 || bk_die "docker compose plugin not usable"
