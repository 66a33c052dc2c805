#!/usr/bin/env bash
# npm run bench:cache: the cache bench (scripts/buildkit/bench.ts) on an environment with-env.sh sets up and
# tears down: every setup and scenario in one go, results in bench/results/.
# BENCH_SETUPS=per-stage,inline limits the setups (default: all four).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "${here}/with-env.sh" bench:cache npx ts-node --transpile-only scripts/buildkit/bench.ts "$@"
