#!/usr/bin/env bash
# Per-call overhead of the Kotlin/JVM binding (bindings-uniffi) over the Rust client, in one
# JVM process against the loopback mock: release builds, the `bench` feature (which exports
# the in-process Rust baseline), calls interleaved round by round. CI never runs this.
# Usage: bash bench/uniffi_compare.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kestrel-mock
cd bindings-uniffi/kotlin
mvn -B -q -Pbench test -Dkestrel.bench.rounds="${1:-2000}"
