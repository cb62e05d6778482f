#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust tests, and the Python tests that drive the
# official `openai` SDK against the bundled mock provider. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo build --workspace
cargo test --workspace

echo "== python (official openai SDK against kestrel-mock)"
venv=target/venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/python/requirements.txt
KESTREL_MOCK_BIN="$PWD/target/debug/kestrel-mock" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/python

echo "== all tests passed"
