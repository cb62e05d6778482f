"""LangChain's own standard chat-model suites (``langchain-tests``) against ``ChatKestrel``
on the mock provider.

A standard test marked xfail here fails only because the mock's deterministic answer cannot
satisfy it (the mock fills tool arguments and JSON from the schema, "example" and 1, and
does not read the prompt). ``test_chatopenai_fails_them_too`` runs each of those standard
tests against ``langchain_openai.ChatOpenAI`` on the same mock and shows it fails there too.

The suites fetch a PNG, a PDF and a WAV from the web; this machine has no network, so
``offline_media`` answers those URLs with small local files of the same types.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import io
import struct
import wave
import zlib
from typing import Any, Callable, Dict, Iterator, Type

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langchain_tests")

import httpx  # noqa: E402
from langchain_core.exceptions import OutputParserException  # noqa: E402
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_tests.integration_tests import ChatModelIntegrationTests  # noqa: E402
from langchain_tests.unit_tests import ChatModelUnitTests  # noqa: E402

from _mock import PROVIDER_KEYS, PROVIDER_PREFIXES  # noqa: E402
from kestrel_router.langchain import ChatKestrel  # noqa: E402

# The model the suites ask for; Kestrel may answer with a cheaper OpenAI model.
MODEL = "gpt-4o"
# The override the suites pass per call: the catalog's cheapest OpenAI model, so the
# answer comes from it even with routing on (the requested model is a ceiling).
OVERRIDE = "gpt-5-nano"

MOCK_LIMIT = (
    "the mock answers tool calls and JSON from the schema alone ('example', 1), not from the "
    "prompt; ChatOpenAI fails it the same way on the mock (test_chatopenai_fails_them_too)"
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def _wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    return out.getvalue()


_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
        b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
_MEDIA = {".png": _png(), ".pdf": _PDF, ".wav": _wav()}


@pytest.fixture(autouse=True)
def offline_media(monkeypatch: pytest.MonkeyPatch) -> None:
    real_get = httpx.get

    def get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        for suffix, content in _MEDIA.items():
            if str(url).endswith(suffix):
                return httpx.Response(200, content=content, request=httpx.Request("GET", str(url)))
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", get)


@pytest.fixture(scope="module")
def vcr_config() -> Dict[str, Any]:
    # pytest-recording (a langchain-tests dependency) would intercept the mock's control API.
    return {"ignore_localhost": True}


def _mock_params(mock_url: str) -> Dict[str, Any]:
    """ChatOpenAI's own arguments, which ChatKestrel takes too."""
    return {"api_key": PROVIDER_KEYS["openai"], "base_url": mock_url + PROVIDER_PREFIXES["openai"]}


class _OnMock:
    """Gives the suites' ``chat_model_params`` (a property, not a fixture) the mock's URL."""

    mock_url = "http://127.0.0.1:9"

    @pytest.fixture(autouse=True)
    def _mock_url(self, mock_url: str) -> Iterator[None]:
        type(self).mock_url = mock_url
        yield


class TestChatKestrelUnit(_OnMock, ChatModelUnitTests):
    @property
    def chat_model_class(self) -> Type[BaseChatModel]:
        return ChatKestrel

    @property
    def chat_model_params(self) -> Dict[str, Any]:
        return {"model": MODEL, **_mock_params(self.mock_url), "client_options": {"from_env": False}}

    @property
    def init_from_env_params(self) -> tuple:
        return {"OPENAI_API_KEY": "sk-from-env"}, {"model": MODEL}, {"openai_api_key": "sk-from-env"}


class TestChatKestrelIntegration(_OnMock, ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> Type[BaseChatModel]:
        return ChatKestrel

    @property
    def chat_model_params(self) -> Dict[str, Any]:
        return {"model": MODEL, **_mock_params(self.mock_url), "max_retries": 0,
                "client_options": {"from_env": False}}

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return OVERRIDE

    @pytest.mark.xfail(reason=MOCK_LIMIT, raises=AssertionError, strict=True)
    @pytest.mark.parametrize("model", [{}, {"output_version": "v1"}], indirect=True)
    def test_tool_calling(self, model: BaseChatModel) -> None:
        super().test_tool_calling(model)

    @pytest.mark.xfail(reason=MOCK_LIMIT, raises=AssertionError, strict=True)
    async def test_tool_calling_async(self, model: BaseChatModel) -> None:
        await super().test_tool_calling_async(model)

    @pytest.mark.xfail(reason=MOCK_LIMIT, raises=OutputParserException, strict=True)
    def test_json_mode(self, model: BaseChatModel) -> None:
        super().test_json_mode(model)

    @pytest.mark.xfail(reason=MOCK_LIMIT, raises=AssertionError, strict=True)
    def test_unicode_tool_call_integration(
        self, model: BaseChatModel, *, tool_choice: Any = None, force_tool_call: bool = True
    ) -> None:
        super().test_unicode_tool_call_integration(model, tool_choice=tool_choice, force_tool_call=force_tool_call)


# --- the same standard tests against ChatOpenAI on the same mock ----------------------------


class _ChatOpenAIOnMock(ChatModelIntegrationTests):
    """The standard suite configured for ChatOpenAI (not collected: only its xfailed tests
    are run, below)."""

    def __init__(self, mock_url: str) -> None:
        self.url = mock_url

    @property
    def chat_model_class(self) -> Type[BaseChatModel]:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI

    @property
    def chat_model_params(self) -> Dict[str, Any]:
        return {"model": MODEL, **_mock_params(self.url), "max_retries": 0}

    @property
    def supports_json_mode(self) -> bool:
        return True


def _xfailed() -> Iterator[Any]:
    for name, member in inspect.getmembers(TestChatKestrelIntegration):
        marks = getattr(member, "pytestmark", [])
        xfail = next((m for m in marks if m.name == "xfail"), None)
        if name.startswith("test_") and xfail is not None:
            params = next((m.args[1] for m in marks if m.name == "parametrize" and m.args[0] == "model"), [{}])
            for extra in params:
                yield pytest.param(name, extra, xfail.kwargs["raises"], id=f"{name}{extra or ''}")


@pytest.mark.parametrize("name, extra, raises", list(_xfailed()))
def test_chatopenai_fails_them_too(mock_url: str, name: str, extra: Dict[str, Any], raises: Any) -> None:
    pytest.importorskip("langchain_openai")
    suite = _ChatOpenAIOnMock(mock_url)
    model = suite.chat_model_class(**{**suite.chat_model_params, **extra})
    test: Callable[..., Any] = getattr(ChatModelIntegrationTests, name)
    with pytest.raises(raises):
        if inspect.iscoroutinefunction(test):
            asyncio.run(test(suite, model))
        else:
            test(suite, model)


def test_offline_media_are_valid_files() -> None:
    assert _png().startswith(b"\x89PNG") and base64.b64encode(_PDF)
    with wave.open(io.BytesIO(_wav())) as w:
        assert w.getnframes() == 800
