"""The mock's answers to the endpoints the breadth programs call, validated against the
official SDK's own types (``openai.types``, pydantic): every required field present with
its type, every ``object`` literal right. The SDKs read answers leniently, so a program
that passes says little about the shape; this says the mock speaks OpenAI's wire format."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, List, Tuple

import pydantic
import pytest
from openai import types as t
from openai.types import beta, chat, conversations, evals, fine_tuning, realtime, responses, vector_stores
from openai.types.beta import threads
from openai.types.containers import FileCreateResponse as ContainerFile
from openai.types.evals import runs as eval_runs
from openai.types.fine_tuning import checkpoints, jobs
from openai.types.uploads import UploadPart

from _mock import PROVIDER_KEYS, Mock

# (method, path after /v1, body, the SDK type of the answer; a list type for a page's items)
CASES: List[Tuple[str, str, Any, Any]] = [
    ("POST", "/embeddings", {"model": "m", "input": "hi", "encoding_format": "float"}, t.CreateEmbeddingResponse),
    ("POST", "/moderations", {"model": "omni-moderation-latest", "input": "hi"}, t.ModerationCreateResponse),
    ("POST", "/images/generations", {"model": "gpt-image-1", "prompt": "p"}, t.ImagesResponse),
    ("POST", "/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "p"}, t.Completion),
    ("GET", "/files", None, [t.FileObject]),
    ("GET", "/files/file-1", None, t.FileObject),
    ("DELETE", "/files/file-1", None, t.FileDeleted),
    ("POST", "/uploads", {"bytes": 1, "filename": "a", "mime_type": "text/plain", "purpose": "batch"}, t.Upload),
    ("POST", "/uploads/upload_1/complete", {"part_ids": ["p"]}, t.Upload),
    ("POST", "/uploads/upload_1/parts", None, UploadPart),
    ("POST", "/batches", {"input_file_id": "f", "endpoint": "/v1/chat/completions", "completion_window": "24h"}, t.Batch),
    ("GET", "/batches", None, [t.Batch]),
    ("POST", "/fine_tuning/jobs", {"model": "gpt-4o-mini", "training_file": "f"}, fine_tuning.FineTuningJob),
    ("GET", "/fine_tuning/jobs/ftjob-1/events", None, [fine_tuning.FineTuningJobEvent]),
    ("GET", "/fine_tuning/jobs/ftjob-1/checkpoints", None, [jobs.FineTuningJobCheckpoint]),
    ("POST", "/fine_tuning/checkpoints/ck/permissions", {"project_ids": ["p"]}, [checkpoints.PermissionCreateResponse]),
    ("GET", "/vector_stores/vs_1", None, t.VectorStore),
    ("DELETE", "/vector_stores/vs_1", None, t.VectorStoreDeleted),
    ("POST", "/vector_stores/vs_1/search", {"query": "q"}, [t.VectorStoreSearchResponse]),
    ("GET", "/vector_stores/vs_1/files", None, [vector_stores.VectorStoreFile]),
    ("DELETE", "/vector_stores/vs_1/files/file-1", None, vector_stores.VectorStoreFileDeleted),
    ("POST", "/vector_stores/vs_1/file_batches", {"file_ids": ["f"]}, vector_stores.VectorStoreFileBatch),
    ("GET", "/chat/completions/chatcmpl-1", None, chat.ChatCompletion),
    ("GET", "/chat/completions", None, [chat.ChatCompletion]),
    ("DELETE", "/chat/completions/chatcmpl-1", None, chat.ChatCompletionDeleted),
    ("GET", "/chat/completions/chatcmpl-1/messages", None, [chat.ChatCompletionStoreMessage]),
    ("DELETE", "/models/ft:m", None, t.ModelDeleted),
    ("POST", "/responses", {"model": "gpt-4o", "input": "hi", "tools": [{"type": "web_search"}]}, responses.Response),
    ("POST", "/responses/input_tokens", {"model": "gpt-4o", "input": "hi"}, responses.InputTokenCountResponse),
    ("POST", "/responses/compact", {"model": "gpt-4o", "input": "hi"}, responses.CompactedResponse),
    ("GET", "/responses/resp_1/input_items", None, [responses.ResponseItem]),
    ("POST", "/conversations", {}, conversations.Conversation),
    ("DELETE", "/conversations/conv_1", None, conversations.ConversationDeletedResource),
    ("POST", "/conversations/conv_1/items", {"items": [{"role": "user", "content": "hi"}]}, conversations.ConversationItemList),
    ("GET", "/conversations/conv_1/items/msg_1", None, conversations.ConversationItem),
    ("POST", "/containers", {"name": "c"}, t.ContainerCreateResponse),
    ("GET", "/containers/cntr_1/files", None, [ContainerFile]),
    ("POST", "/evals", {"name": "e"}, t.EvalCreateResponse),
    ("DELETE", "/evals/eval_1", None, t.EvalDeleteResponse),
    ("GET", "/evals/eval_1/runs/run_1", None, evals.RunRetrieveResponse),
    ("GET", "/evals/eval_1/runs/run_1/output_items/oi_1", None, eval_runs.OutputItemRetrieveResponse),
    ("POST", "/videos", {"model": "sora-2", "prompt": "p"}, t.Video),
    ("DELETE", "/videos/video_1", None, t.VideoDeleteResponse),
    ("GET", "/skills/skill_1", None, t.Skill),
    ("DELETE", "/skills/skill_1", None, t.DeletedSkill),
    ("POST", "/realtime/client_secrets", {"session": {"type": "realtime", "model": "gpt-realtime"}},
     realtime.ClientSecretCreateResponse),
    ("POST", "/assistants", {"model": "gpt-4o"}, beta.Assistant),
    ("POST", "/threads", {}, beta.Thread),
    ("GET", "/threads/thread_1/messages", None, [threads.Message]),
    ("POST", "/threads/thread_1/runs", {"assistant_id": "a"}, threads.Run),
    ("GET", "/threads/thread_1/runs/run_1/steps", None, [threads.runs.RunStep]),
]


def answer(mock: Mock, method: str, path: str, body: Any) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(mock.base_url("openai") + path, data=data, method=method, headers={
        "authorization": f"Bearer {PROVIDER_KEYS['openai']}", "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.parametrize("method,path,body,sdk_type", CASES, ids=[f"{m} {p}" for m, p, _, _ in CASES])
def test_the_mock_answers_in_the_sdks_types(method: str, path: str, body: Any, sdk_type: Any, mock: Mock) -> None:
    got = answer(mock, method, path, body)
    if isinstance(sdk_type, list):
        assert got["object"] == "list" or got["object"].endswith(".page"), got
        assert isinstance(got["has_more"], bool) and got["data"], got
        items = pydantic.TypeAdapter(List[sdk_type[0]]).validate_python(got["data"])  # type: ignore[valid-type]
        assert len(items) == len(got["data"])
    else:
        pydantic.TypeAdapter(sdk_type).validate_python(got)
