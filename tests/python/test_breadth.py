"""The breadth suite: one small program per documented call or option of openai-python (its
README and api.md), each run twice against the mock, once with the official ``openai``
client and once with ``kestrel_router``'s, the program's text the same. Every program that
the official SDK runs must run with Kestrel and give the same result (the same value, or
the same exception class and status). Kestrel's client is built with ``routing=False`` so
that chat answers name the same model; routing itself is tested elsewhere.

A program returns a plain "digest" of what it got (fields, types by name, bytes), so the
two runs compare by equality; ids and timestamps the mock mints per request are left out.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any, Callable, Dict, List, Tuple

import openai
import pydantic
import pytest

import kestrel_router
from _mock import PROVIDER_KEYS, Mock

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

# A program: ``fn(client, make)`` -> a comparable digest, where ``make(async_=False,
# **overrides)`` builds another client of the same library with the suite's settings.
Program = Callable[[Any, Any], Any]
PROGRAMS: Dict[str, Program] = {}


def program(fn: Program) -> Program:
    """Registers a program."""
    PROGRAMS[fn.__name__] = fn
    return fn


def kind(x: Any) -> str:
    return type(x).__name__


# --- chat (README: usage, streaming, async, tools, JSON mode, structured outputs) -----------


@program
def chat_create(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return kind(r), r.object, r.choices[0].message.role, r.choices[0].message.content, r.choices[0].finish_reason


@program
def chat_create_with_options(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(
        model="gpt-4o", messages=[{"role": "developer", "content": "Talk like a pirate."}, *MESSAGES],
        temperature=0.2, top_p=0.9, max_completion_tokens=50, seed=7, n=1, stop=["\n\n"], user="u-1",
        metadata={"app": "breadth"}, store=False,
    )
    return r.choices[0].message.content, r.usage.total_tokens > 0


@program
def chat_stream(c: Any, m: Any) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    return text


@program
def chat_stream_usage(c: Any, m: Any) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True,
                                       stream_options={"include_usage": True})
    chunks = list(stream)
    return chunks[-1].choices, chunks[-1].usage.completion_tokens > 0


@program
def chat_tools(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                  tools=[WEATHER], tool_choice="auto")
    call = r.choices[0].message.tool_calls[0]
    return r.choices[0].finish_reason, call.type, call.function.name, sorted(__import__("json").loads(call.function.arguments))


@program
def chat_json_mode(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "A JSON object, please"}],
                                  response_format={"type": "json_object"})
    return isinstance(__import__("json").loads(r.choices[0].message.content), dict)


class Step(pydantic.BaseModel):
    explanation: str
    output: str


class Math(pydantic.BaseModel):
    steps: List[Step]
    final_answer: str


@program
def chat_parse_pydantic(c: Any, m: Any) -> Any:
    r = c.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
                                 response_format=Math)
    parsed = r.choices[0].message.parsed
    return kind(parsed), sorted(parsed.model_dump())


@program
def chat_with_raw_response(c: Any, m: Any) -> Any:
    raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    completion = raw.parse()
    return raw.http_response.status_code, raw.headers.get("content-type", "").split(";")[0], completion.choices[0].message.content


@program
def chat_request_id(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return isinstance(r._request_id, str) and len(r._request_id) > 0


@program
def chat_async(c: Any, m: Any) -> Any:
    async def main() -> Any:
        async with m(async_=True) as ac:
            r = await ac.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            s = await ac.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            text = "".join([ch.choices[0].delta.content or "" async for ch in s if ch.choices])
            return r.choices[0].message.content, text

    return asyncio.run(main())


@program
def chat_stream_helper(c: Any, m: Any) -> Any:
    with c.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_completion()
    return kinds[-1], final.choices[0].message.content


@program
def chat_with_options_timeout(c: Any, m: Any) -> Any:
    r = c.with_options(timeout=20.0, max_retries=1).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content


@program
def chat_extra_headers_query_body(c: Any, m: Any) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, extra_headers={"X-Trace": "t1"},
                                  extra_query={"q": "1"}, extra_body={"custom_field": True})
    return r.choices[0].message.content


@program
def chat_with_streaming_response(c: Any, m: Any) -> Any:
    with c.chat.completions.with_streaming_response.create(model="gpt-4o", messages=MESSAGES) as raw:
        completion = raw.parse()
        return raw.status_code, completion.choices[0].message.content


# --- errors (README: handling errors) ------------------------------------------------------


@program
def error_bad_request(c: Any, m: Any) -> Any:
    c.chat.completions.create(model="gpt-4o", messages=[])


@program
def error_not_found_model(c: Any, m: Any) -> Any:
    c.images.generate(model="gpt-image-missing", prompt="a kestrel")


@program
def error_authentication_routed(c: Any, m: Any) -> Any:
    m(api_key="sk-wrong").chat.completions.create(model="gpt-4o", messages=MESSAGES)


@program
def error_authentication_passthrough(c: Any, m: Any) -> Any:
    m(api_key="sk-wrong").files.list()


@program
def error_connection(c: Any, m: Any) -> Any:
    m(base_url="http://127.0.0.1:9/v1").chat.completions.create(model="gpt-4o", messages=MESSAGES)


# --- the Responses API ----------------------------------------------------------------------


@program
def responses_create(c: Any, m: Any) -> Any:
    r = c.responses.create(model="gpt-4o", input="Today's news?", tools=[{"type": "web_search"}])
    return [o.type for o in r.output], r.output_text, r.usage.total_tokens


@program
def responses_create_shape(c: Any, m: Any) -> Any:
    # Routed by Kestrel (through chat) and answered natively by the mock for the SDK: the
    # texts differ by design, the shape must not.
    r = c.responses.create(model="gpt-4o", instructions="Be brief.", input="Tell me a joke.")
    return kind(r), r.object, r.status, [o.type for o in r.output], bool(r.output_text), r.usage.total_tokens > 0


@program
def responses_stream_helper_shape(c: Any, m: Any) -> Any:
    with c.responses.stream(model="gpt-4o", input="Tell me a joke.") as stream:
        kinds = {e.type for e in stream}
        final = stream.get_final_response()
    return sorted(k for k in kinds if k.startswith("response.output_text")), final.status, bool(final.output_text)


@program
def responses_retrieve_and_delete(c: Any, m: Any) -> Any:
    rid = "resp_mock" + "2" * 44
    r = c.responses.retrieve(rid)
    items = [i.id for i in c.responses.input_items.list(rid)]
    c.responses.delete(rid)
    return r.id, r.status, items


# --- the APIs Kestrel passes through --------------------------------------------------------


@program
def embeddings(c: Any, m: Any) -> Any:
    r = c.embeddings.create(model="text-embedding-3-small", input=["The food was delicious", "and the waiter"])
    return kind(r), [len(d.embedding) for d in r.data], r.usage.prompt_tokens


@program
def moderations(c: Any, m: Any) -> Any:
    r = c.moderations.create(model="omni-moderation-latest", input="I want to kill them.")
    return kind(r), r.results[0].flagged, sorted(r.results[0].categories.model_dump(by_alias=True))[:3]


@program
def images_generate(c: Any, m: Any) -> Any:
    r = c.images.generate(model="gpt-image-1", prompt="A cute baby sea otter", n=2, size="1024x1024")
    return kind(r), len(r.data), r.data[0].b64_json[:12]


@program
def images_generate_url(c: Any, m: Any) -> Any:
    r = c.images.generate(model="dall-e-3", prompt="A cute baby sea otter", response_format="url")
    return r.data[0].url


@program
def images_edit_multipart(c: Any, m: Any) -> Any:
    r = c.images.edit(model="gpt-image-1", image=("otter.png", b"\x89PNG fake"), prompt="Add a hat")
    return len(r.data)


@program
def audio_speech_bytes(c: Any, m: Any) -> Any:
    r = c.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hello world")
    return r.content[:3], r.response.headers["content-type"]


@program
def audio_speech_streaming_response(c: Any, m: Any) -> Any:
    with c.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="coral", input="Hi") as r:
        buf = io.BytesIO()
        for chunk in r.iter_bytes():
            buf.write(chunk)
    return buf.getvalue()[:3]


@program
def audio_transcription_multipart(c: Any, m: Any) -> Any:
    r = c.audio.transcriptions.create(model="gpt-4o-transcribe", file=("speech.mp3", b"ID3 fake audio"))
    return kind(r), r.text


@program
def audio_transcription_text(c: Any, m: Any) -> Any:
    return c.audio.transcriptions.create(model="whisper-1", file=("speech.mp3", b"ID3"), response_format="text")


@program
def audio_translation(c: Any, m: Any) -> Any:
    return c.audio.translations.create(model="whisper-1", file=("speech.mp3", b"ID3")).text


@program
def files_upload_and_read(c: Any, m: Any) -> Any:
    f = c.files.create(file=("batch.jsonl", b'{"custom_id": "r1"}\n'), purpose="batch")
    content = c.files.content(f.id)
    return kind(f), f.filename, f.purpose, content.read()[:12]


@program
def files_list_auto_paging(c: Any, m: Any) -> Any:
    page = c.files.list()
    ids = [f.id for f in page]
    return kind(page), ids, page.has_next_page()


@program
def files_retrieve_delete(c: Any, m: Any) -> Any:
    f = c.files.retrieve("file-abc")
    d = c.files.delete("file-abc")
    return f.id, d.deleted


@program
def batches(c: Any, m: Any) -> Any:
    b = c.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h")
    listed = [x.id for x in c.batches.list(limit=10)]
    cancelled = c.batches.cancel(b.id)
    return b.status, listed, cancelled.status


@program
def fine_tuning_jobs(c: Any, m: Any) -> Any:
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file="file-abc")
    events = [e.message for e in c.fine_tuning.jobs.list_events(job.id, limit=3)]
    jobs = [j.id for j in c.fine_tuning.jobs.list()]
    return job.status, events, jobs


@program
def vector_stores(c: Any, m: Any) -> Any:
    vs = c.vector_stores.create(name="docs")
    listed = [v.name for v in c.vector_stores.list()]
    return vs.name, vs.status, listed, c.vector_stores.delete(vs.id).deleted


@program
def legacy_completions(c: Any, m: Any) -> Any:
    r = c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this is a test", max_tokens=7)
    return kind(r), r.choices[0].text


@program
def models_list_retrieve(c: Any, m: Any) -> Any:
    ids = [x.id for x in c.models.list()]
    return ids, c.models.retrieve(ids[0]).id


@program
def generic_get_post(c: Any, m: Any) -> Any:
    listed = c.get("/models", cast_to=object)
    posted = c.post("/embeddings", cast_to=object, body={"model": "text-embedding-3-small", "input": "hi"})
    return sorted(listed), posted["object"]


@program
def raw_response_on_passthrough(c: Any, m: Any) -> Any:
    raw = c.files.with_raw_response.list()
    return raw.http_response.status_code, [f.id for f in raw.parse()]


@program
def async_passthrough_pagination(c: Any, m: Any) -> Any:
    async def main() -> Any:
        async with m(async_=True) as ac:
            ids = [f.id async for f in ac.files.list()]
            emb = await ac.embeddings.create(model="text-embedding-3-small", input="hi")
            return ids, len(emb.data[0].embedding)

    return asyncio.run(main())


@program
def client_settings(c: Any, m: Any) -> Any:
    client = m(organization="org-1", project="proj-1", default_headers={"X-App": "a"}, default_query={"v": "1"},
               timeout=30.0)
    r = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return r.choices[0].message.content, client.organization, client.project, client.max_retries


# --- running the programs --------------------------------------------------------------------


def sdk_class(e: BaseException) -> str:
    """The SDK's name for an error: the first class in its ancestry that openai has
    (Kestrel's ``InvalidRequestError`` is a ``BadRequestError``)."""
    for cls in type(e).__mro__:
        if isinstance(getattr(openai, cls.__name__, None), type):
            return cls.__name__
    return type(e).__name__


def digest(fn: Program, client: Any, make: Any) -> Tuple[str, Any]:
    try:
        return "ok", fn(client, make)
    except (openai.OpenAIError, kestrel_router.OpenAIError) as e:
        return "error", (sdk_class(e), getattr(e, "status_code", None))


def clients(mock: Mock) -> Dict[str, Tuple[Any, Any]]:
    """Each library's client for the programs, and its ``make``."""
    base: Dict[str, Any] = {"api_key": PROVIDER_KEYS["openai"], "base_url": mock.base_url("openai"), "max_retries": 0}

    def official(async_: bool = False, **overrides: Any) -> Any:
        return (openai.AsyncOpenAI if async_ else openai.OpenAI)(**{**base, **overrides})

    def kestrel(async_: bool = False, **overrides: Any) -> Any:
        cls = kestrel_router.AsyncOpenAI if async_ else kestrel_router.OpenAI
        return cls(**{**base, "from_env": False, "routing": False, **overrides})

    return {"openai": (official(), official), "kestrel": (kestrel(), kestrel)}


RESULTS: Dict[str, Dict[str, Tuple[str, Any]]] = {}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_program_the_sdk_runs_runs_with_kestrel(name: str, mock: Mock) -> None:
    mock.script({"require_key": PROVIDER_KEYS["openai"], "listed": {"/openai": ["gpt-4o", "gpt-4o-mini"]}})
    runs = {label: digest(PROGRAMS[name], c, make) for label, (c, make) in clients(mock).items()}
    RESULTS[name] = runs
    assert runs["kestrel"] == runs["openai"], runs


def test_breadth_summary() -> None:
    # Runs last (pytest keeps file order): counts what the official SDK and Kestrel ran.
    ran = [r for r in RESULTS.values()]
    with_sdk = sum(r["openai"][0] == "ok" for r in ran)
    with_kestrel = sum(r["kestrel"] == r["openai"] for r in ran)
    print(f"\nbreadth (Python): programs {len(PROGRAMS)}, run {len(ran)}, pass with openai {with_sdk}, "
          f"same with kestrel {with_kestrel}")
    assert len(ran) == len(PROGRAMS) and with_kestrel == len(ran)
