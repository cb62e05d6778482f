"""Streaming: print tokens as they arrive; Kestrel's metadata comes with the last chunk.

    python examples/python/streaming.py
"""

from __future__ import annotations

import sys

from _support import make_client


def main() -> None:
    client = make_client()
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Write a haiku about rivers."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    with stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                sys.stdout.write(chunk.choices[0].delta.content)
                sys.stdout.flush()
            if chunk.usage is not None:
                print(f"\n[{chunk.usage.prompt_tokens} prompt + {chunk.usage.completion_tokens} completion tokens]")
    meta = stream.kestrel
    if meta is not None:
        print(f"[answered by {meta.model} ({meta.provider}), saved ${meta.saved_usd:.6f}]")

    # Stopping early: leaving the loop and closing the stream cancels the upstream request;
    # the request is still counted.
    with client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Count from 1 to 100."}], stream=True
    ) as early:
        for n, _chunk in enumerate(early):
            if n == 3:
                break
    last = client.usage.records()[-1]
    print(f"[stopped early; recorded: stream={last.stream}, {last.completion_tokens} completion tokens]")


if __name__ == "__main__":
    main()
