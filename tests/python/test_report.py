"""Usage reporting from Python: uploads to the mock's collector, counters, flush at exit,
and the HTML report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

import kestrel_router as kestrel
from _mock import Mock, control

EASY = [{"role": "user", "content": "What is 2+2?"}]


@pytest.fixture(autouse=True)
def fresh_collector(mock_url: str) -> None:
    control(mock_url, "DELETE", "/_mock/usage")


SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "usage-batch.schema.json").read_text())


def collected(url: str) -> list:
    """Every record the collector received, after checking each batch against the
    documented schema."""
    batches = control(url, "GET", "/_mock/usage")["batches"]
    for b in batches:
        jsonschema.validate(b["body"], SCHEMA)
    return [r for b in batches for r in b["body"]["records"]]


def report_cfg(mock: Mock, spool: Path, **extra: Any) -> dict:
    cfg = {"url": mock.url + "/v1/usage", "key": "rk-py", "spool_dir": spool, "interval": 3600.0}
    cfg.update(extra)
    return cfg


def test_reporting_is_off_by_default(make_client: Callable[..., kestrel.OpenAI]) -> None:
    assert make_client().usage.reporter() is None


def test_uploads_counters_and_flush(make_client: Callable[..., kestrel.OpenAI], mock: Mock, tmp_path: Path) -> None:
    client = make_client(report=report_cfg(mock, tmp_path / "spool", batch_size=2), tenant="acme")
    hashed = make_client(report=report_cfg(mock, tmp_path / "spool2", hash_tenant=True), tenant="acme")
    hashed.chat.completions.create(model="gpt-4o", messages=EASY)
    hashed.usage.flush()
    assert "tenant" not in collected(mock.url)[0] and len(collected(mock.url)[0]["tenant_hash"]) == 32
    control(mock.url, "DELETE", "/_mock/usage")
    for _ in range(5):
        client.chat.completions.create(model="gpt-4o", messages=EASY)
    client.usage.flush()
    stats = client.usage.reporter()
    assert isinstance(stats, kestrel.types.ReporterStats)
    assert (stats.sent, stats.pending, stats.spooled, stats.dropped, stats.last_error) == (5, 0, 0, 0, None)
    records = collected(mock.url)
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert {r["tenant"] for r in records} == {"acme"}
    assert all(r["requested_model"] == "gpt-4o" for r in records)


def test_collector_down_spools_then_delivers(
    make_client: Callable[..., kestrel.OpenAI], mock: Mock, tmp_path: Path
) -> None:
    client = make_client(report=report_cfg(mock, tmp_path / "spool"))
    control(mock.url, "PUT", "/_mock/usage/fail", {"status": 503})
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=EASY)
    client.usage.flush()
    stats = client.usage.reporter()
    assert stats is not None and (stats.sent, stats.spooled, stats.last_error) == (0, 3, "HTTP 503")
    control(mock.url, "DELETE", "/_mock/usage")
    client.usage.flush()
    stats = client.usage.reporter()
    assert stats is not None and (stats.sent, stats.spooled) == (3, 0)
    assert [r["seq"] for r in collected(mock.url)] == [1, 2, 3]


def test_flushes_at_interpreter_exit(mock: Mock, tmp_path: Path) -> None:
    script = f"""
import kestrel_router as kestrel
c = kestrel.OpenAI(api_key="sk-x", base_url={mock.base_url("openai")!r}, from_env=False, max_retries=0,
                   report={{"url": {mock.url + "/v1/usage"!r}, "spool_dir": {str(tmp_path)!r}, "interval": 3600}})
for _ in range(4):
    c.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": "hi"}}])
assert c.usage.reporter().pending + c.usage.reporter().sent == 4
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert len(collected(mock.url)) == 4, "atexit sent what was still queued"


def test_report_env_and_bad_config(mock: Mock, tmp_path: Path) -> None:
    env = dict(os.environ, KESTREL_REPORT_URL=mock.url + "/v1/usage", KESTREL_REPORT_SPOOL_DIR=str(tmp_path))
    script = "import kestrel_router as kestrel; c = kestrel.OpenAI(api_key='sk-x'); print(c.usage.reporter() is not None)"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True", out.stderr
    with pytest.raises(kestrel.OpenAIError, match="report.url"):
        kestrel.OpenAI(api_key="sk-x", from_env=False, report={"url": "not a url"})


def test_report_html(make_client: Callable[..., kestrel.OpenAI], tmp_path: Path) -> None:
    client = make_client(tenant="acme")
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=EASY)
    out = tmp_path / "report.html"
    assert client.usage.report(out) == 3
    html = out.read_text()
    assert "<title>Kestrel usage report</title>" in html
    assert 'data-k="requests" data-v="3"' in html
    assert 'data-k="tenant.acme.requests" data-v="3"' in html
    assert "http://" not in html and "https://" not in html, "self-contained: no external resources"
