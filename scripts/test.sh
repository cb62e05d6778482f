#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust tests, and the Python tests that drive the
# official `openai` SDK against the bundled mock provider. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== rustfmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
# The usage report test renders the HTML in headless Chromium (and fails without it in CI).
command -v chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
cargo build --workspace
cargo test --workspace

echo "== python: the kestrel package (and the official openai SDK) against kestrel-mock"
venv=target/venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r tests/python/requirements.txt
# `pip install .` as users run it, but in the dev profile: it reuses the artifacts the
# cargo build above left in target/, so Rust is compiled once per run.
MATURIN_PEP517_ARGS="--profile dev" "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps .
export KESTREL_MOCK_BIN="$PWD/target/debug/kestrel-mock"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/python
if compgen -G "examples/python/*.py" > /dev/null; then
    "$venv/bin/python" -m mypy --strict examples/python
fi

echo "== all tests passed"
