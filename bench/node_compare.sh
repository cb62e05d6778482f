#!/usr/bin/env bash
# Kestrel's Node package next to the official `openai` package and a bare fetch, against
# the same loopback mock: per-call latency (sequential) and 64 concurrent calls. Release
# builds (a benchmark; CI never runs this). Usage: bash bench/node_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kestrel-mock
# `npm install` in the clone: a release build of the addon from source, as the published
# platform packages are built (and the dev dependencies, among them the official `openai`).
env -u KESTREL_NODE_DEV -u CI npm install --no-audit --no-fund --loglevel=error
KESTREL_MOCK_BIN="$PWD/target/release/kestrel-mock" node bench/node/compare.mjs "$@"
