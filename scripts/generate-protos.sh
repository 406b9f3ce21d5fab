#!/usr/bin/env bash
# Regenerates the Swift code of the KServe v2 gRPC messages (Sources/ZenithGRPC/Generated)
# from the .proto files beside it (Sources/ZenithGRPC/Protos). The generated code is
# committed: the normal build needs neither protoc nor the plugin, only this script does.
#
# Needs `protoc` (Debian: apt-get install protobuf-compiler). Builds `protoc-gen-swift` from
# swift-protobuf at the version Package.swift pins, in .build-protoc/ (a first build takes
# minutes; later runs reuse it). With --check, generates into a temporary folder and fails if
# the committed code differs.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
for arg in "$@"; do
    case "$arg" in
        --check) check=1 ;;
        *) echo "usage: $0 [--check]" >&2; exit 2 ;;
    esac
done

protos=Sources/ZenithGRPC/Protos
generated=Sources/ZenithGRPC/Generated
scratch=.build-protoc

if ! command -v protoc >/dev/null; then
    echo "generate-protos: protoc not found; install it (Debian: apt-get install protobuf-compiler)" >&2
    exit 1
fi

version=$(sed -n 's|.*apple/swift-protobuf.git", exact: "\([0-9.]*\)".*|\1|p' Package.swift)
[ -n "$version" ] || { echo "generate-protos: no exact swift-protobuf version in Package.swift" >&2; exit 1; }

source="$scratch/swift-protobuf-$version"
if [ ! -d "$source" ]; then
    mkdir -p "$scratch"
    git clone --quiet --branch "$version" https://github.com/apple/swift-protobuf.git "$source" 2>/dev/null
fi
echo "generate-protos: building protoc-gen-swift $version in $scratch (minutes the first time)" >&2
swift build --package-path "$source" --scratch-path "$scratch/build" -c release --product protoc-gen-swift >&2
plugin="$(swift build --package-path "$source" --scratch-path "$scratch/build" -c release --show-bin-path)/protoc-gen-swift"

out="$generated"
if [ "$check" -eq 1 ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
else
    rm -f "$generated"/*.pb.swift
    mkdir -p "$generated"
fi
# Package visibility: the server, zenith-load and their tests use the messages; no client of the
# package sees them.
protoc --plugin=protoc-gen-swift="$plugin" -I "$protos" \
    --swift_opt=Visibility=Package --swift_opt=UseAccessLevelOnImports=true \
    --swift_out="$out" "$protos"/*.proto

if [ "$check" -eq 1 ]; then
    if ! diff -ru "$generated" "$out"; then
        echo "generate-protos: $generated is out of date; run scripts/generate-protos.sh" >&2
        exit 1
    fi
    echo "generate-protos: $generated is up to date ($(protoc --version))" >&2
else
    echo "generate-protos: wrote $(ls "$generated" | tr '\n' ' ')($(protoc --version))" >&2
fi
