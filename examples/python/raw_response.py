"""Raw responses and request ids, as the OpenAI SDK has them: the provider's status,
headers (rate limits) and request id of the attempt that answered, for logs and support
tickets; errors carry the provider's final answer.

    python examples/python/raw_response.py
"""

from __future__ import annotations

import asyncio

import kestrel_router as kestrel
from kestrel_router.types.chat import ChatCompletion
from _support import make_client


def main() -> None:
    client = make_client()
    messages: list[dict[str, str]] = [{"role": "user", "content": "What is 2+2?"}]

    completion = client.chat.completions.create(model="gpt-4o", messages=messages)
    print(f"request id: {completion._request_id}")

    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
    print(f"[{raw.status_code}] {raw.method} {raw.url} in {raw.elapsed.total_seconds():.3f}s")
    print(f"remaining requests: {raw.headers.get('x-ratelimit-remaining-requests')}, retries: {raw.retries_taken}")
    answer: ChatCompletion = raw.parse()
    print(answer.choices[0].message.content)

    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=messages, stream=True
    ) as response:
        print(f"stream request id: {response.request_id}")
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                print(line[:60])
                break

    try:
        client.chat.completions.create(model="gpt-4o", messages=[])
    except kestrel.APIStatusError as e:
        print(f"{type(e).__name__}: status {e.response.status_code}, request id {e.request_id}")

    async def fetch() -> None:
        aclient = client.to_async()
        araw = await aclient.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
        parsed: ChatCompletion = araw.parse()
        print(f"async request id: {araw.request_id} == {parsed._request_id}")

    asyncio.run(fetch())


if __name__ == "__main__":
    main()
