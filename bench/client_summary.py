#!/usr/bin/env python3
"""Medians from `cargo bench -p kestrel-bench --bench client`, and Kestrel's overhead."""
import json
import pathlib
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def median_us(group: str, name: str) -> float:
    est = json.loads((root / group / name / "new" / "estimates.json").read_text())
    return est["median"]["point_estimate"] / 1000.0


rows = [
    ("non-streaming call", "call"),
    ("stream: first chunk", "stream_first_chunk"),
    ("stream: 40 chunks, to the end", "stream_full_40_chunks"),
    ("64 calls in flight (per batch)", "concurrent_64"),
]
print(f"{'median':<34} {'bare reqwest':>14} {'kestrel':>14} {'overhead':>12}")
for label, group in rows:
    try:
        bare, kes = median_us(group, "bare_reqwest"), median_us(group, "kestrel")
    except FileNotFoundError:
        sys.exit(f"no results for {group}: run `cargo bench -p kestrel-bench --bench client` first")
    print(f"{label:<34} {bare:>11.1f} µs {kes:>11.1f} µs {kes - bare:>9.1f} µs")
    if group == "concurrent_64":
        print(f"{'  throughput':<34} {64e6 / bare:>11,.0f}/s {64e6 / kes:>11,.0f}/s")
    if group == "stream_full_40_chunks":
        first_bare, first_kes = median_us("stream_first_chunk", "bare_reqwest"), median_us("stream_first_chunk", "kestrel")
        per_chunk = ((kes - first_kes) - (bare - first_bare)) / 39
        print(f"{'  per-chunk overhead':<34} {'':>14} {'':>14} {per_chunk:>9.2f} µs")
