"""Run in a fresh venv that installed the kestrel-router wheel: imports the installed
package (never the repository's sources) and answers one chat call against kestrel-mock
($KESTREL_MOCK_BIN). Self-contained on purpose: nothing from the repository is importable."""

import json
import os
import re
import subprocess
import sys
import sysconfig
import urllib.request

import kestrel_router

site = sysconfig.get_paths()["purelib"]
assert kestrel_router.__file__.startswith(site), f"{kestrel_router.__file__} is not the installed package ({site})"
native = kestrel_router._native.__file__
assert native.endswith(".abi3.so"), f"the native module is not abi3: {native}"

mock = subprocess.Popen([os.environ["KESTREL_MOCK_BIN"], "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    assert mock.stdout is not None
    line = mock.stdout.readline()
    match = re.fullmatch(r"kestrel-mock listening on (http://127\.0\.0\.1:\d+)\n", line)
    assert match, f"unexpected first line from kestrel-mock: {line!r}"
    url = match.group(1)

    client = kestrel_router.OpenAI(api_key="sk-test", base_url=f"{url}/openai/v1", from_env=False, max_retries=0)
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    assert r.object == "chat.completion"
    assert r.choices[0].message.content, "an answer"
    assert r.kestrel.provider == "openai"
    with urllib.request.urlopen(f"{url}/_mock/requests", timeout=10) as resp:
        seen = [q for q in json.load(resp) if q["path"].endswith("/chat/completions")]
    assert len(seen) == 1, f"one call reached the mock, saw {len(seen)}"
    print(
        f"kestrel-router {kestrel_router.__version__} (Python {sys.version.split()[0]}): "
        f"{r.kestrel.requested_model} -> {r.kestrel.model}: {r.choices[0].message.content!r}"
    )
finally:
    mock.terminate()
    mock.wait()
