"""The Python and TypeScript declarations of Kestrel's own types name exactly the fields the
core sends: a field added in `core/src/types/kestrel.rs` fails here until both bindings
declare it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Set

import kestrel_router as kestrel
from kestrel_router.types import KestrelMeta, Scores

INDEX_D_TS = Path(__file__).resolve().parents[2] / "bindings-node" / "js" / "index.d.ts"


def ts_fields(interface: str) -> Set[str]:
    body = re.search(r"export interface " + interface + r" \{(.*?)\n\}", INDEX_D_TS.read_text(), re.S)
    assert body, f"interface {interface} not found in index.d.ts"
    return set(re.findall(r"^  ([a-z_]+)\??:", body.group(1), re.M))


def test_kestrel_metadata_and_scores_match_the_core(kc: kestrel.OpenAI) -> None:
    # A routed answer carries every field the core has (scores included).
    r = kc.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    assert r.kestrel is not None and r.kestrel.scores is not None
    meta = r.kestrel.to_dict(exclude_unset=True)
    # `cache_layer` is sent only for cache hits.
    core_meta = set(meta) | {"cache_layer"}
    core_scores = set(meta["scores"])
    assert set(KestrelMeta._fields()) == core_meta
    assert set(Scores._fields()) == core_scores
    assert ts_fields("KestrelMeta") == core_meta
    assert ts_fields("Scores") == core_scores
    # One type, two names, in both languages.
    assert kestrel.types.KestrelMetadata is KestrelMeta and kestrel.types.RoutingScores is Scores
    assert "export type KestrelMetadata = KestrelMeta;" in INDEX_D_TS.read_text()


def test_provider_health_matches_the_core(kc: kestrel.OpenAI) -> None:
    import json

    from kestrel_router.types import ProviderHealth

    core = set(json.loads(kc._shared.native.health())[0])
    assert set(ProviderHealth._fields()) == core
    assert ts_fields("ProviderHealth") == core
