#!/usr/bin/env bash
# The Python package as users get it. Builds the abi3 wheel and the sdist with maturin,
# checks the wheel's manylinux tag with auditwheel, builds a wheel again from the sdist, and
# installs the wheel into a fresh venv (no index, no compiler on PATH) where it answers a
# chat call against kestrel-mock.
#
# Built in the dev profile, reusing target/: packaging is what is under test, and a release
# build would compile every crate again. Releases run `maturin build --release` in the
# manylinux2014 container (.github/workflows/release.yml).
#
# Usage: tests/packaging/wheel.sh <python venv with pip>
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
venv=$(cd "$1" && pwd)
export KESTREL_MOCK_BIN="${KESTREL_MOCK_BIN:-$repo/target/debug/kestrel-mock}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$venv/bin/pip" install -q --disable-pip-version-check "maturin>=1.7,<2" "auditwheel>=6"
version=$(cargo metadata --format-version 1 --no-deps | "$venv/bin/python" -c \
    'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "kestrel-python"))')

echo "-- maturin build: one abi3 wheel, manylinux-tagged (maturin checks the policy while building)"
"$venv/bin/maturin" build --profile dev --out "$work/dist" --quiet
wheel=$(ls "$work"/dist/*.whl)
name=$(basename "$wheel")
[[ "$name" =~ ^kestrel_router-${version}-cp39-abi3-manylinux_2_[0-9]+_x86_64(\.manylinux[0-9_]+_x86_64)?\.whl$ ]] ||
    { echo "unexpected wheel name: $name"; exit 1; }
"$venv/bin/auditwheel" show "$wheel" > "$work/audit.txt"
# auditwheel wraps its lines: read the policy from the text as one line.
policy=$(tr -s ' \n' ' ' < "$work/audit.txt" | grep -o 'consistent with the following platform tag: "manylinux_2_[0-9]*_x86_64"' |
    grep -o 'manylinux_2_[0-9]*_x86_64') || { cat "$work/audit.txt"; exit 1; }
[[ "$name" == *"-$policy."* ]] || { echo "the wheel's tag is not the one auditwheel finds ($policy): $name"; exit 1; }
echo "$name: auditwheel agrees, $policy (a release build in the manylinux2014 container gets manylinux_2_17)"
# The wheel holds the Python package, its typing marker and the native module, nothing else.
"$venv/bin/python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for needed in ("kestrel_router/__init__.py", "kestrel_router/py.typed", "kestrel_router/_native.pyi",
               "kestrel_router/_native.abi3.so", "kestrel_router/langchain.py", "kestrel_router/types/chat/chat_completion.py"):
    assert needed in names, f"the wheel lacks {needed}: {names}"
stray = [n for n in names if not (n.startswith("kestrel_router/") or ".dist-info/" in n)]
assert not stray, f"unexpected files in the wheel: {stray}"
PY

echo "-- maturin sdist, and a wheel built from it"
"$venv/bin/maturin" sdist --out "$work/sdist"
sdist=$(ls "$work"/sdist/*.tar.gz)
[ "$(basename "$sdist")" = "kestrel_router-$version.tar.gz" ] || { echo "unexpected sdist name: $sdist"; exit 1; }
# pip builds the sdist as users' pip would (through maturin's PEP 517 backend), in the dev
# profile and the shared target/ so that only the two local crates compile again.
PATH="$venv/bin:$PATH" CARGO_TARGET_DIR="$repo/target" MATURIN_PEP517_ARGS="--profile dev" \
    "$venv/bin/pip" wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w "$work/from-sdist" "$sdist"
ls "$work"/from-sdist/kestrel_router-"$version"-cp39-abi3-*.whl > /dev/null

echo "-- install the wheel into a fresh venv and call the mock"
python3 -m venv "$work/venv"
# Its one dependency (the official openai package, which serves the APIs Kestrel does not
# route) comes from the index as wheels: nothing is compiled.
env PATH="$work/venv/bin" "$work/venv/bin/pip" install -q --disable-pip-version-check --only-binary :all: "$wheel"
cp tests/packaging/call.py "$work/"
(cd "$work" && env PATH="$work/venv/bin" KESTREL_MOCK_BIN="$KESTREL_MOCK_BIN" "$work/venv/bin/python" call.py)
