#!/usr/bin/env bash
# Generates the Swift bindings of bindings-uniffi from a built library, with the crate's own
# uniffi-bindgen, into the layout Package.swift expects (generated files are not committed):
#   Sources/KestrelFFI/KestrelFFI.swift    the Swift API (KestrelCore, records, KestrelError)
#   include/KestrelFFIFFI.h, module.modulemap   the C interface, for the xcframework
# Then checks that every exported call made it into both. Usage, from the repository root:
#   bash bindings-uniffi/swift/generate.sh [path/to/libkestrel_uniffi.{so,dylib,a}]
# (default: target/debug/libkestrel_uniffi.so, as `cargo build -p kestrel-uniffi` leaves it).
set -euo pipefail
cd "$(dirname "$0")/../.."
lib="${1:-target/debug/libkestrel_uniffi.so}"
bindgen="${UNIFFI_BINDGEN:-$(dirname "$lib")/uniffi-bindgen}"
out=bindings-uniffi/swift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$bindgen" generate --library "$lib" --language swift --no-format --out-dir "$tmp"
mkdir -p "$out/Sources/KestrelFFI" "$out/include"
mv "$tmp/KestrelFFI.swift" "$out/Sources/KestrelFFI/KestrelFFI.swift"
mv "$tmp/KestrelFFIFFI.h" "$out/include/KestrelFFIFFI.h"
mv "$tmp/KestrelFFIFFI.modulemap" "$out/include/module.modulemap"

# Generation check (there is no Swift toolchain here to compile it): each exported call has
# its Swift method and its C symbol.
swift="$out/Sources/KestrelFFI/KestrelFFI.swift"
header="$out/include/KestrelFFIFFI.h"
missing=0
for call in chat chat_json chat_stream chat_stream_json chat_blocking chat_json_blocking chat_stream_blocking \
            route savings routing cache_stats usage_json \
            export_csv flush_usage health models_json clear_cache set_api_key set_base_url describe; do
    camel="$(echo "$call" | sed -E 's/_([a-z])/\U\1/g')"
    grep -q "func ${camel}(" "$swift" || { echo "generate.sh: KestrelCore.${camel} missing from $swift" >&2; missing=1; }
    grep -q "uniffi_kestrel_uniffi_fn_method_kestrelcore_${call}(" "$header" \
        || { echo "generate.sh: C symbol for ${call} missing from $header" >&2; missing=1; }
done
for decl in "^enum KestrelError: Swift.Error" "^public struct ChatCompletion:" "^public struct ChatCompletionChunk:" \
            "^open class ChunkStream" "func next\(\) *async throws *-> ChatCompletionChunk\?"; do
    grep -qE "$decl" "$swift" || { echo "generate.sh: '$decl' missing from $swift" >&2; missing=1; }
done
grep -q "module KestrelFFIFFI" "$out/include/module.modulemap" || { echo "generate.sh: bad module map" >&2; missing=1; }
[ "$missing" = 0 ]
echo "swift bindings generated: $swift ($(wc -l < "$swift") lines), $header"
