"""Client and request options, from openai-python's README: timeouts, retries,
``with_options``, extra headers/query/body, default headers/query, organization and
project, the environment, ``base_url``, ``http_client`` and the module-level client."""

from __future__ import annotations

import asyncio
from typing import Any

import openai

from _harness import MESSAGES, Env, Kit, program


def headers_of(request: Any, *names: str) -> Any:
    return {n: request["headers"].get(n) for n in names}


@program
def option_with_options(c: Any, k: Kit) -> Any:
    r = c.with_options(timeout=20.0, max_retries=1).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    copy = c.with_options(max_retries=5)
    return r.choices[0].message.content, copy.max_retries, c.max_retries


@program
def option_copy(c: Any, k: Kit) -> Any:
    copy = c.copy(organization="org-copy")
    r = copy.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content, copy.organization, k.last_sent("/chat/completions")["headers"].get(
        "openai-organization")


@program
def option_request_timeout(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, timeout=20.0)
    f = c.files.list(timeout=openai.Timeout(20.0, read=5.0, write=10.0, connect=2.0))
    return r.choices[0].message.content, [x.id for x in f.data]


# The SDK's own `Timeout` (httpx2's class in openai 3.x): openai 3.63 refuses httpx's at
# construction, so programs written for it use this one.
@program
def option_client_timeout_and_retries(c: Any, k: Kit) -> Any:
    client = k.make(timeout=openai.Timeout(60.0, read=5.0, write=10.0, connect=2.0), max_retries=2)
    r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content, client.max_retries


@program
def option_extra_headers_query_body(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, extra_headers={"X-Trace": "t1"},
                                  extra_query={"q": "1"}, extra_body={"custom_field": True})
    sent = k.last_sent("/chat/completions")
    return (r.choices[0].message.content, sent["headers"].get("x-trace"), sent["query"],
            sent["body"].get("custom_field"))


@program
def option_extra_on_passthrough(c: Any, k: Kit) -> Any:
    c.embeddings.create(model="text-embedding-3-small", input="hi", extra_headers={"X-Trace": "t2"},
                        extra_query={"q": "2"}, extra_body={"custom_field": 1})
    sent = k.last_sent("/embeddings")
    return sent["headers"].get("x-trace"), sent["query"], sent["body"].get("custom_field")


@program
def option_default_headers_query_org_project(c: Any, k: Kit) -> Any:
    client = k.make(organization="org-1", project="proj-1", default_headers={"X-App": "a"}, default_query={"v": "1"})
    r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    client.models.list()
    chat, models = k.last_sent("/chat/completions"), k.last_sent("/models")
    names = ("openai-organization", "openai-project", "x-app")
    return (r.choices[0].message.content, client.organization, client.project, headers_of(chat, *names),
            chat["query"], headers_of(models, *names), models["query"])


@program
def option_user_agent_and_auth(c: Any, k: Kit) -> Any:
    c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sent = k.last_sent("/chat/completions")
    return sent["headers"].get("authorization"), sent["headers"].get("content-type")


@program
def option_environment(c: Any, k: Kit) -> Any:
    with Env(OPENAI_API_KEY=k.key, OPENAI_BASE_URL=k.base_url, OPENAI_ORG_ID="org-env", OPENAI_PROJECT_ID="proj-env"):
        client = k.bare(max_retries=0)
        r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        ids = [m.id for m in client.models.list()]
    return r.choices[0].message.content, ids, client.organization, client.project


@program
def option_missing_api_key(c: Any, k: Kit) -> Any:
    # The SDK refuses at construction, Kestrel (which may have other providers' keys) at
    # the first call: either way an OpenAIError naming the variable, before any request.
    with Env(OPENAI_API_KEY=None):
        try:
            k.bare(base_url=k.base_url).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        except k.module.OpenAIError as e:
            return "OPENAI_API_KEY" in str(e), k.sent()


@program
def option_base_url(c: Any, k: Kit) -> Any:
    client = k.make(base_url=k.base_url + "/")
    r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content, str(client.base_url).rstrip("/") == k.base_url


@program
def option_http_client(c: Any, k: Kit) -> Any:
    seen = []
    http = k.module.DefaultHttpxClient(event_hooks={"request": [lambda r: seen.append(r.url.path)]})
    client = k.make(http_client=http)
    ids = [m.id for m in client.models.list()]
    return ids, seen


@program
def option_async_http_client(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        seen = []

        async def hook(r: Any) -> None:
            seen.append(r.url.path)

        client = k.make_async(http_client=k.module.DefaultAsyncHttpxClient(event_hooks={"request": [hook]}))
        ids = [m.id async for m in client.models.list()]
        return ids, seen

    return asyncio.run(main())


@program
def option_module_client(c: Any, k: Kit) -> Any:
    m = k.module
    # The module's settings and the client it built from them, put back afterwards so the
    # other tests' module-level clients are untouched.
    cached = "_module_client" if k.is_kestrel else "_client"
    saved = (m.api_key, m.base_url, m.max_retries, getattr(m, cached))
    m.api_key, m.base_url, m.max_retries = k.key, k.base_url + "/", 0
    setattr(m, cached, None)
    try:
        r = m.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        ids = [x.id for x in m.models.list()]
        emb = m.embeddings.create(model="text-embedding-3-small", input="hi")
    finally:
        m.api_key, m.base_url, m.max_retries = saved[:3]
        setattr(m, cached, saved[3])
    return r.choices[0].message.content.startswith("Mock answer from"), ids, len(emb.data[0].embedding)


@program
def option_client_context_manager(c: Any, k: Kit) -> Any:
    with k.make() as client:
        r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content


@program
def azure_openai(c: Any, k: Kit) -> Any:
    k.mock.script({"azure_deployments": {"big": "gpt-4o"}})
    client = k.bare("AzureOpenAI", azure_endpoint=k.mock.url + "/azure/", api_version="2024-10-21", api_key="az-key",
                    max_retries=0)
    r = client.chat.completions.create(model="big", messages=MESSAGES)
    e = client.embeddings.create(model="big", input="hi")
    sent = [(x["path"], x["query"], x["headers"].get("api-key")) for x in k.sent()]
    return r.choices[0].message.content, len(e.data), sent
