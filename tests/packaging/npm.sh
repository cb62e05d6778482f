#!/usr/bin/env bash
# The npm packages as users get them. Packs the published main package (bindings-node/) and
# this machine's platform package (bindings-node/npm/linux-x64-gnu), checks what the
# tarballs hold, installs both into a clean project with no Rust or C compiler on PATH, and
# answers a chat call against kestrel-mock; then `npm install <checkout>`, which builds the
# addon from source, answers the same call.
#
# The platform package gets the dev-profile addon that the checkout's build put in
# bindings-node/kestrel.node (run `KESTREL_NODE_DEV=1 npm ci` first): packaging is what is
# under test, and a release build would compile every crate again. Releases build it with
# `napi build --platform --release` (.github/workflows/release.yml).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export KESTREL_MOCK_BIN="${KESTREL_MOCK_BIN:-$repo/target/debug/kestrel-mock}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

suffix=$(node -p 'require("./bindings-node/js/platform.js").platformSuffix()')
[ "$suffix" = linux-x64-gnu ] || { echo "npm packaging test: runs on linux-x64-gnu, this is $suffix"; exit 1; }
version=$(node -p 'require("./bindings-node/package.json").version')
[ -f bindings-node/kestrel.node ] || { echo "bindings-node/kestrel.node is missing: run KESTREL_NODE_DEV=1 npm ci"; exit 1; }

echo "-- pack kestrel-router and kestrel-router-$suffix"
cp -r "bindings-node/npm/$suffix" "$work/platform"
cp bindings-node/kestrel.node "$work/platform/kestrel.$suffix.node"
(cd "$work/platform" && npm pack --silent --pack-destination "$work" > /dev/null)
(cd bindings-node && npm pack --silent --pack-destination "$work" > /dev/null)
main_tgz="$work/kestrel-router-$version.tgz"
platform_tgz="$work/kestrel-router-$suffix-$version.tgz"

# The main package: the JS layer and its types, no addon, no Rust, no install-time script.
tar -tzf "$main_tgz" | sort > "$work/main.list"
for f in package/package.json package/README.md package/js/index.js package/js/index.mjs package/js/index.d.ts \
    package/js/index.d.mts package/js/native.js package/js/platform.js package/js/client.js \
    package/js/langchain.js package/js/langchain.mjs package/js/langchain.d.ts package/js/langchain.d.mts \
    package/js/sdk/helpers/zod.js package/js/sdk/helpers/zod.mjs package/js/sdk/helpers/zod.d.ts \
    package/js/sdk/helpers/zod.d.mts package/js/sdk/lib/ChatCompletionStream.js \
    package/js/sdk/resources/chat/completions.mjs package/js/sdk/resources/chat/completions.d.mts; do
    grep -qx "$f" "$work/main.list" || { echo "main package lacks $f"; cat "$work/main.list"; exit 1; }
done
if grep -E '\.(node|rs)$|Cargo' "$work/main.list"; then echo "main package holds an addon or Rust sources"; exit 1; fi
tar -xzf "$main_tgz" -C "$work" package/package.json
node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const scripts = Object.keys(m.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s));
  if (scripts.length) throw new Error(`the main package runs scripts on install: ${scripts}`);
  if (m.optionalDependencies?.[process.argv[2]] !== m.version) throw new Error(`${process.argv[2]} is not an optionalDependency at ${m.version}`);
' "$work/package/package.json" "kestrel-router-$suffix"
# The platform package: its manifest, its README and the addon, nothing else.
[ "$(tar -tzf "$platform_tgz" | sort | tr '\n' ' ')" = "package/README.md package/kestrel.$suffix.node package/package.json " ] ||
    { echo "unexpected platform package contents:"; tar -tzf "$platform_tgz"; exit 1; }

echo "-- install both tarballs into a clean project, no compiler on PATH"
mkdir "$work/bin" "$work/app"
ln -s "$(command -v node)" "$work/bin/node"
ln -s "$(command -v npm)" "$work/bin/npm"
echo '{"name": "app", "version": "1.0.0", "private": true, "type": "module"}' > "$work/app/package.json"
cp tests/packaging/call.mjs "$work/app/"
(cd "$work/app" && env PATH="$work/bin" npm install --no-audit --no-fund --loglevel=error "$main_tgz" "$platform_tgz")
[ ! -e "$work/app/node_modules/kestrel-router/kestrel.node" ]
(cd "$work/app" && env PATH="$work/bin" KESTREL_MOCK_BIN="$KESTREL_MOCK_BIN" node call.mjs)

echo "-- kestrel-router/langchain without @langchain/core (an optional peer, not installed) says what to install"
[ ! -e "$work/app/node_modules/@langchain/core" ]
for form in 'require("kestrel-router/langchain")' 'import("kestrel-router/langchain").catch((e) => { console.error(e.message); process.exit(1); })'; do
    if (cd "$work/app" && node -e "$form" 2> "$work/lc-err.txt"); then echo "kestrel-router/langchain loaded without @langchain/core"; exit 1; fi
    grep -q "@langchain/core" "$work/lc-err.txt" || { cat "$work/lc-err.txt"; exit 1; }
done

echo "-- without its platform package, the loader says what is missing"
rm -rf "$work/app/node_modules/kestrel-router-$suffix"
if (cd "$work/app" && node -e 'require("kestrel-router")' 2> "$work/err.txt"); then
    echo "kestrel-router loaded without an addon"; exit 1
fi
grep -q "optional dependency kestrel-router-$suffix, is not installed" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
grep -q "build from source" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }

echo "-- npm install <checkout> builds the addon from source"
mkdir "$work/src-app"
echo '{"name": "src-app", "version": "1.0.0", "private": true, "type": "module"}' > "$work/src-app/package.json"
cp tests/packaging/call.mjs "$work/src-app/"
# The checkout's `prepare` script runs cargo (dev profile here: KESTREL_NODE_DEV reuses target/).
rm -f bindings-node/kestrel.node
(cd "$work/src-app" && KESTREL_NODE_DEV=1 npm install --no-audit --no-fund --loglevel=error "$repo")
[ -f bindings-node/kestrel.node ] || { echo "npm install <checkout> did not build bindings-node/kestrel.node"; exit 1; }
(cd "$work/src-app" && node call.mjs)
