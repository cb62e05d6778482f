"""Shared fixtures: one kestrel-mock per session (reset before every test) and factories
for Kestrel clients wired to it, one URL prefix per provider."""

from __future__ import annotations

import importlib.util
from typing import Any, Callable, Iterator

import pytest

from _mock import PROVIDER_KEYS, Mock, MockProcess, clear_requests, set_script


def pytest_configure(config: pytest.Config) -> None:
    if importlib.util.find_spec("kestrel_router") is None:
        raise pytest.UsageError(
            "the `kestrel-router` package is not installed in this interpreter: run `pip install .` "
            "at the repository root first (it builds the native module with maturin)"
        )


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """Starts the mock binary once per session and yields its base URL."""
    try:
        server = MockProcess.start()
    except (FileNotFoundError, RuntimeError) as e:
        pytest.fail(str(e))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def fresh_mock(mock_url: str) -> str:
    """Every test starts with an empty script and an empty request record."""
    set_script(mock_url, {})
    clear_requests(mock_url)
    return mock_url


@pytest.fixture
def mock(mock_url: str) -> Mock:
    return Mock(mock_url)


# The providers the Kestrel client tests configure: OpenAI and its compatible family.
# Others (Anthropic, Gemini, Cohere) stay without a key, so tests can rely on that.
CLIENT_PROVIDERS = ("openai", "groq", "xai", "mistral", "together")


def client_kwargs(mock: Mock, **overrides: Any) -> dict:
    """Kestrel client arguments for the mock: OpenAI as the SDK takes it, the other
    OpenAI-compatible providers through provider_keys/base_urls, nothing from the
    environment, no retries."""
    urls = {p: mock.base_url(p) for p in CLIENT_PROVIDERS}
    kwargs: dict = dict(
        api_key=PROVIDER_KEYS["openai"],
        base_url=urls.pop("openai"),
        provider_keys={p: PROVIDER_KEYS[p] for p in CLIENT_PROVIDERS if p != "openai"},
        base_urls=urls,
        from_env=False,
        max_retries=0,
    )
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def make_client(mock: Mock) -> Callable[..., Any]:
    """`make_client(**overrides)` -> kestrel.OpenAI wired to the mock."""
    import kestrel_router as kestrel

    def make(**overrides: Any) -> kestrel.OpenAI:
        return kestrel.OpenAI(**client_kwargs(mock, **overrides))

    return make


@pytest.fixture
def make_async_client(mock: Mock) -> Callable[..., Any]:
    """`make_async_client(**overrides)` -> kestrel.AsyncOpenAI wired to the mock."""
    import kestrel_router as kestrel

    def make(**overrides: Any) -> kestrel.AsyncOpenAI:
        return kestrel.AsyncOpenAI(**client_kwargs(mock, **overrides))

    return make


@pytest.fixture
def kc(make_client: Callable[..., Any]) -> Any:
    """A Kestrel client with routing on, every mocked provider configured."""
    return make_client()


@pytest.fixture
def direct(make_client: Callable[..., Any]) -> Any:
    """A Kestrel client with routing off: each request goes to the model it names, so
    tests can script that model's behaviour."""
    return make_client(routing=False)
