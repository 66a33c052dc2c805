#!/usr/bin/env bash
# npm run test:build: real builds of the fixture app with BuildKit and a registry (test/build/*.build.ts),
# on an environment with-env.sh sets up and tears down.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "${here}/with-env.sh" test:build npx mocha --config test/build/.mocharc.json "$@"
