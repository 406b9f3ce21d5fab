#!/usr/bin/env bash
# The test suite under a sanitizer (docs/SANITIZERS.md):
#
#   scripts/sanitize.sh asan [FILTER...]     `swift test` under AddressSanitizer (.build-asan)
#   scripts/sanitize.sh tsan [FILTER...]     `swift test` under ThreadSanitizer (.build-tsan)
#   scripts/sanitize.sh asan-clients [PYTEST ARGS...]
#                                            the release server built with AddressSanitizer
#                                            (.build-asan) under the Python client tests
#                                            (default: LoadTests/clients)
#
# FILTER is passed to `swift test --filter` (one per argument). The Swift suites start their
# servers in the test process, so those run instrumented too. The C libraries (OpenBLAS,
# nghttp2, json-c) come from Debian and are not instrumented: AddressSanitizer still checks
# what they do to Swift's buffers through its interceptors (memcpy, memset, ...) and catches
# overruns of our allocations by whoever writes them; ThreadSanitizer does not see their own
# memory accesses. A report fails the run: AddressSanitizer stops at the first one,
# ThreadSanitizer exits non-zero at the end if it reported anything.
#
# ZENITH_SANITIZE_JOBS: build jobs (default 1: the machine is shared).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${ZENITH_SANITIZE_JOBS:-1}
here=$(pwd)

# Reports name source lines; the toolchain's symbolizer, if the PATH does not have one.
if ! command -v llvm-symbolizer >/dev/null; then
    symbolizer=$(dirname "$(readlink -f "$(command -v swiftc)")")/llvm-symbolizer
    [ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer" TSAN_SYMBOLIZER_PATH="$symbolizer"
fi

# A leak is a finding like any other: LeakSanitizer runs at exit and fails the run (memory
# still reachable from globals at exit is not reported).
asan_options="detect_leaks=1:halt_on_error=1:strict_string_checks=1"
lsan_options="suppressions=$here/Tests/Sanitizers/lsan.supp"
# Suppressions only for leaks and races inside third-party code, each with its reason in the file.
tsan_options="halt_on_error=0:second_deadlock_stack=1:history_size=4:suppressions=$here/Tests/Sanitizers/tsan.supp"

filters() {
    for f in "$@"; do printf -- '--filter\n%s\n' "$f"; done
}

mode=${1:-}
[ $# -gt 0 ] && shift
case "$mode" in
    asan)
        mapfile -t args < <(filters "$@")
        ASAN_OPTIONS="${ASAN_OPTIONS:-$asan_options}" LSAN_OPTIONS="${LSAN_OPTIONS:-$lsan_options}" \
            swift test -j "$jobs" --disable-xctest --scratch-path .build-asan --sanitize=address "${args[@]}"
        ;;
    tsan)
        mapfile -t args < <(filters "$@")
        TSAN_OPTIONS="${TSAN_OPTIONS:-$tsan_options}" \
            swift test -j "$jobs" --disable-xctest --scratch-path .build-tsan --sanitize=thread "${args[@]}"
        ;;
    asan-clients)
        swift build -j "$jobs" --scratch-path .build-asan -c release --sanitize=address --product zenith
        [ -x .venv/bin/python ] || scripts/setup.sh --python
        [ $# -gt 0 ] || set -- LoadTests/clients
        # The hostile corpus bounds the server's growth to 200 MB of RSS; ASan's default 256 MB
        # quarantine of freed memory alone would pass it. 32 MB still holds a freed block for
        # many requests after its release, which is what a use-after-free needs to be caught.
        ZENITH_BIN="$here/.build-asan/release/zenith" \
            ASAN_OPTIONS="${ASAN_OPTIONS:-$asan_options:quarantine_size_mb=32}" \
            LSAN_OPTIONS="${LSAN_OPTIONS:-$lsan_options}" \
            .venv/bin/python -m pytest -p no:cacheprovider -q "$@"
        ;;
    *)
        echo "usage: $0 asan|tsan [swift test filter...] | asan-clients [pytest args...]" >&2
        exit 2
        ;;
esac
