#!/usr/bin/env bash
# Requests per second of `kestrel route --json` over 20,000 requests read from stdin.
# Builds the CLI in release mode (benchmarks only; CI never runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
cargo build -q --release -p kestrel-cli
input=$(mktemp)
trap 'rm -f "$input"' EXIT
# Repeat the sample workload until it holds n requests.
while [ "$(wc -l < "$input")" -lt "$n" ]; do cat examples/workload.jsonl >> "$input"; done
head -n "$n" "$input" > "$input.n" && mv "$input.n" "$input"
bytes=$(wc -c < "$input")
start=$(date +%s.%N)
./target/release/kestrel route --json < "$input" > /dev/null
end=$(date +%s.%N)
python3 - "$n" "$bytes" "$start" "$end" <<'PY'
import sys
n, size, start, end = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
secs = end - start
print(f"kestrel route --json: {n} requests ({size / 1e6:.1f} MB) in {secs:.2f} s = {n / secs:,.0f} requests/s")
PY
