# shellcheck shell=bash
# Start/stop helpers for the registry, dockerd and the wheel index. Every daemon is started with a plain
# `nohup CMD &` so `$!` is the daemon itself, recorded in .buildkit/run/*.pid, and stopped by that PID only.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bk_registry_ready() { curl -fsS -o /dev/null "http://${BK_REGISTRY_ADDR}/v2/" 2>/dev/null; }

bk_start_registry() {
  if bk_pid_alive "${BK_REGISTRY_PID}" && bk_registry_ready; then
    return 0
  fi
  if bk_registry_ready; then
    bk_die "something else already answers on ${BK_REGISTRY_ADDR} (not started by this repo); stop it first"
  fi
  command -v docker-registry >/dev/null || bk_die "docker-registry is not installed (run scripts/buildkit/install.sh)"
  mkdir -p "${BK_REGISTRY_ROOT}"
  cat >"${BK_STATE}/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: ${BK_REGISTRY_ROOT}
  delete:
    enabled: true
http:
  addr: ${BK_REGISTRY_ADDR}
YML
  nohup docker-registry serve "${BK_STATE}/registry.yml" >>"${BK_LOGS}/registry.log" 2>&1 &
  echo $! >"${BK_REGISTRY_PID}"
  bk_wait_for 30 "registry on ${BK_REGISTRY_ADDR} (pid $(cat "${BK_REGISTRY_PID}"))" bk_registry_ready ||
    bk_die "registry did not answer on http://${BK_REGISTRY_ADDR}/v2/ within 30 s; see ${BK_LOGS}/registry.log"
}

bk_dockerd_ready() { "${BK_DOCKER}" info --format '{{.ServerVersion}}'; }

bk_start_dockerd() {
  if bk_pid_alive "${BK_DOCKERD_PID}" && bk_dockerd_ready >/dev/null 2>&1; then
    return 0
  fi
  [[ -x "${BK_DOCKERD}" ]] || bk_die "${BK_DOCKERD} is not installed (run scripts/buildkit/install.sh)"
  if bk_pid_alive "${BK_DOCKERD_PID}"; then
    bk_stop_pid "${BK_DOCKERD_PID}" dockerd
  fi
  mkdir -p "${BK_DOCKERD_ROOT}" "${BK_DOCKERD_EXEC_ROOT}"
  # The containerd image store is what lets the default `docker` buildx driver export a registry cache
  # (type=registry, mode=max, OCI manifests).
  cat >"${BK_STATE}/daemon.json" <<JSON
{
  "features": { "containerd-snapshotter": true },
  "insecure-registries": ["${BK_REGISTRY_ADDR}"],
  "bip": "${BK_BRIDGE_CIDR}",
  "log-level": "warn"
}
JSON
  rm -f "${BK_DOCKERD_SOCK}"
  nohup "${BK_DOCKERD}" --config-file "${BK_STATE}/daemon.json" --data-root "${BK_DOCKERD_ROOT}" \
    --exec-root "${BK_DOCKERD_EXEC_ROOT}" --pidfile "${BK_RUN}/dockerd.self.pid" \
    -H "unix://${BK_DOCKERD_SOCK}" >>"${BK_LOGS}/dockerd.log" 2>&1 &
  echo $! >"${BK_DOCKERD_PID}"
  if ! bk_wait_for 90 "dockerd (pid $(cat "${BK_DOCKERD_PID}"), ${DOCKER_HOST})" bk_dockerd_ready; then
    tail -n 20 "${BK_LOGS}/dockerd.log" >&2 || true
    bk_die "dockerd did not answer on ${DOCKER_HOST} within 90 s; see ${BK_LOGS}/dockerd.log"
  fi
}

bk_stop_dockerd() { bk_stop_pid "${BK_DOCKERD_PID}" dockerd; }
bk_stop_registry() { bk_stop_pid "${BK_REGISTRY_PID}" registry; }

bk_wheels_ready() { curl -fsS -o /dev/null "${BK_TORCH_INDEX_URL}/torch/" 2>/dev/null; }

# Needs dockerd (the bridge gateway address exists only once dockerd has created docker0).
bk_start_wheels() {
  if bk_pid_alive "${BK_WHEELS_PID}" && bk_wheels_ready; then
    return 0
  fi
  bk_stop_pid "${BK_WHEELS_PID}" "wheel index"
  [[ -d "${BK_WHEELS_DIR}/simple" ]] || bk_die "${BK_WHEELS_DIR}/simple missing (run scripts/buildkit/wheels.sh)"
  ip -4 addr show 2>/dev/null | grep -q "inet ${BK_BRIDGE_IP}/" ||
    bk_die "no interface has ${BK_BRIDGE_IP} (dockerd's bridge gateway); is dockerd running?"
  nohup python3 -m http.server --bind "${BK_BRIDGE_IP}" --directory "${BK_WHEELS_DIR}" "${BK_WHEELS_PORT}" \
    >>"${BK_LOGS}/wheels.log" 2>&1 &
  echo $! >"${BK_WHEELS_PID}"
  bk_wait_for 20 "wheel index ${BK_TORCH_INDEX_URL} (pid $(cat "${BK_WHEELS_PID}"))" bk_wheels_ready ||
    bk_die "wheel index did not answer on ${BK_TORCH_INDEX_URL} within 20 s; see ${BK_LOGS}/wheels.log"
}
bk_stop_wheels() { bk_stop_pid "${BK_WHEELS_PID}" "wheel index"; }
