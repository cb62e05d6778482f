"""`kestrel serve` driven by the official `openai` SDK: the SDK's base URL is the server's,
its api_key a Kestrel key, and nothing else changes.

The server is the `kestrel` binary ($KESTREL_BIN, default <repo>/target/debug/kestrel) in
front of kestrel-mock, on loopback, with a fresh SQLite file, and again with a fresh
Postgres database on the server $KESTREL_TEST_POSTGRES_URL names (scripts/test.sh starts a
throwaway one; without it those runs fail, naming the variable).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import openai
import pytest
from openai import OpenAI

from _mock import REPO, MockProcess, set_script

KESTREL_BIN = Path(os.environ.get("KESTREL_BIN", REPO / "target" / "debug" / "kestrel"))
ADMIN = "admin-python-test"
MASTER = "22" * 32


class Served:
    def __init__(self, proc: "subprocess.Popen[str]", url: str, db: Path, mock: MockProcess) -> None:
        self.proc = proc
        self.url = url
        self.db = db
        self.mock = mock

    def admin(self, method: str, path: str, body: Any = None) -> Tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def get(self, key: str, path: str) -> Tuple[int, Any]:
        req = urllib.request.Request(self.url + path, headers={"authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                body = resp.read()
                ctype = resp.headers.get("content-type", "")
                return resp.status, json.loads(body) if "json" in ctype else body.decode()
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def create_key(self, tenant: str, name: Optional[str] = None) -> Dict[str, Any]:
        status, body = self.admin("POST", "/admin/keys", {"tenant": tenant, "name": name, "providers": {"openai": "sk-test"}})
        assert status == 201, body
        return body

    def client(self, key: str, **kw: Any) -> OpenAI:
        return OpenAI(base_url=self.url + "/v1", api_key=key, **kw)


def fresh_postgres_database() -> str:
    """A new empty database on the test Postgres server, as a URL (made with `createdb`)."""
    server = os.environ.get("KESTREL_TEST_POSTGRES_URL")
    if not server:
        pytest.fail("KESTREL_TEST_POSTGRES_URL is not set: the server tests run on Postgres too "
                    "(scripts/test.sh starts a throwaway cluster and sets it)")
    createdb = shutil.which("createdb") or next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/createdb"))), None)
    if createdb is None:
        pytest.fail("createdb not found (Debian package postgresql)")
    u = urllib.parse.urlsplit(server)
    name = f"kestrel_py_{uuid.uuid4().hex[:12]}"
    subprocess.run([str(createdb), "-h", u.hostname or "127.0.0.1", "-p", str(u.port or 5432),
                    "-U", u.username or "postgres", name], check=True, capture_output=True)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, "", ""))


def start_server(db: Path, mock: MockProcess, *extra: str, database_url: Optional[str] = None) -> Served:
    if not KESTREL_BIN.exists():
        pytest.fail(f"kestrel binary not found at {KESTREL_BIN}: run `cargo build -p kestrel-cli` or set KESTREL_BIN")
    env = dict(os.environ, KESTREL_ADMIN_TOKEN=ADMIN, KESTREL_MASTER_KEY=MASTER)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "KESTREL_REDIS_URL"):
        env.pop(var, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    cmd = [str(KESTREL_BIN), "serve", "--listen", "127.0.0.1:0", "--db", str(db), "--max-retries", "0",
           "--base-url", f"openai={mock.url}/openai/v1", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    first: List[str] = []
    assert proc.stdout is not None
    stdout = proc.stdout
    reader = threading.Thread(target=lambda: first.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout=20)
    m = re.fullmatch(r"kestrel serve listening on (http://127\.0\.0\.1:\d+)\n", first[0] if first else "")
    if not m:
        proc.kill()
        pytest.fail(f"unexpected first line from kestrel serve: {first!r}")
    return Served(proc, m.group(1), db, mock)


def stop(s: Served) -> int:
    s.proc.terminate()  # SIGTERM: graceful shutdown
    try:
        return s.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        s.proc.kill()
        return s.proc.wait()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server per store: every test below runs against SQLite and against Postgres."""
    database_url = fresh_postgres_database() if request.param == "postgres" else None
    mock = MockProcess.start()
    s = start_server(tmp_path_factory.mktemp("serve") / "kestrel.db", mock, database_url=database_url)
    try:
        yield s
    finally:
        stop(s)
        mock.stop()


def test_the_openai_quickstart_with_only_the_base_url_changed(server: Served) -> None:
    key = server.create_key("py-quickstart")["key"]
    client = OpenAI(base_url=server.url + "/v1", api_key=key)
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    assert "2+2" in (r.choices[0].message.content or "")
    assert r.object == "chat.completion"
    assert r.usage is not None and r.usage.total_tokens > 0
    extra = r.model_extra or {}
    assert extra["kestrel"]["requested_model"] == "gpt-4o"
    models = [m.id for m in client.models.list()]
    assert "gpt-4o" in models


def test_streaming_with_the_sdk(server: Served) -> None:
    client = server.client(server.create_key("py-stream")["key"])
    chunks = list(client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Tell me about kestrels."}], stream=True,
        stream_options={"include_usage": True},
    ))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "kestrels" in text
    assert any(c.usage is not None for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_the_responses_api_with_the_sdk(server: Served) -> None:
    client = server.client(server.create_key("py-responses")["key"])
    first = client.responses.create(model="gpt-4o", input="What is 2+2?", instructions="Be brief.")
    assert first.status == "completed" and "2+2" in first.output_text
    with client.responses.stream(model="gpt-4o", input="And 3+3?", previous_response_id=first.id) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "3+3" in final.output_text


def test_tools_and_json_mode(server: Served) -> None:
    client = server.client(server.create_key("py-tools")["key"])
    r = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
    )
    call = (r.choices[0].message.tool_calls or [])[0]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    r = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "A JSON object with a name"}],
        response_format={"type": "json_object"},
    )
    json.loads(r.choices[0].message.content or "")


def test_errors_are_the_sdks_exceptions(server: Served) -> None:
    with pytest.raises(openai.AuthenticationError) as e:
        server.client("ks-not-a-real-key").chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "invalid_api_key"
    client = server.client(server.create_key("py-errors")["key"], max_retries=0)
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="gpt-4o", messages=[])
    assert bad.value.status_code == 400
    set_script(server.mock.url, {"models": {"gpt-4o": {"status": 429, "error_message": "slow down"}}})
    try:
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
                                           extra_body={"kestrel": {"routing": False}})
    finally:
        set_script(server.mock.url, {})


def test_revocation_takes_effect_at_once(server: Served) -> None:
    created = server.create_key("py-revoke")
    client = server.client(created["key"], max_retries=0)
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    status, body = server.admin("DELETE", f"/admin/keys/{created['id']}")
    assert status == 200 and body["active"] is False
    with pytest.raises(openai.AuthenticationError) as e:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert "revoked" in str(e.value)


def test_tenants_are_isolated(server: Served) -> None:
    a = server.create_key("py-tenant-a")["key"]
    b = server.create_key("py-tenant-b")["key"]
    for _ in range(3):
        server.client(a).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    server.client(b).chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}],
        extra_body={"kestrel": {"tenant": "py-tenant-a"}},  # cannot count into another tenant
    )
    assert server.get(a, "/api/dashboard/savings")[1]["requests"] == 3
    assert server.get(b, "/api/dashboard/savings")[1]["requests"] == 1
    status, keys = server.admin("GET", "/admin/keys?tenant=py-tenant-b")
    assert status == 200 and [k["tenant"] for k in keys["data"]] == ["py-tenant-b"]
    assert all("key" not in k for k in keys["data"])


def test_dashboard_and_csv(server: Served) -> None:
    key = server.create_key("py-dash")["key"]
    client = server.client(key)
    for q in ["What is 2+2?", "Say hello", "Name a colour"]:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
    _, s = server.get(key, "/api/dashboard/savings")
    assert s["requests"] == 3 and s["baseline_cost_usd"] >= s["actual_cost_usd"]
    _, r = server.get(key, "/api/dashboard/routing")
    assert r["economy"] + r["standard"] + r["premium"] + r["passthrough"] + r["cache"] == 3
    _, a = server.get(key, "/api/dashboard/analytics")
    assert sum(m["requests"] for m in a["models"]) == 3
    status, csv = server.get(key, "/api/dashboard/export.csv")
    assert status == 200 and len(csv.strip().splitlines()) == 4


def test_the_cli_manages_keys(server: Served) -> None:
    env = dict(os.environ, KESTREL_ADMIN_TOKEN=ADMIN, KESTREL_URL=server.url)
    out = subprocess.run([str(KESTREL_BIN), "keys", "create", "--tenant", "py-cli", "--provider-key", "openai=sk-test"],
                         env=env, capture_output=True, text=True, check=True)
    key = out.stdout.strip()
    assert key.startswith("ks-")
    server.client(key).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    listed = json.loads(subprocess.run([str(KESTREL_BIN), "keys", "list", "--tenant", "py-cli", "--json"],
                                       env=env, capture_output=True, text=True, check=True).stdout)
    assert len(listed) == 1 and listed[0]["active"] and key not in json.dumps(listed)
    subprocess.run([str(KESTREL_BIN), "keys", "revoke", listed[0]["id"]], env=env, check=True, capture_output=True)
    with pytest.raises(openai.AuthenticationError):
        server.client(key, max_retries=0).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_curl_example_with_only_the_host_changed(server: Served) -> None:
    key = server.create_key("py-curl")["key"]
    # OpenAI's own cURL example, with the host replaced.
    out = subprocess.run([
        "curl", "-sS", f"{server.url}/v1/chat/completions",
        "-H", "Content-Type: application/json",
        "-H", f"Authorization: Bearer {key}",
        "-d", json.dumps({"model": "gpt-4o", "messages": [
            {"role": "developer", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello!"}]}),
    ], capture_output=True, text=True, check=True)
    body = json.loads(out.stdout)
    assert body["choices"][0]["message"]["role"] == "assistant"


def test_no_prompt_is_stored_and_sigterm_is_graceful(tmp_path: Path) -> None:
    mock = MockProcess.start()
    s = start_server(tmp_path / "kestrel.db", mock)
    try:
        key = s.create_key("py-privacy")["key"]
        prompt = "pelican-harmonica-5150 confidential"
        s.client(key).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
        for _ in s.client(key).chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": prompt}], stream=True):
            pass
    finally:
        assert stop(s) == 0
        mock.stop()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("kestrel.db"))
    assert b"pelican-harmonica" not in blob
    assert key.encode() not in blob and b"sk-test" not in blob
    rows = sqlite3.connect(str(tmp_path / "kestrel.db")).execute("SELECT tenant, record FROM usage").fetchall()
    assert len(rows) == 2 and all(t == "py-privacy" for t, _ in rows)
    assert all(json.loads(r)["requested_model"] == "gpt-4o" for _, r in rows)


def test_langchain_chat_openai_with_base_url(server: Served) -> None:
    from langchain_openai import ChatOpenAI

    key = server.create_key("py-langchain")["key"]
    llm = ChatOpenAI(base_url=server.url + "/v1", api_key=key, model="gpt-4o", max_retries=0)  # type: ignore[arg-type]
    msg = llm.invoke("What is 2+2?")
    assert "2+2" in str(msg.content)
    chunks = list(llm.stream("Tell me about kestrels."))
    assert "kestrels" in "".join(str(c.content) for c in chunks)
    assert server.get(key, "/api/dashboard/savings")[1]["requests"] == 2
