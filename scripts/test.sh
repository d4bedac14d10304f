#!/usr/bin/env bash
# Runs the whole test suite: installs dependencies, builds, runs every test
# (unit and end-to-end), then again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)

jobs=$(nproc)
# Line tables (-g1) are all the sanitizers' and gdb's backtraces need, and
# build far faster than full debug info; the sanitizer pass is -O1, as the
# sanitizers' own documentation advises.
flags="-O2 -g1 -DNDEBUG"
asan_flags="-O1 -g1 -DNDEBUG"
cmake -G Ninja -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_TEST_DIRS= -DPRISM_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags"
ninja -C build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

cmake -G Ninja -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPRISM_SANITIZE=ON -DPRISM_TEST_DIRS= -DPRISM_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$asan_flags" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$asan_flags"
ninja -C build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
