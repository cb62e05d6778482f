#!/usr/bin/env bash
# Kestrel's Node package next to the official `openai` package and a bare fetch, against
# the same loopback mock: per-call latency (sequential) and 64 concurrent calls. Release
# builds (a benchmark; CI never runs this). Usage: bash bench/node_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kestrel-mock
# `npm install` as users run it: `napi build --release` of the addon (and the dev
# dependencies, among them the official `openai` package).
env -u KESTREL_NODE_DEV -u CI npm install --no-audit --no-fund --loglevel=error
KESTREL_MOCK_BIN="$PWD/target/release/kestrel-mock" node bench/node/compare.mjs "$@"
