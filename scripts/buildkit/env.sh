# shellcheck shell=bash
# Every BK_* setting here is read by the scripts that source this file, none by this file itself:
# shellcheck disable=SC2034
# Shared settings for the local BuildKit environment (sourced by the other scripts).
# Everything the environment creates lives under .buildkit/ in the repository (gitignored).

BK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BK_STATE="${BK_ROOT}/.buildkit"
BK_RUN="${BK_STATE}/run"
BK_LOGS="${BK_STATE}/logs"

# Debian's CLI (it finds the buildx plugin in /usr/libexec/docker/cli-plugins). /usr/local/bin/docker may
# come first on PATH and has no buildx, so the scripts always call this one explicitly.
BK_DOCKER=/usr/bin/docker
BK_DOCKERD=/usr/sbin/dockerd

BK_DOCKERD_ROOT="${BK_STATE}/dockerd-data"
BK_DOCKERD_EXEC_ROOT="${BK_STATE}/dockerd-exec"
BK_DOCKERD_SOCK="${BK_RUN}/docker.sock"
BK_DOCKERD_PID="${BK_RUN}/dockerd.pid"
export DOCKER_HOST="unix://${BK_DOCKERD_SOCK}"
export DOCKER_CONFIG="${BK_STATE}/docker-config"
export DOCKER_CLI_HINTS=false
export BUILDX_NO_DEFAULT_ATTESTATIONS=1

BK_REGISTRY_ADDR="127.0.0.1:5000"
BK_REGISTRY_ROOT="${BK_STATE}/registry-data"
BK_REGISTRY_PID="${BK_RUN}/registry.pid"
BK_REPO="${BK_REGISTRY_ADDR}/voxpersona"
# RUN steps run on dockerd's default bridge; its gateway (pinned in daemon.json) is how they reach the
# wheel index on this host.
BK_BRIDGE_CIDR="172.17.0.1/16"
BK_BRIDGE_IP="${BK_BRIDGE_CIDR%/*}"

# Local PEP 503 index serving the stand-in torch wheel (bound to the bridge gateway only).
BK_WHEELS_DIR="${BK_STATE}/wheels"
BK_WHEELS_PORT=8765
BK_WHEELS_PID="${BK_RUN}/wheels.pid"
BK_TORCH_INDEX_URL="http://${BK_BRIDGE_IP}:${BK_WHEELS_PORT}/simple"

# Stand-in for python:3.10.11-slim (Docker Hub is not reachable here): what goes into it, and the tag
# derived from that, so a change of contents is a new tag.
BK_BASE_PACKAGES="python3,python3-pip,python-is-python3,python3-asyncpg,python3-yaml"
BK_BASE_ENV=("PIP_BREAK_SYSTEM_PACKAGES=1" "PIP_NO_INDEX=1" "PIP_TRUSTED_HOST=${BK_BRIDGE_IP}" "LANG=C.UTF-8")
BK_BASE_KEY="$(printf '%s\n' bookworm minbase "${BK_BASE_PACKAGES}" "${BK_BASE_ENV[@]}" | sha256sum | cut -c1-12)"
BK_BASE_IMAGE="${BK_REPO}/base:bookworm-${BK_BASE_KEY}"

bk_log() { printf '[buildkit] %s\n' "$*" >&2; }
bk_die() {
  printf '[buildkit] ERROR: %s\n' "$*" >&2
  exit 1
}

# bk_wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s until it succeeds.
bk_wait_for() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.5
  done
  bk_log "${what} ready"
}

# bk_pid_alive PIDFILE: the recorded process is still running.
bk_pid_alive() {
  local pidfile="$1" pid
  [[ -s "${pidfile}" ]] || return 1
  pid="$(cat "${pidfile}")"
  kill -0 "${pid}" 2>/dev/null
}

# bk_stop_pid PIDFILE NAME: SIGTERM the recorded PID, wait up to 30 s, then SIGKILL that PID only.
bk_stop_pid() {
  local pidfile="$1" name="$2" pid i
  if ! bk_pid_alive "${pidfile}"; then
    rm -f "${pidfile}"
    return 0
  fi
  pid="$(cat "${pidfile}")"
  bk_log "stopping ${name} (pid ${pid})"
  kill -TERM "${pid}" 2>/dev/null || true
  for ((i = 0; i < 60; i++)); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "${pid}" 2>/dev/null; then
    bk_log "${name} (pid ${pid}) did not exit after 30 s, sending SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 1
  fi
  rm -f "${pidfile}"
}

mkdir -p "${BK_RUN}" "${BK_LOGS}" "${DOCKER_CONFIG}"
