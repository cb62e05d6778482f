"""``AzureOpenAI`` and ``AsyncAzureOpenAI``: the official SDK's Azure clients over Kestrel.

The constructor takes ``openai.AzureOpenAI``'s arguments, reads the same environment
variables and raises the same errors when they are missing or conflicting (see
``openai/lib/azure.py``); the resource then is the client's only provider. Chat and
Responses go through the core, which addresses deployments (``core/src/providers/azure.rs``)
and routes among the ``deployments`` given, the requested deployment's model as the
ceiling; every other API is the official ``AzureOpenAI`` client's (``_passthrough``).

Token providers (and a callable ``api_key``) are called here, once before every request,
and their result travels as that call's header: the core never calls back into Python.
"""

from __future__ import annotations

import os

from ._client import AsyncOpenAI, OpenAI
from ._config import NOT_GIVEN, _dumps, _json
from ._errors import OpenAIError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Awaitable, Callable, Mapping, Optional, Union

    from ._config import Timeout

    AzureADTokenProvider = Callable[[], str]
    AsyncAzureADTokenProvider = Callable[[], "Union[str, Awaitable[str]]"]

__all__ = ["AzureOpenAI", "AsyncAzureOpenAI", "MutuallyExclusiveAuthError"]


class MutuallyExclusiveAuthError(OpenAIError):
    """More than one of ``api_key``, ``azure_ad_token`` and ``azure_ad_token_provider``."""

    def __init__(self) -> None:
        super().__init__(
            "The `api_key`, `azure_ad_token` and `azure_ad_token_provider` arguments are mutually exclusive; Only one can be passed at a time"
        )


def _resolve(
    api_version: Optional[str],
    azure_endpoint: Optional[str],
    azure_deployment: Optional[str],
    api_key: Any,
    azure_ad_token: Optional[str],
    azure_ad_token_provider: Any,
    base_url: Optional[str],
    deployments: Optional[Mapping[str, str]],
    from_env: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The core's ``azure`` settings and the official client's arguments, checked in the
    order and with the messages of ``openai.AzureOpenAI.__init__``."""
    def env(name: str) -> Optional[str]:
        return os.environ.get(name) if from_env else None

    if sum((api_key is not None, azure_ad_token is not None, azure_ad_token_provider is not None)) > 1:
        raise MutuallyExclusiveAuthError()
    if api_key is None and azure_ad_token is None and azure_ad_token_provider is None:
        azure_ad_token = env("AZURE_OPENAI_AD_TOKEN")
        if azure_ad_token is None:
            api_key = env("AZURE_OPENAI_API_KEY")
    if api_key is None and azure_ad_token is None and azure_ad_token_provider is None:
        raise OpenAIError(
            "Missing credentials. Please pass one of `api_key`, `azure_ad_token`, `azure_ad_token_provider`, or the `AZURE_OPENAI_API_KEY` or `AZURE_OPENAI_AD_TOKEN` environment variables."
        )
    if api_version is None:
        api_version = env("OPENAI_API_VERSION")
    if api_version is None:
        raise ValueError("Must provide either the `api_version` argument or the `OPENAI_API_VERSION` environment variable")
    if base_url is None:
        if azure_endpoint is None:
            azure_endpoint = env("AZURE_OPENAI_ENDPOINT")
        if azure_endpoint is None:
            raise ValueError(
                "Must provide one of the `base_url` or `azure_endpoint` arguments, or the `AZURE_OPENAI_ENDPOINT` environment variable"
            )
    elif azure_endpoint is not None:
        raise ValueError("base_url and azure_endpoint are mutually exclusive")

    core: dict[str, Any] = {"api_version": api_version}
    if base_url is not None:
        core["base_url"] = str(base_url)
    else:
        core["endpoint"] = azure_endpoint
    if azure_deployment is not None and base_url is None:
        core["deployment"] = azure_deployment
    if deployments:
        core["deployments"] = {str(model): str(name) for model, name in dict(deployments).items()}
    if isinstance(api_key, str):
        core["api_key"] = api_key
    elif azure_ad_token is not None:
        core["ad_token"] = azure_ad_token
    else:
        core["token_per_call"] = True

    sdk: dict[str, Any] = {"api_version": api_version}
    if base_url is not None:
        sdk["base_url"] = base_url
    else:
        sdk["azure_endpoint"] = azure_endpoint
        if azure_deployment is not None:
            sdk["azure_deployment"] = azure_deployment
    for name, value in (
        ("api_key", api_key),
        ("azure_ad_token", azure_ad_token),
        ("azure_ad_token_provider", azure_ad_token_provider),
    ):
        if value is not None:
            sdk[name] = value
    return core, sdk


def _with_header(options: Optional[str], name: str, value: str) -> str:
    merged = _json().loads(options) if options else {}
    merged["headers"] = {**merged.get("headers", {}), name: value}
    return _dumps(merged)


def _token(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("Expected `azure_ad_token_provider` argument to return a non-empty string.")
    return str.__str__(value)


class _Azure:
    """What both Azure clients share: their settings and the per-call credential."""

    _settings: dict[str, Any]

    @property
    def _api_version(self) -> str:
        return str(self._settings["azure"]["api_version"])

    @property
    def _azure_deployment(self) -> Optional[str]:
        value = self._settings["azure"].get("deployment")
        return value if isinstance(value, str) else None

    @property
    def deployments(self) -> dict[str, str]:
        """Catalog model → the deployment serving it: the deployments routing chooses among."""
        return dict(self._settings["azure"].get("deployments") or {})

    def _credential(self) -> Optional[tuple[str, Any]]:
        sdk = self._settings["azure_sdk"]
        provider = sdk.get("azure_ad_token_provider")
        if provider is not None:
            return "Authorization", provider
        key = sdk.get("api_key")
        if callable(key):
            return "api-key", key
        return None


_AZURE_DOC = """Kestrel arguments (besides the SDK's):
          deployments: ``{model: deployment}``, the deployments the router may choose
            among, each keyed by the catalog model it serves (``{"gpt-4o":
            "prod-4o", "gpt-4o-mini": "prod-mini"}``). The requested deployment (the
            ``model`` argument, or ``azure_deployment``) is the ceiling: a request is
            sent to the cheapest listed deployment able to serve it. Without it, every
            call goes to the requested deployment, counted but not routed.
          and the routing, cache and usage arguments of :class:`kestrel_router.OpenAI`.
        The client's only provider is the Azure resource: requests never leave it."""


class AzureOpenAI(_Azure, OpenAI):
    """A drop-in for ``openai.AzureOpenAI`` that routes chat and Responses requests among
    the resource's deployments. See ``__init__``."""

    def __init__(
        self,
        *,
        api_version: Optional[str] = None,
        azure_endpoint: Optional[str] = None,
        azure_deployment: Optional[str] = None,
        api_key: Optional[Union[str, Callable[[], str]]] = None,
        azure_ad_token: Optional[str] = None,
        azure_ad_token_provider: Optional[AzureADTokenProvider] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        websocket_base_url: Optional[Any] = None,
        base_url: Optional[str] = None,
        timeout: Optional[Timeout] = NOT_GIVEN,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        default_query: Optional[Mapping[str, object]] = None,
        http_client: Optional[Any] = None,
        _strict_response_validation: bool = False,
        deployments: Optional[Mapping[str, str]] = None,
        from_env: bool = True,
        **kestrel: Any,
    ) -> None:
        """Creates an Azure client; no network I/O happens here. The SDK's arguments and
        environment variables (``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_AD_TOKEN``,
        ``OPENAI_API_VERSION``, ``AZURE_OPENAI_ENDPOINT``), with its errors.

        """
        core, sdk = _resolve(
            api_version, azure_endpoint, azure_deployment, api_key, azure_ad_token,
            azure_ad_token_provider, base_url, deployments, from_env,
        )
        super().__init__(
            timeout=timeout, max_retries=max_retries, default_headers=default_headers,
            organization=organization, project=project, webhook_secret=webhook_secret,
            websocket_base_url=websocket_base_url, default_query=default_query,
            http_client=http_client, from_env=from_env, _azure=(core, sdk), **kestrel,
        )

    __init__.__doc__ = (__init__.__doc__ or "") + _AZURE_DOC

    def _auth(self, options: Optional[str]) -> Optional[str]:
        credential = self._credential()
        if credential is None:
            return options
        header, fetch = credential
        value = _token(fetch())
        return _with_header(options, header, f"Bearer {value}" if header == "Authorization" else value)

    def with_options(self, **kwargs: Any) -> AzureOpenAI:
        """As :meth:`OpenAI.with_options` (the SDK's general arguments)."""
        copy: AzureOpenAI = self._with_settings(kwargs)
        return copy

    copy = with_options


class AsyncAzureOpenAI(_Azure, AsyncOpenAI):
    """A drop-in for ``openai.AsyncAzureOpenAI``: ``azure_ad_token_provider`` may return
    an awaitable. See :class:`AzureOpenAI`."""

    def __init__(
        self,
        *,
        api_version: Optional[str] = None,
        azure_endpoint: Optional[str] = None,
        azure_deployment: Optional[str] = None,
        api_key: Optional[Union[str, Callable[[], Awaitable[str]]]] = None,
        azure_ad_token: Optional[str] = None,
        azure_ad_token_provider: Optional[AsyncAzureADTokenProvider] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        websocket_base_url: Optional[Any] = None,
        base_url: Optional[str] = None,
        timeout: Optional[Timeout] = NOT_GIVEN,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        default_query: Optional[Mapping[str, object]] = None,
        http_client: Optional[Any] = None,
        _strict_response_validation: bool = False,
        deployments: Optional[Mapping[str, str]] = None,
        from_env: bool = True,
        **kestrel: Any,
    ) -> None:
        """As :meth:`AzureOpenAI.__init__`."""
        core, sdk = _resolve(
            api_version, azure_endpoint, azure_deployment, api_key, azure_ad_token,
            azure_ad_token_provider, base_url, deployments, from_env,
        )
        super().__init__(
            timeout=timeout, max_retries=max_retries, default_headers=default_headers,
            organization=organization, project=project, webhook_secret=webhook_secret,
            websocket_base_url=websocket_base_url, default_query=default_query,
            http_client=http_client, from_env=from_env, _azure=(core, sdk), **kestrel,
        )

    def _auth(self, options: Optional[str]) -> Optional[str]:
        raise TypeError("AsyncAzureOpenAI fetches credentials with _aauth")  # pragma: no cover

    async def _aauth(self, options: Optional[str]) -> Optional[str]:
        credential = self._credential()
        if credential is None:
            return options
        header, fetch = credential
        import inspect  # here: it imports `re`, which `import kestrel_router` must not

        value = fetch()
        if inspect.isawaitable(value):
            value = await value
        token = _token(value)
        return _with_header(options, header, f"Bearer {token}" if header == "Authorization" else token)

    def with_options(self, **kwargs: Any) -> AsyncAzureOpenAI:
        """As :meth:`OpenAI.with_options` (the SDK's general arguments)."""
        copy: AsyncAzureOpenAI = self._with_settings(kwargs)
        return copy

    copy = with_options
