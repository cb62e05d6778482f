"""What Kestrel's ledger says about the calls it passes to the official client: each one
counted under its endpoint, with the tokens its answer reports for what it made; reading a
stored completion or response back costs nothing (its usage was counted when made)."""

from __future__ import annotations

import kestrel_router
from _harness import Kit
from _mock import Mock


def test_passthrough_calls_are_counted_with_the_tokens_they_made(mock: Mock) -> None:
    c = Kit(kestrel_router, mock).make()
    done = c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this is a test")
    emb = c.embeddings.create(model="text-embedding-3-small", input="a kestrel hovers")
    bg = c.responses.create(model="gpt-4o", input="A long essay", background=True)
    c.chat.completions.retrieve("chatcmpl-abc")
    c.responses.retrieve(bg.id)
    c.files.list()
    records = [(r.endpoint, r.model, r.prompt_tokens, r.completion_tokens) for r in c.usage.records() if r.endpoint]
    assert records == [
        ("completions", "gpt-3.5-turbo-instruct", done.usage.prompt_tokens, done.usage.completion_tokens),
        ("embeddings", "text-embedding-3-small", emb.usage.prompt_tokens, 0),
        ("responses", "gpt-4o", bg.usage.input_tokens, bg.usage.output_tokens),
        ("chat.completions", "gpt-4o-mini", 0, 0),
        ("responses", "gpt-4o", 0, 0),
        ("files", "", 0, 0),  # no model: the ledger's empty name
    ]
    assert all(n > 0 for n in (done.usage.prompt_tokens, emb.usage.prompt_tokens, bg.usage.input_tokens))
