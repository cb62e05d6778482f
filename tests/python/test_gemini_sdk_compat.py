"""The mock's Gemini route (`…/models/MODEL:generateContent` and `:streamGenerateContent`),
driven by the official `google-genai` Python SDK.

If the SDK parses everything the mock sends (responses, SSE streams, function calls, JSON
output, error bodies), then Kestrel's Gemini provider, tested against the mock, is tested
against what the real API sends.

With a custom `base_url` the SDK appends `{api_version}/models/MODEL:method` to it, so
`{mock_url}/gemini` gives `/gemini/v1…/models/MODEL:generateContent`.

The mock binary comes from $KESTREL_MOCK_BIN (default: <repo>/target/debug/kestrel-mock);
conftest.py starts it once per session and resets it before every test.
"""

import asyncio
import json
from typing import Any, Dict, List

import pydantic
import pytest
from google import genai
from google.genai import errors, types

from _mock import recorded, set_script

MODEL = "gemini-3.8-flash"
KEY = "gemini-test-key"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Current weather for a city.",
    parameters=types.Schema(
        type=types.Type.OBJECT,
        properties={
            "city": types.Schema(type=types.Type.STRING),
            "unit": types.Schema(type=types.Type.STRING, enum=["celsius", "fahrenheit"]),
        },
        required=["city", "unit"],
    ),
)
NO_AFC = types.AutomaticFunctionCallingConfig(disable=True)


def echo(text: str) -> str:
    return f'Mock answer from {MODEL}: you said "{text}".'


def make_client(mock_url: str, key: str = KEY) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=f"{mock_url}/gemini"))


@pytest.fixture
def client(mock_url: str) -> genai.Client:
    return make_client(mock_url)


def script(url: str, behaviour: Any) -> None:
    """Scripts MODEL: one behaviour, or a queue of them."""
    set_script(url, {"models": {MODEL: behaviour}})


def generate_requests(mock_url: str) -> List[Dict[str, Any]]:
    return [r for r in recorded(mock_url) if "/models/" in r["path"]]


# --- plain generation ----------------------------------------------------------------------


def test_plain_generate(client: genai.Client, mock_url: str) -> None:
    r = client.models.generate_content(model=MODEL, contents="What is 2+2?")
    assert isinstance(r, types.GenerateContentResponse)
    assert r.text == echo("What is 2+2?")
    (candidate,) = r.candidates or []
    assert candidate.finish_reason == types.FinishReason.STOP
    assert candidate.content is not None and candidate.content.role == "model"
    usage = r.usage_metadata
    assert usage is not None
    assert usage.prompt_token_count == len("What is 2+2?") // 4
    assert usage.candidates_token_count == len(echo("What is 2+2?")) // 4
    assert usage.total_token_count == usage.prompt_token_count + usage.candidates_token_count
    assert r.model_version == MODEL and r.response_id

    (req,) = generate_requests(mock_url)
    assert req["path"].startswith("/gemini/v1") and req["path"].endswith(f"/models/{MODEL}:generateContent")
    assert req["body"] == {"contents": [{"parts": [{"text": "What is 2+2?"}], "role": "user"}]}


def test_key_is_a_header_not_in_the_url(client: genai.Client, mock_url: str) -> None:
    client.models.generate_content(model=MODEL, contents="hi")
    list(client.models.generate_content_stream(model=MODEL, contents="hi"))
    plain, streamed = generate_requests(mock_url)
    for req in (plain, streamed):
        assert req["headers"]["x-goog-api-key"] == KEY
        assert KEY not in req["path"] and KEY not in (req.get("query") or "")
    assert streamed["path"].endswith(f"/models/{MODEL}:streamGenerateContent")
    assert streamed["query"] == "alt=sse"


def test_system_instruction_and_generation_config(client: genai.Client, mock_url: str) -> None:
    config = types.GenerateContentConfig(system_instruction="Be terse.", temperature=0.2, stop_sequences=["said"])
    r = client.models.generate_content(model=MODEL, contents="Hello", config=config)
    assert r.text == f"Mock answer from {MODEL}: you "
    body = generate_requests(mock_url)[-1]["body"]
    assert body["systemInstruction"]["parts"] == [{"text": "Be terse."}]
    assert body["generationConfig"] == {"temperature": 0.2, "stopSequences": ["said"]}

    capped = client.models.generate_content(
        model=MODEL, contents="Hello", config=types.GenerateContentConfig(max_output_tokens=3))
    assert capped.text == "Mock answer "
    assert capped.candidates and capped.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


def test_scripted_text_usage_and_finish_reason(client: genai.Client, mock_url: str) -> None:
    script(mock_url, [
        {"text": "Scripted.", "usage": {"prompt_tokens": 11, "completion_tokens": 22}},
        {"text": "", "finish_reason": "SAFETY"},
    ])
    r = client.models.generate_content(model=MODEL, contents="hi")
    assert r.text == "Scripted."
    assert r.usage_metadata and r.usage_metadata.candidates_token_count == 22
    blocked = client.models.generate_content(model=MODEL, contents="hi")
    assert blocked.candidates and blocked.candidates[0].finish_reason == types.FinishReason.SAFETY


def test_multi_turn_chat(client: genai.Client, mock_url: str) -> None:
    chat = client.chats.create(model=MODEL)
    first = chat.send_message("one")
    second = chat.send_message("two")
    assert first.text == echo("one") and second.text == echo("two")
    contents = generate_requests(mock_url)[-1]["body"]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"] == [{"text": echo("one")}]


# --- streaming -----------------------------------------------------------------------------


def test_stream_reassembles_text_and_usage(client: genai.Client) -> None:
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="hello there"))
    assert len(chunks) == len(echo("hello there").split(" ")) > 1
    assert "".join(c.text or "" for c in chunks) == echo("hello there")
    assert all(c.candidates and c.candidates[0].finish_reason is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None
    assert last.usage_metadata.candidates_token_count == len(echo("hello there")) // 4
    assert last.usage_metadata.prompt_token_count == len("hello there") // 4


def test_scripted_stream(client: genai.Client, mock_url: str) -> None:
    script(mock_url, {"text": "one two three", "chunk_delay_ms": 1})
    texts = [c.text for c in client.models.generate_content_stream(model=MODEL, contents="hi")]
    assert texts == ["one ", "two ", "three"]


def test_stream_function_call(client: genai.Client, mock_url: str) -> None:
    script(mock_url, {"text": "Let me check.",
                      "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]})
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])],
                                         automatic_function_calling=NO_AFC)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Weather?", config=config))
    calls = [fc for c in chunks for fc in (c.function_calls or [])]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert calls[0].args == {"city": "Paris", "unit": "celsius"}
    text = "".join(p.text or "" for c in chunks if c.candidates for p in (c.candidates[0].content.parts or [])
                   if c.candidates[0].content)
    assert text == "Let me check."


def test_async_stream(mock_url: str) -> None:
    async def run() -> str:
        client = make_client(mock_url)
        parts = [c.text or "" async for c in await client.aio.models.generate_content_stream(
            model=MODEL, contents="async")]
        return "".join(parts)

    assert asyncio.run(run()) == echo("async")


def test_cut_stream_raises(client: genai.Client, mock_url: str) -> None:
    script(mock_url, {"text": "one two three four", "cut_after_chunks": 2})
    received: List[str] = []
    with pytest.raises(Exception) as excinfo:
        for chunk in client.models.generate_content_stream(model=MODEL, contents="hi"):
            received.append(chunk.text or "")
    assert not isinstance(excinfo.value, AssertionError)
    assert "".join(received) == "one two "


def test_error_event_in_stream_raises(client: genai.Client, mock_url: str) -> None:
    script(mock_url, {"error_type": "RESOURCE_EXHAUSTED", "error_message": "slow down"})
    with pytest.raises(errors.ClientError) as excinfo:
        list(client.models.generate_content_stream(model=MODEL, contents="hi"))
    assert excinfo.value.code == 429 and excinfo.value.status == "RESOURCE_EXHAUSTED"
    assert excinfo.value.message == "slow down"


# --- tools ---------------------------------------------------------------------------------


def test_function_call_round_trip(client: genai.Client, mock_url: str) -> None:
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])],
                                         automatic_function_calling=NO_AFC)
    r = client.models.generate_content(model=MODEL, contents="Weather in Paris?", config=config)
    (call,) = r.function_calls or []
    assert call.name == "get_weather" and call.args == {"city": "example", "unit": "celsius"}
    body = generate_requests(mock_url)[-1]["body"]
    assert body["tools"][0]["functionDeclarations"][0]["parameters"]["type"] == "OBJECT"

    assert r.candidates and r.candidates[0].content
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
        r.candidates[0].content,
        types.Content(role="user", parts=[types.Part.from_function_response(
            name="get_weather", response={"result": "18 degrees"})]),
    ]
    answer = client.models.generate_content(model=MODEL, contents=history, config=config)
    assert not answer.function_calls
    assert answer.text and "18 degrees" in answer.text


@pytest.mark.parametrize("mode,allowed,expected", [
    ("NONE", None, None),
    ("ANY", None, "get_weather"),
    ("ANY", ["lookup"], "lookup"),
])
def test_function_calling_modes(client: genai.Client, mode: str, allowed: Any, expected: Any) -> None:
    lookup = types.FunctionDeclaration(name="lookup", parameters=types.Schema(
        type=types.Type.OBJECT, properties={"q": types.Schema(type=types.Type.STRING)}))
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER, lookup])], automatic_function_calling=NO_AFC,
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(
            mode=mode, allowed_function_names=allowed)))  # type: ignore[arg-type]
    r = client.models.generate_content(model=MODEL, contents="Go", config=config)
    names = [c.name for c in (r.function_calls or [])]
    assert names == ([] if expected is None else [expected])


def test_automatic_function_calling(client: genai.Client, mock_url: str) -> None:
    """The SDK calls a Python function itself and sends its result back."""
    def get_weather(city: str, unit: str) -> str:
        """Current weather for a city."""
        return f"21 degrees {unit} in {city}"

    r = client.models.generate_content(model=MODEL, contents="Weather?",
                                       config=types.GenerateContentConfig(tools=[get_weather]))
    assert r.text and "21 degrees example in example" in r.text
    first, second = generate_requests(mock_url)
    # Callables are declared as JSON Schema (`parameters_json_schema`, the proto field name).
    (decl,) = first["body"]["tools"][0]["functionDeclarations"]
    assert decl["parameters_json_schema"]["required"] == ["city", "unit"]
    call, result = second["body"]["contents"][1:]
    assert call["parts"][0]["functionCall"] == {"name": "get_weather", "args": {"city": "example", "unit": "example"}}
    assert result["parts"][0]["functionResponse"]["response"] == {"result": "21 degrees example in example"}


# --- JSON mode -----------------------------------------------------------------------------


def test_json_mode(client: genai.Client) -> None:
    r = client.models.generate_content(model=MODEL, contents="json please",
                                       config=types.GenerateContentConfig(response_mime_type="application/json"))
    assert isinstance(json.loads(r.text or ""), dict)


class Person(pydantic.BaseModel):
    name: str
    age: int
    admin: bool


def test_response_schema_is_parsed(client: genai.Client, mock_url: str) -> None:
    config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=Person)
    r = client.models.generate_content(model=MODEL, contents="who?", config=config)
    assert isinstance(r.parsed, Person)
    assert r.parsed == Person(name="example", age=1, admin=True)
    schema = generate_requests(mock_url)[-1]["body"]["generationConfig"]["responseSchema"]
    assert schema["type"] == "OBJECT" and set(schema["required"]) == {"name", "age", "admin"}


def test_response_json_schema(client: genai.Client) -> None:
    config = types.GenerateContentConfig(response_mime_type="application/json", response_json_schema={
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
        "additionalProperties": False})
    r = client.models.generate_content(model=MODEL, contents="where?", config=config)
    assert json.loads(r.text or "") == {"city": "example"}


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status,error_class,status_name", [
    (400, errors.ClientError, "INVALID_ARGUMENT"),
    (401, errors.ClientError, "UNAUTHENTICATED"),
    (403, errors.ClientError, "PERMISSION_DENIED"),
    (404, errors.ClientError, "NOT_FOUND"),
    (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
    (500, errors.ServerError, "INTERNAL"),
    (503, errors.ServerError, "UNAVAILABLE"),
])
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors(client: genai.Client, mock_url: str, status: int, error_class: Any,
                       status_name: str, stream: bool) -> None:
    script(mock_url, {"status": status})
    with pytest.raises(error_class) as excinfo:
        if stream:
            list(client.models.generate_content_stream(model=MODEL, contents="hi"))
        else:
            client.models.generate_content(model=MODEL, contents="hi")
    err = excinfo.value
    assert isinstance(err, errors.APIError)
    assert err.code == status and err.status == status_name and err.message
    assert err.details == {"error": {"code": status, "message": err.message, "status": status_name}}


def test_scripted_error_message_and_retry_after(client: genai.Client, mock_url: str) -> None:
    script(mock_url, {"status": 429, "retry_after": 2, "error_message": "quota gone"})
    with pytest.raises(errors.ClientError) as excinfo:
        client.models.generate_content(model=MODEL, contents="hi")
    assert excinfo.value.message == "quota gone"
    assert excinfo.value.response is not None
    assert excinfo.value.response.headers["retry-after"] == "2"


def test_sdk_retry_options_recover(mock_url: str) -> None:
    script(mock_url, [{"status": 503}, {"text": "after the retry"}])
    retrying = genai.Client(api_key=KEY, http_options=types.HttpOptions(
        base_url=f"{mock_url}/gemini",
        retry_options=types.HttpRetryOptions(attempts=2, initial_delay=0.01, max_delay=0.01)))
    assert retrying.models.generate_content(model=MODEL, contents="hi").text == "after the retry"
    assert len(generate_requests(mock_url)) == 2


def test_wrong_key_and_invalid_requests(mock_url: str) -> None:
    set_script(mock_url, {"require_keys": {"/gemini": "right-key"}})
    wrong, right = make_client(mock_url, key="wrong-key"), make_client(mock_url, key="right-key")
    with pytest.raises(errors.ClientError, match="API key not valid") as excinfo:
        wrong.models.generate_content(model=MODEL, contents="hi")
    assert excinfo.value.code == 400 and excinfo.value.status == "INVALID_ARGUMENT"
    assert right.models.generate_content(model=MODEL, contents="hi").text
    set_script(mock_url, {})

    client = make_client(mock_url)
    with pytest.raises(errors.ClientError, match="Unknown name \"messages\""):
        client.models.generate_content(model=MODEL, contents="hi", config=types.GenerateContentConfig(
            http_options=types.HttpOptions(extra_body={"messages": []})))
    bad = types.Content(role="assistant", parts=[types.Part.from_text(text="x")])
    with pytest.raises(errors.ClientError, match="valid role"):
        client.models.generate_content(model=MODEL, contents=[bad])
