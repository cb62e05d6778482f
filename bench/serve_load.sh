#!/usr/bin/env bash
# Load test of `kestrel serve` (benchmarks only; CI never runs this): 10,000 chat requests
# at concurrency 200, straight to kestrel-mock and then through the server to the same
# mock; prints throughput, p50/p99 latency, the latency the server adds, and whether every
# request left its usage record in the SQLite store.
#   bash bench/serve_load.sh [N] [CONCURRENCY] [STREAM_SHARE 0..1]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q --release -p kestrel-bench --example serve_load -- "${1:-10000}" "${2:-200}" "${3:-0}"
