"""Errors: each HTTP status class, local validation, rate limits, Kestrel's own failures,
and the mapping from the native error."""

from __future__ import annotations

from typing import Any

import pytest

import kestrel_router as kestrel
from _mock import Mock
from kestrel_router._errors import from_native
from kestrel_router._native import NativeError


def ask(text: str = "hi") -> list:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize("status, error_cls, error_type, code", [
    (400, kestrel.BadRequestError, "invalid_request_error", None),
    (401, kestrel.AuthenticationError, "invalid_request_error", "invalid_api_key"),
    (403, kestrel.PermissionDeniedError, "permission_error", "permission_denied"),
    (404, kestrel.NotFoundError, "invalid_request_error", "model_not_found"),
    (409, kestrel.ConflictError, "invalid_request_error", "conflict"),
    (422, kestrel.UnprocessableEntityError, "invalid_request_error", "unprocessable_entity"),
    (429, kestrel.RateLimitError, "requests", "rate_limit_exceeded"),
    (500, kestrel.InternalServerError, "server_error", None),
    (503, kestrel.InternalServerError, "server_error", "service_unavailable"),
])
def test_status_errors(direct: kestrel.OpenAI, mock: Mock, status: int, error_cls: type,
                       error_type: str, code: Any) -> None:
    mock.script(models={"gpt-4o-mini": {"status": status}})
    with pytest.raises(error_cls) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    err = excinfo.value
    assert isinstance(err, kestrel.APIStatusError) and isinstance(err, kestrel.APIError)
    assert err.status_code == status
    assert isinstance(err.body, dict) and set(err.body) == {"message", "type", "param", "code"}
    assert err.type == error_type == err.body["type"]
    assert err.code == code
    assert err.param is None
    assert err.message == f"Error code: {status} - {err.body['message']}" == str(err)
    assert err.response.status_code == status
    assert err.request_id is not None and err.request_id == err.response.headers["x-request-id"]
    assert err.provider == "openai"
    assert len(mock.chat_requests()) == 1  # 4xx never fail over; max_retries=0 stops 5xx/429


def test_error_message_override(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 400, "error_message": "bad temperature",
                                        "error_code": "invalid_value"}})
    with pytest.raises(kestrel.BadRequestError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert excinfo.value.message == "Error code: 400 - bad temperature"
    assert excinfo.value.code == "invalid_value"
    assert not isinstance(excinfo.value, kestrel.InvalidRequestError)


def test_wrong_key_is_authentication_error(make_client: Any, mock: Mock) -> None:
    mock.script({"require_key": "sk-right"})
    client = make_client(routing=False)
    with pytest.raises(kestrel.AuthenticationError) as excinfo:
        client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert excinfo.value.code == "invalid_api_key"


def test_rate_limit_retry_after(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 429, "retry_after": 7}})
    with pytest.raises(kestrel.RateLimitError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert excinfo.value.retry_after == 7.0
    assert excinfo.value.status_code == 429


def test_rate_limited_then_served_after_retry_after(make_client: Any, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": [{"status": 429, "retry_after": 0.05}, {"text": "ok now"}]})
    client = make_client(routing=False, max_retries=2)
    r = client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert r.choices[0].message.content == "ok now"
    assert len(mock.chat_requests()) == 2


@pytest.mark.parametrize("messages, param", [
    ([], "messages"),
    ([{"role": "tool", "content": "x"}], "messages[0].tool_call_id"),
    ([{"role": "user", "content": "hi"}, {"role": "wizard", "content": "x"}], "messages[1].role"),
])
def test_invalid_requests_raise_before_any_request(kc: kestrel.OpenAI, mock: Mock, messages: list,
                                                   param: str) -> None:
    with pytest.raises(kestrel.InvalidRequestError) as excinfo:
        kc.chat.completions.create(model="gpt-4o", messages=messages)
    err = excinfo.value
    assert err.param is not None and err.param.startswith(param)
    assert isinstance(err, kestrel.BadRequestError) and err.status_code == 400
    assert err.type == "invalid_request_error"
    assert isinstance(err.body, dict) and err.body["param"] == err.param
    assert mock.requests() == []


def test_invalid_stream_request_raises_before_any_request(kc: kestrel.OpenAI, mock: Mock) -> None:
    with pytest.raises(kestrel.InvalidRequestError) as excinfo:
        kc.chat.completions.create(model="gpt-4o", messages=[], stream=True)
    assert excinfo.value.param == "messages"
    assert mock.requests() == []


@pytest.mark.parametrize("kestrel_options, param", [
    ({"allow_providers": ["nope"]}, "kestrel.allow_providers"),
    ({"bogus": 1}, "kestrel"),
])
def test_invalid_kestrel_options(kc: kestrel.OpenAI, mock: Mock, kestrel_options: dict, param: str) -> None:
    with pytest.raises(kestrel.InvalidRequestError) as excinfo:
        kc.chat.completions.create(model="gpt-4o", messages=ask(), kestrel=kestrel_options)
    assert excinfo.value.param is not None and excinfo.value.param.startswith(param)
    assert mock.requests() == []


@pytest.mark.parametrize("kwargs, param", [
    ({"timeout": -1}, "timeout"),
    ({"timeout": 0}, "timeout"),
    ({"max_retries": -1}, "max_retries"),
    ({"max_retries": 1.5}, "max_retries"),
])
def test_invalid_call_options(kc: kestrel.OpenAI, mock: Mock, kwargs: dict, param: str) -> None:
    with pytest.raises(kestrel.InvalidRequestError) as excinfo:
        kc.chat.completions.create(model="gpt-4o", messages=ask(), **kwargs)
    assert excinfo.value.param == param
    assert mock.requests() == []


def test_unserializable_content_is_a_type_error(kc: kestrel.OpenAI, mock: Mock) -> None:
    with pytest.raises(TypeError):
        kc.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": object()}])
    assert mock.requests() == []


def test_no_eligible_model(kc: kestrel.OpenAI, mock: Mock) -> None:
    # The policy leaves no provider that could serve it.
    with pytest.raises(kestrel.NoEligibleModelError) as excinfo:
        kc.chat.completions.create(model="gpt-4o", messages=ask(), kestrel={"allow_providers": ["anthropic"]})
    err = excinfo.value
    assert isinstance(err, kestrel.KestrelError) and isinstance(err, kestrel.APIError)
    assert err.message.startswith("no eligible model")
    assert mock.requests() == []


def test_a_missing_key_names_the_variable(kc: kestrel.OpenAI, mock: Mock) -> None:
    # Anthropic has no key here: as with the official SDK, the error says where one goes.
    with pytest.raises(kestrel.ConfigurationError) as excinfo:
        kc.chat.completions.create(model="claude-haiku-4-5", messages=ask(), kestrel={"routing": False})
    assert isinstance(excinfo.value, kestrel.OpenAIError)
    assert "ANTHROPIC_API_KEY" in str(excinfo.value) and "api_key" in str(excinfo.value)
    assert mock.requests() == []


def test_removed_key_names_the_variable(make_client: Any, mock: Mock) -> None:
    client = make_client(provider_keys={}, base_urls={})
    client.remove_api_key("openai")
    with pytest.raises(kestrel.ConfigurationError, match="OPENAI_API_KEY"):
        client.chat.completions.create(model="gpt-4o", messages=ask())


def test_connection_error(make_client: Any) -> None:
    client = make_client(base_url="http://127.0.0.1:9/v1", routing=False)
    with pytest.raises(kestrel.APIConnectionError) as excinfo:
        client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert not isinstance(excinfo.value, kestrel.APITimeoutError)
    assert excinfo.value.provider == "openai"


def test_stream_cut_after_first_chunk(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": "one two three four", "cut_after_chunks": 2}})
    stream = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
    received = []
    with pytest.raises(kestrel.StreamInterruptedError) as excinfo:
        for chunk in stream:
            received.append(chunk)
    assert isinstance(excinfo.value, kestrel.APIConnectionError)
    assert isinstance(excinfo.value, kestrel.KestrelError)
    assert "".join(c.choices[0].delta.content or "" for c in received) == "one two "
    assert stream.closed
    assert list(stream) == []
    # Kestrel never splices a second answer onto a started one: one request only.
    assert len(mock.chat_requests()) == 1


def test_malformed_body_is_a_validation_error(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"malformed_json": True}})
    with pytest.raises(kestrel.APIResponseValidationError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert excinfo.value.status_code == 200


def test_configuration_errors() -> None:
    with pytest.raises(kestrel.ConfigurationError):
        kestrel.OpenAI(from_env=False, timeout=-1)
    with pytest.raises(kestrel.ConfigurationError) as excinfo:
        kestrel.OpenAI(from_env=False, tier_floor="gold")
    assert "tier_floor" in str(excinfo.value)
    with pytest.raises(ValueError):  # ConfigurationError is a ValueError too
        kestrel.OpenAI(from_env=False, models=[{"id": "x"}])
    client = kestrel.OpenAI(from_env=False)
    with pytest.raises(kestrel.ConfigurationError):
        client.set_api_key("no-such-provider", "k")
    # The same options as Node's, checked by the core: a misspelled one is named.
    kestrel.OpenAI(from_env=False, breaker={"failure_threshold": 2, "cooldown": 1.5}, failover_attempts=2)
    with pytest.raises(kestrel.ConfigurationError, match="breaker.*cooldwn"):
        kestrel.OpenAI(from_env=False, breaker={"cooldwn": 1})
    with pytest.raises(kestrel.ConfigurationError, match="cooldown"):
        kestrel.OpenAI(from_env=False, breaker={"cooldown": -1})


def test_errors_are_catchable_as_the_sdk_hierarchy(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 500}})
    with pytest.raises(kestrel.OpenAIError):
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert issubclass(kestrel.APITimeoutError, kestrel.APIConnectionError)
    assert issubclass(kestrel.InvalidRequestError, kestrel.BadRequestError)
    assert issubclass(kestrel.StreamInterruptedError, kestrel.APIConnectionError)
    assert issubclass(kestrel.NoEligibleModelError, kestrel.KestrelError)
    assert issubclass(kestrel.KestrelError, kestrel.APIError)


# --- the mapping alone (no mock) -----------------------------------------------------------


def native(kind: str, message: str = "m", status: Any = None, body: Any = None, retry_after: Any = None,
           provider: Any = None, field: Any = None) -> NativeError:
    return NativeError(kind, message, status, body, retry_after, provider, field)


@pytest.mark.parametrize("error, cls", [
    (native("invalid_request", status=400, field="messages"), kestrel.InvalidRequestError),
    (native("config"), kestrel.ConfigurationError),
    (native("authentication", status=401), kestrel.AuthenticationError),
    (native("permission_denied", status=403), kestrel.PermissionDeniedError),
    (native("not_found", status=404), kestrel.NotFoundError),
    (native("bad_request", status=400), kestrel.BadRequestError),
    (native("bad_request", status=422), kestrel.UnprocessableEntityError),
    (native("bad_request", status=418), kestrel.APIStatusError),
    (native("provider", status=409), kestrel.ConflictError),
    (native("provider", status=502), kestrel.InternalServerError),
    (native("provider", status=200), kestrel.APIResponseValidationError),
    (native("provider", status=0), kestrel.APIResponseValidationError),
    (native("rate_limited", status=429, retry_after=1.5), kestrel.RateLimitError),
    (native("timeout"), kestrel.APITimeoutError),
    (native("connection"), kestrel.APIConnectionError),
    (native("no_eligible_model"), kestrel.NoEligibleModelError),
    (native("stream_interrupted"), kestrel.StreamInterruptedError),
    (native("internal"), kestrel.KestrelError),
    (native("something_new"), kestrel.APIError),
])
def test_mapping(error: NativeError, cls: type) -> None:
    mapped = from_native(error)
    assert type(mapped) is cls
    assert mapped.kind == error.args[0]


def test_mapping_details() -> None:
    body = '{"error": {"message": "slow down", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}'
    err = from_native(native("rate_limited", "openai: rate limited (429): slow down", 429, body, 2.5, "openai"))
    assert isinstance(err, kestrel.RateLimitError)
    assert err.message == "Error code: 429 - slow down"
    assert err.body == {"message": "slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    assert (err.code, err.type, err.retry_after, err.provider) == ("rate_limit_exceeded", "requests", 2.5, "openai")
    # A body that is not JSON is kept as text; the message falls back to Kestrel's.
    err = from_native(native("provider", "openai: provider error (502): bad gateway", 502, "<html>"))
    assert err.body == "<html>" and err.message == "Error code: 502 - openai: provider error (502): bad gateway"
    err = from_native(native("invalid_request", "invalid request: messages: empty", 400, field="messages"))
    assert isinstance(err, kestrel.InvalidRequestError) and err.param == "messages"
    assert err.message == "invalid request: messages: empty"
    # Older/shorter argument tuples still map.
    assert isinstance(from_native(NativeError("internal", "serialization failed", None)), kestrel.KestrelError)
