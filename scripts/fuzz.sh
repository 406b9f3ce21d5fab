#!/usr/bin/env bash
# Coverage-guided fuzzing of Zenith's input parsers (docs/FUZZING.md): libFuzzer over the Swift
# targets of Tests/Fuzz/zenith-fuzz (request, connection, safetensors, model-config, model) and
# atheris over the ONNX importer (onnx-import).
#
#   scripts/fuzz.sh build                      the fuzzer build of zenith-fuzz (.build-fuzz)
#   scripts/fuzz.sh run TARGET [SECONDS] [libFuzzer options...]
#                                              one target, bounded (default 60 s)
#   scripts/fuzz.sh ci [SECONDS]               build, then every target for SECONDS (default 20):
#                                              the committed corpus first, so a regression fails
#   scripts/fuzz.sh replay                     the committed corpus through a normal debug build
#   ZENITH_FUZZ_ASAN=1 scripts/fuzz.sh ...      the same with AddressSanitizer (.build-fuzz-asan)
#
# A run starts from Tests/Fuzz/corpus/TARGET (seeds and regression cases, read-only) plus
# .build-fuzz/corpus/TARGET, where it keeps what it finds, with the tokens of
# Tests/Fuzz/dictionaries/TARGET.dict; a crashing input is written to .build-fuzz/artifacts/TARGET/
# and the run exits non-zero. Keep a fixed crash as Tests/Fuzz/corpus/TARGET/regression-<what>.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(request connection safetensors model-config model onnx-import)
work=.build-fuzz  # corpus and artifacts, whichever build runs
scratch=.build-fuzz
# ZENITH_FUZZ_ASAN=1: the same with AddressSanitizer (its own build folder; about 2x slower),
# for the raw loads in the code under test and the C libraries' use of Swift's buffers.
asan=${ZENITH_FUZZ_ASAN:-0}
# Coverage instrumentation of every Swift module (the frontend's -sanitize=fuzzer) without the
# driver's libFuzzer `main`, which would clash with SwiftPM's entry point for executables:
# zenith-fuzz calls LLVMFuzzerRunDriver itself, from the archive without main.
fuzzer_lib=$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/clang
fuzzer_lib=$(ls "$fuzzer_lib"/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1)
swift_flags=(
    -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer -Xswiftc -DZENITH_FUZZ
    -Xlinker "$fuzzer_lib" -Xlinker -lstdc++
)
if [ "$asan" = 1 ]; then
    scratch=.build-fuzz-asan
    swift_flags+=(-Xswiftc -sanitize=address)
fi
# The importer needs the model-preparation environment (.venv-train: onnx, numpy, torch);
# .venv-fuzz adds atheris on top of it.
train_venv=${ZENITH_TRAIN_VENV:-.venv-train}
atheris_version=3.0.0

build() {
    [ -n "$fuzzer_lib" ] || { echo "fuzz: libclang_rt.fuzzer_no_main not found in the Swift toolchain" >&2; exit 1; }
    swift build --scratch-path "$scratch" "${swift_flags[@]}" --product zenith-fuzz
}

python_env() {
    [ -x "$train_venv/bin/python" ] || { echo "fuzz: $train_venv missing; run scripts/setup.sh --train" >&2; exit 1; }
    [ -x .venv-fuzz/bin/python ] || "$train_venv/bin/python" -m venv .venv-fuzz
    .venv-fuzz/bin/python -c "import atheris" 2>/dev/null \
        || .venv-fuzz/bin/python -m pip install -q --disable-pip-version-check "atheris==$atheris_version"
    local site
    site=$("$train_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    .venv-fuzz/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
        | xargs -I{} sh -c "echo '$(readlink -f "$site")' > {}/zenith-train.pth"
}

run() {  # run TARGET SECONDS [libFuzzer options...]
    local target=$1 seconds=$2
    shift 2
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
    local options=(
        "-max_total_time=$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -detect_leaks=0
        "-artifact_prefix=$work/artifacts/$target/"
    )
    # Tokens of the format (keys, header names, frame headers), which mutations rarely spell.
    [ -f "Tests/Fuzz/dictionaries/$target.dict" ] && options+=("-dict=Tests/Fuzz/dictionaries/$target.dict")
    options+=("$@" "$work/corpus/$target" "Tests/Fuzz/corpus/$target")
    echo "== fuzz $target for ${seconds}s"
    if [ "$target" = onnx-import ]; then
        .venv-fuzz/bin/python Tests/Fuzz/onnx_import_fuzz.py "${options[@]}"
    else
        "$scratch/debug/zenith-fuzz" "$target" "${options[@]}"
    fi
}

case "${1:-}" in
    build) build ;;
    run)
        [ $# -ge 2 ] || { echo "usage: $0 run TARGET [SECONDS] [libFuzzer options...]" >&2; exit 2; }
        target=$2
        seconds=${3:-60}
        shift $(($# < 3 ? $# : 3))
        if [ "$target" = onnx-import ]; then python_env; else [ -x "$scratch/debug/zenith-fuzz" ] || build; fi
        run "$target" "$seconds" "$@"
        ;;
    ci)
        seconds=${2:-20}
        build
        python_env
        for target in "${targets[@]}"; do run "$target" "$seconds" 2>&1 | grep -vE '^#[0-9]+ +(NEW|REDUCE|pulse)'; done
        ;;
    replay)
        swift build --product zenith-fuzz
        for target in "${targets[@]}"; do
            [ "$target" = onnx-import ] && continue
            .build/debug/zenith-fuzz "$target" "Tests/Fuzz/corpus/$target" 2>/dev/null
        done
        ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
