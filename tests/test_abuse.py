"""Abuse: what an operator's secrets and resources are safe from.

- ``/baseline`` calls no LLM unless the operator switched that on: no request can make the
  server call one, even with an LLM endpoint and key in its environment.
- ``/grader`` and ``/baseline`` jobs are bounded: ``MAX_BACKGROUND_JOBS`` run at once,
  ``MAX_WAITING_JOBS`` wait, more get 429.
- API keys in the environment appear in no response, no log line and no error, neither the
  server's nor ``inference.py``'s when the LLM endpoint refuses or fails.
- Request bodies have a size limit on every POST route; HTTP ``/mcp`` cannot hold WebSocket
  capacity; the container runs as a non-root user.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.fake_llm import FakeLLM
from tests.live_server import POOL, ROOT, LiveServer

SECRETS = {
    "API_KEY": "sk-sentinel-api-key-7c1e",
    "HF_TOKEN": "hf_sentinelTokenValue93ad",
    "OPENAI_API_KEY": "sk-sentinel-openai-key-55b0",
}
LIMITS = {
    "MAX_BACKGROUND_JOBS": "1",
    "MAX_WAITING_JOBS": "1",
    "MAX_CONCURRENT_ENVS": "4",
    "MAX_BODY_BYTES": "2048",
    "LOG_LEVEL": "info",  # the access log on: every request line is logged
}


class RecordingLLM(FakeLLM):
    """The tests' fake endpoint, recording the key each request carried, plus a model
    ``unauthorized`` that answers 401 quoting that key back (as careless providers do)."""

    def __init__(self) -> None:
        self.authorizations: list[str] = []
        super().__init__()

    def _handler(self) -> Any:
        base, fake = super()._handler(), self

        class Recording(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                authorization = self.headers.get("Authorization", "")
                fake.authorizations.append(authorization)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw or b"{}")
                if body.get("model") == "unauthorized":
                    fake.record("unauthorized", body.get("messages") or [])
                    message = f"Incorrect API key provided: {authorization}"
                    self._send(401, {"error": {"message": message}})
                    return
                self.rfile = io.BytesIO(raw)
                super().do_POST()

        return Recording


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[RecordingLLM]:
    with RecordingLLM() as fake:
        yield fake


@pytest.fixture(scope="module")
def abuse_server(fake_llm: RecordingLLM) -> LiveServer:
    """A server with API keys and a working LLM endpoint in its environment, and small limits."""
    env = {**SECRETS, **LIMITS, "API_BASE_URL": fake_llm.base_url, "MODEL_NAME": "valid"}
    server = POOL.launch(env)
    assert server.url
    return server


def _assert_no_secret(text: str, where: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name} leaked in {where}"
        assert secret[-8:] not in text, f"part of {name} leaked in {where}"


def test_baseline_never_calls_an_llm(abuse_server: LiveServer, fake_llm: RecordingLLM) -> None:
    url = abuse_server.url
    played = httpx.get(f"{url}/baseline", params={"task_name": "easy"}, timeout=120)
    assert played.status_code == 200, played.text
    assert played.json()["agent"] == "heuristic"
    for name in ("llm", "openai", "LLM", "valid"):
        refused = httpx.get(f"{url}/baseline", params={"agent": name}, timeout=60)
        assert 400 <= refused.status_code < 500, refused.text
        # Built-in agents only, or an LLM baseline the operator has not switched on.
        assert (
            "allowed: passive, random, basestock, heuristic" in refused.text
            or "BASELINE_ALLOW_LLM" in refused.text
        ), refused.text
    assert fake_llm.requests == {}, "the server sent a request to the LLM endpoint"


@pytest.fixture(scope="module")
def llm_baseline_server(fake_llm: RecordingLLM) -> LiveServer:
    """A server whose operator enabled LLM baselines, with a short time limit."""
    env = {
        **SECRETS,
        "API_BASE_URL": fake_llm.base_url,
        "MODEL_NAME": "valid",
        "BASELINE_ALLOW_LLM": "true",
        "BASELINE_LLM_TIMEOUT_SECONDS": "20",
        "LOG_LEVEL": "info",
    }
    server = POOL.launch(env)
    assert server.url
    return server


def test_an_enabled_llm_baseline_plays_one_run_at_a_time_and_leaks_no_key(
    llm_baseline_server: LiveServer, fake_llm: RecordingLLM
) -> None:
    url = llm_baseline_server.url

    async def two_at_once() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            return await asyncio.gather(
                client.get("/baseline", params={"task_name": "easy"}),
                client.get("/baseline", params={"task_name": "easy", "agent": "llm"}),
            )

    responses = asyncio.run(two_at_once())
    assert sorted(r.status_code for r in responses) == [200, 429], [r.text for r in responses]
    played = next(r for r in responses if r.status_code == 200).json()
    busy = next(r for r in responses if r.status_code == 429).json()
    assert "an LLM baseline is already running" in busy["detail"]
    assert (played["agent"], played["model"], played["llm_days"]) == ("llm", "valid", 30)
    assert played["timed_out"] is False and played["llm_stats"]["fallbacks"] == 0
    assert 0.0 <= played["score"] <= 1.0 and played["grade"]["agent_profit"] == played["profit"]
    assert len(fake_llm.requests["valid"]) >= 30  # the model really played
    assert set(fake_llm.authorizations[-30:]) == {f"Bearer {SECRETS['HF_TOKEN']}"}
    heuristic = httpx.get(f"{url}/baseline", params={"agent": "heuristic"}, timeout=120)
    assert heuristic.json()["agent"] == "heuristic"  # built-in agents still on request
    _assert_no_secret("\n".join(r.text for r in responses), "an LLM baseline answer")
    time.sleep(0.2)
    log = llm_baseline_server.log_path.read_text(errors="replace")
    assert "GET /baseline" in log
    _assert_no_secret(log, "the server's log")


def test_an_llm_baseline_past_its_time_limit_is_finished_by_the_heuristic(
    fake_llm: RecordingLLM,
) -> None:
    env = {
        **SECRETS,  # every request the fake sees carries the operator's key
        "API_BASE_URL": fake_llm.base_url,
        "MODEL_NAME": "slow",  # each reply takes longer than the whole time limit
        "BASELINE_ALLOW_LLM": "true",
        "BASELINE_LLM_TIMEOUT_SECONDS": "0.5",
    }
    url = POOL.url(env)  # booted first: the clock below times the baseline, not a start-up
    started = time.monotonic()
    played = httpx.get(f"{url}/baseline", params={"task_name": "easy"}, timeout=120)
    assert played.status_code == 200, played.text
    body = played.json()
    assert (body["agent"], body["timed_out"], body["llm_days"]) == ("llm", True, 0)
    assert time.monotonic() - started < 30
    assert body["profit"] > 0 and "score" in body  # a whole, graded month all the same


def test_concurrent_baselines_are_bounded(abuse_server: LiveServer) -> None:
    """One job runs, one waits, the rest get 429 naming the limits; nothing more ever runs."""
    url = abuse_server.url
    running_seen: list[int] = []

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:

            async def watch() -> None:
                while True:
                    running_seen.append(
                        (await client.get("/capacity")).json()["background_jobs_running"]
                    )
                    await asyncio.sleep(0.01)

            watcher = asyncio.create_task(watch())
            try:
                return await asyncio.gather(
                    *[  # uncached scenarios: each grade solves a fresh linear program
                        client.get("/baseline", params={"agent": "passive", "seed": 424_242 + i})
                        for i in range(6)
                    ]
                )
            finally:
                watcher.cancel()

    responses = asyncio.run(flood())
    statuses = sorted(r.status_code for r in responses)
    print(
        f"\n6 concurrent /baseline: statuses {statuses}, most running at once {max(running_seen)}"
    )
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) >= 2  # the running one and the waiting one
    busy = next(r for r in responses if r.status_code == 429)
    assert "MAX_BACKGROUND_JOBS=1" in busy.json()["detail"]
    assert "MAX_WAITING_JOBS=1" in busy.json()["detail"]
    assert busy.headers["retry-after"] == "1"
    assert max(running_seen) <= 1 and running_seen, running_seen
    capacity = httpx.get(f"{url}/capacity").json()
    assert (capacity["background_jobs_running"], capacity["background_jobs_waiting"]) == (0, 0)
    again = httpx.get(f"{url}/baseline", params={"agent": "passive"}, timeout=120)
    assert again.status_code == 200  # the server keeps serving


def test_every_post_route_has_a_body_limit(abuse_server: LiveServer) -> None:
    url = abuse_server.url
    big = json.dumps({"pad": "x" * 3000})
    for path in ("/reset", "/step", "/grader", "/mcp"):
        response = httpx.post(f"{url}{path}", content=big, headers={"Content-Type": "text/plain"})
        assert response.status_code == 413, (path, response.text)
        assert "the limit is 2048 bytes (MAX_BODY_BYTES)" in response.json()["detail"]


def test_http_mcp_cannot_hold_websocket_capacity(abuse_server: LiveServer) -> None:
    """openenv's HTTP ``openenv/session/create`` keeps a session that is never reaped; four of
    them would lock this server's WebSocket clients out for good. It is refused."""
    url = abuse_server.url
    for request_id in range(10):
        created = httpx.post(
            f"{url}/mcp",
            json={"jsonrpc": "2.0", "method": "openenv/session/create", "id": request_id},
        ).json()
        assert created["id"] == request_id
        assert "openenv/session/create is disabled over HTTP" in created["error"]["message"]
    assert httpx.get(f"{url}/capacity").json()["websocket_sessions"] == 0

    async def four_sessions() -> None:
        ws_url = url.replace("http://", "ws://") + "/ws"
        sessions = await asyncio.gather(*[websockets.connect(ws_url) for _ in range(4)])
        try:
            for ws in sessions:
                await ws.send(json.dumps({"type": "reset", "data": {}}))
                assert json.loads(await ws.recv())["type"] == "observation"
        finally:
            await asyncio.gather(*[ws.close() for ws in sessions])

    asyncio.run(four_sessions())


def test_api_keys_appear_in_no_response_and_no_log_line(abuse_server: LiveServer) -> None:
    url = abuse_server.url
    seen: list[str] = []
    with httpx.Client(base_url=url, timeout=120) as client:
        requests: list[tuple[str, str, dict[str, Any]]] = [
            ("GET", "/health", {}),
            ("GET", "/metadata", {}),
            ("GET", "/schema", {}),
            ("GET", "/tasks", {}),
            ("GET", "/openapi.json", {}),
            ("GET", "/docs", {}),
            ("GET", "/capacity", {}),
            ("GET", "/play", {}),
            ("POST", "/reset", {"json": {"task_name": "hard"}}),
            ("POST", "/step", {"json": {"action": {"buy_quantities": {"gold": 1}}}}),
            ("POST", "/step", {"content": b'{"action": {', "headers": {"X-Api-Key": "x"}}),
            ("POST", "/step", {"json": {"action": {}, "episode_id": "nope"}}),
            ("GET", "/state", {"params": {"episode_id": "nope"}}),
            ("POST", "/grader", {"params": {"task_name": "easy", "agent_profit": "nan"}}),
            ("POST", "/grader", {"params": {"task_name": "easy", "agent_profit": "1"}}),
            ("GET", "/baseline", {"params": {"agent": "llm"}}),
            ("GET", "/baseline", {"params": {"task_name": "medium", "agent": "random"}}),
            ("POST", "/mcp", {"json": {"jsonrpc": "2.0", "method": "tools/list", "id": 1}}),
            ("POST", "/mcp", {"content": b"{broken"}),
            ("GET", "/no-such-route", {}),
            ("POST", "/reset", {"content": b"x" * 5000}),
        ]
        for method, path, kwargs in requests:
            response = client.request(method, path, **kwargs)
            assert response.status_code < 500, (path, response.status_code)
            seen.append(
                f"{method} {path} {response.status_code} {response.headers} {response.text}"
            )

    async def websocket_traffic() -> None:
        async with websockets.connect(url.replace("http://", "ws://") + "/ws") as ws:
            for frame in (
                '{"type": "reset", "data": {"task_name": "nope"}}',
                '{"type": "step", "data": {}}',
                '{"type": "step", "data": {"price_multipliers": {"toys": NaN}}}',
                "[1]",
                "{bad",
                '{"type": "state"}',
            ):
                await ws.send(frame)
                seen.append(await ws.recv())

    asyncio.run(websocket_traffic())
    assert len(seen) == 27
    _assert_no_secret("\n".join(seen), "a response")
    time.sleep(0.2)  # let the access log reach the file
    log = abuse_server.log_path.read_text(errors="replace") if abuse_server.log_path else ""
    assert '"GET /baseline?agent=llm HTTP/1.1" 403' in log  # the log is really being written
    _assert_no_secret(log, "the server's log")


def test_inference_keeps_keys_out_of_its_output_when_the_llm_fails(
    server_url: str, fake_llm: RecordingLLM, tmp_path: Path
) -> None:
    """401 quoting the key back, and 500: every day falls back to the heuristic, the failure
    is reported, and the key is in none of inference.py's output (both runs at once)."""
    env = {k: v for k, v in os.environ.items() if k not in ("ENV_URL", "MODEL_NAME")}
    env.update({**SECRETS, "API_BASE_URL": fake_llm.base_url})
    runs = {}
    for model in ("unauthorized", "error500"):
        output = tmp_path / f"{model}.jsonl"
        command = [
            sys.executable, str(ROOT / "inference.py"), "--no-dotenv",
            "--env-url", server_url, "--tasks", "easy", "--seeds", "default", "--no-grade",
            "--keep-going",
            "--llm-retries", "1", "--llm-backoff", "0.01", "--output", str(output),
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**env, "MODEL_NAME": model},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        runs[model] = (process, output)
    for model, (process, output) in runs.items():
        stdout, stderr = process.communicate(timeout=180)
        assert process.returncode == 0, stdout + stderr[-3000:]
        row = json.loads(output.read_text())
        assert row["fallbacks_api_error"] == 30, (model, row)  # every day the endpoint failed
        assert re.search(r"Error code: (401|500)", output.read_text())  # and it says why
        _assert_no_secret(stdout, f"inference.py's stdout ({model})")
        _assert_no_secret(stderr, f"inference.py's stderr ({model})")
        _assert_no_secret(output.read_text(), f"inference.py's --output file ({model})")
    assert fake_llm.requests["unauthorized"] and fake_llm.requests["error500"]
    assert set(fake_llm.authorizations) == {f"Bearer {SECRETS['HF_TOKEN']}"}  # it had the key


def test_the_container_runs_as_a_non_root_user() -> None:
    instructions = [
        line.split(None, 1)
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#") and not line.startswith(" ")
    ]
    keywords = [parts[0].upper() for parts in instructions]
    assert "CMD" in keywords and "USER" in keywords
    users = [
        parts[1].strip()
        for parts in instructions[: keywords.index("CMD")]
        if parts[0].upper() == "USER"
    ]
    assert users, "no USER before CMD"
    final_user = users[-1].split(":")[0]
    assert final_user not in ("root", "0"), final_user
    assert re.search(
        rf"useradd[^\n]*\b{re.escape(final_user)}\b", (ROOT / "Dockerfile").read_text()
    )
    assert "USER" not in keywords[keywords.index("CMD") :]
