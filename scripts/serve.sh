#!/usr/bin/env bash
# Sets prism up on a fresh Debian 12 machine and starts the server on the
# embedded default configuration (loopback, port 8080, the tiny local
# checkpoints, no network needed). Extra arguments go to `prism serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C build prism
exec ./build/src/cli/prism serve "$@"
