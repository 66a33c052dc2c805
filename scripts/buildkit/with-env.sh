#!/usr/bin/env bash
# with-env.sh NAME COMMAND...: runs COMMAND on a local BuildKit environment and tears down what it started.
# Installs and starts what is not running yet (up.sh), empties the registry's cache repositories so a cold
# build is cold, re-pushes the base image if the registry lost it, exports the BK_* settings the TypeScript
# side reads, and on exit, failure included, stops the daemons it started itself (by PID). Daemons that were
# already running (`npm run buildkit:up` by hand) keep running: they are only restarted where the run needs
# it (reset-registry.sh restarts the registry, the tests' wipe-builder.sh restarts dockerd), by PID as well.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "${here}/daemons.sh"

name="$1"
shift

# The daemons in the order down.sh stops them: PID file and readiness check from daemons.sh.
daemons=(wheels dockerd registry)
declare -A pidfile=([wheels]="${BK_WHEELS_PID}" [dockerd]="${BK_DOCKERD_PID}" [registry]="${BK_REGISTRY_PID}")
declare -A ready=([wheels]=bk_wheels_ready [dockerd]=bk_dockerd_ready [registry]=bk_registry_ready)
declare -A label=([wheels]="wheel index" [dockerd]=dockerd [registry]=registry)

# Already running: its recorded PID is alive and it answers, which is exactly when up.sh keeps it instead of
# starting one. A stale PID file, or a PID reused by another process, does not count (and is never stopped:
# up.sh records the daemon it starts in its place).
declare -A was_running=()
for d in "${daemons[@]}"; do
  if bk_pid_alive "${pidfile[$d]}" && "${ready[$d]}" >/dev/null 2>&1; then
    was_running[$d]="$(cat "${pidfile[$d]}")"
    bk_log "${label[$d]} already running (pid ${was_running[$d]}): ${name} leaves it running"
  fi
done

cleanup() {
  local rc=$? d
  for d in "${daemons[@]}"; do
    if [[ -n "${was_running[$d]:-}" ]]; then
      bk_log "leaving ${label[$d]} running (pid $(cat "${pidfile[$d]}" 2>/dev/null || echo none)): it was running before ${name}"
    else
      # Started by this run (up.sh, or a restart during it): the PID its file records now.
      bk_stop_pid "${pidfile[$d]}" "${label[$d]}" || rc=1
    fi
  done
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
