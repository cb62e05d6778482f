"""Errors, from openai-python's README ("Handling errors", "Retries", "Timeouts"): the
``APIStatusError`` subclass per status, its attributes, connection errors, timeouts, and
retries of 429/5xx answers, for routed (chat) and passed-through calls alike."""

from __future__ import annotations

from typing import Any

from _harness import MESSAGES, Kit, program


def chat(c: Any) -> Any:
    return c.chat.completions.create(model="gpt-4o", messages=MESSAGES)


def status_program(status: int, error: str) -> None:
    def fn(c: Any, k: Kit) -> Any:
        k.mock.set_model("gpt-4o", {"status": status})
        chat(c)

    fn.__name__ = f"error_status_{status}"
    program(fn, raises=error)


for _status, _error in [(400, "BadRequestError"), (401, "AuthenticationError"), (403, "PermissionDeniedError"),
                        (404, "NotFoundError"), (409, "ConflictError"), (422, "UnprocessableEntityError"),
                        (429, "RateLimitError"), (500, "InternalServerError"), (503, "InternalServerError")]:
    status_program(_status, _error)


@program(raises="BadRequestError")
def error_empty_messages(c: Any, k: Kit) -> Any:
    c.chat.completions.create(model="gpt-4o", messages=[])


@program(raises="NotFoundError")
def error_not_found_passthrough(c: Any, k: Kit) -> Any:
    c.images.generate(model="gpt-image-missing", prompt="a kestrel")


@program(raises="AuthenticationError")
def error_authentication_routed(c: Any, k: Kit) -> Any:
    k.mock.script({"require_key": k.key})
    chat(k.make(api_key="sk-wrong"))


@program(raises="AuthenticationError")
def error_authentication_passthrough(c: Any, k: Kit) -> Any:
    k.mock.script({"require_key": k.key})
    k.make(api_key="sk-wrong").files.list()


@program(raises="APIConnectionError")
def error_connection(c: Any, k: Kit) -> Any:
    chat(k.make(base_url="http://127.0.0.1:9/v1"))


@program(raises="APIConnectionError")
def error_connection_passthrough(c: Any, k: Kit) -> Any:
    k.make(base_url="http://127.0.0.1:9/v1").models.list()


@program(raises="APITimeoutError")
def error_timeout(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", {"latency_ms": 3000})
    chat(k.make(timeout=0.3))


@program
def error_attributes(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", {"status": 429, "error_message": "Slow down", "error_code": "rate_limit_exceeded"})
    try:
        chat(c)
    except k.module.APIStatusError as e:
        return (isinstance(e, k.module.APIError), isinstance(e, k.module.OpenAIError), e.status_code, e.message,
                e.code, e.type, e.param, e.body["message"] if isinstance(e.body, dict) else e.body,
                e.request_id.startswith("req_"), e.response.status_code)


@program
def error_attributes_passthrough(c: Any, k: Kit) -> Any:
    try:
        c.images.generate(model="gpt-image-missing", prompt="a kestrel")
    except k.module.NotFoundError as e:
        return e.status_code, e.code, e.type, isinstance(e, k.module.APIStatusError), e.request_id.startswith("req_")


@program
def error_connection_attributes(c: Any, k: Kit) -> Any:
    try:
        chat(k.make(base_url="http://127.0.0.1:9/v1"))
    except k.module.APIConnectionError as e:
        return isinstance(e, k.module.APIError), not isinstance(e, k.module.APITimeoutError), k.sent()


@program
def retries_then_success(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", [{"status": 429, "retry_after": 0}, {"status": 500, "retry_after": 0},
                                {"text": "third time"}])
    r = chat(k.make(max_retries=2))
    return r.choices[0].message.content, len(k.sent("/chat/completions"))


@program(raises="RateLimitError")
def retries_exhausted(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", {"status": 429, "retry_after": 0})
    chat(k.make(max_retries=1))


@program
def retries_with_options(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", [{"status": 503, "retry_after": 0}, {"text": "ok now"}])
    r = chat(c.with_options(max_retries=1))
    return r.choices[0].message.content, len(k.sent("/chat/completions"))


@program
def error_no_retry_on_400(c: Any, k: Kit) -> Any:
    k.mock.set_model("gpt-4o", [{"status": 400}, {"text": "never"}])
    try:
        chat(k.make(max_retries=3))
    except k.module.BadRequestError:
        pass
    return len(k.sent("/chat/completions"))
