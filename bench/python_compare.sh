#!/usr/bin/env bash
# Kestrel's Python package next to the official `openai` SDK and LiteLLM, against the same
# loopback mock: per-call latency, 64 concurrent asyncio calls, import time. Release
# builds (a benchmark; CI never runs this). Usage: bash bench/python_compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p kestrel-mock
venv=target/venv-bench
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check openai litellm
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps .
KESTREL_MOCK_BIN="$PWD/target/release/kestrel-mock" "$venv/bin/python" bench/python_compare.py "$@"
