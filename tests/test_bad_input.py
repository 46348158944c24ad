"""Every class of bad input in DESIGN section 5, over HTTP and WebSocket, on the real server.

Each case gets a 4xx (or an error frame) whose text names the problem, and the episode it was
aimed at is exactly as it was before (its whole ``/state`` compared), and still playable.
Bodies are sent as raw bytes: Python's JSON accepts the ``NaN`` and ``Infinity`` tokens, so a
client can send them, and malformed JSON must be refused as such.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from server.constants import EPISODE_DAYS, MAX_ORDER_QUANTITY
from tests.live_server import POOL

JSON = {"Content-Type": "application/json"}
BUY = {"buy_quantities": {"groceries": 12, "toys": 3}, "delivery_method": "fast"}
STEP = '{"episode_id": "EID", "action": %s}'
"""A ``/step`` body aimed at the test's episode (``EID`` is replaced by its id)."""
HUGE_INT = "1" + "0" * 5000
DEEP = "[" * 5000 + "]" * 5000
EXPIRY_ENV = {"HTTP_EPISODE_IDLE_SECONDS": "0.4"}

# (id, method, path, raw body or None, status, needles that must all be in the response text)
HTTP_CASES: list[tuple[str, str, str, bytes | str | None, int, tuple[str, ...]]] = [
    # unknown product
    ("unknown-product-buy", "POST", "/step", STEP % '{"buy_quantities": {"gold": 1}}', 422,
     ("unknown product 'gold'", "allowed: electronics")),
    ("unknown-product-liquidate", "POST", "/step", STEP % '{"liquidate": {"Toys": 1}}', 422,
     ("unknown product 'Toys'",)),
    ("unknown-product-price", "POST", "/step", STEP % '{"price_multipliers": {"": 1.0}}', 422,
     ("unknown product ''",)),
    # negative, fractional and huge quantities
    ("negative-quantity", "POST", "/step", STEP % '{"buy_quantities": {"toys": -1}}', 422,
     ("buy_quantities['toys'] must be >= 0",)),
    ("negative-liquidation", "POST", "/step", STEP % '{"liquidate": {"toys": -5}}', 422,
     ("liquidate['toys'] must be >= 0",)),
    ("fractional-quantity", "POST", "/step", STEP % '{"buy_quantities": {"toys": 1.5}}', 422,
     ("buy_quantities['toys'] must be a whole number", "1.5")),
    ("huge-quantity", "POST", "/step",
     STEP % f'{{"buy_quantities": {{"toys": {MAX_ORDER_QUANTITY + 1}}}}}', 422,
     (f"must be <= {MAX_ORDER_QUANTITY}",)),
    ("astronomic-quantity", "POST", "/step", STEP % '{"buy_quantities": {"toys": 1e300}}', 422,
     (f"must be <= {MAX_ORDER_QUANTITY}",)),
    ("quantity-of-5000-digits", "POST", "/step",
     STEP % f'{{"buy_quantities": {{"toys": {HUGE_INT}}}}}', 422,
     ("Invalid JSON", "4300 digits")),
    # multipliers out of range
    ("multiplier-too-low", "POST", "/step", STEP % '{"price_multipliers": {"toys": 0.49}}', 422,
     ("price_multipliers['toys'] must be in [0.5, 1.5]", "0.49")),
    ("multiplier-too-high", "POST", "/step", STEP % '{"price_multipliers": {"toys": 1.51}}', 422,
     ("must be in [0.5, 1.5]", "1.51")),
    ("multiplier-negative", "POST", "/step", STEP % '{"price_multipliers": {"toys": -1}}', 422,
     ("must be in [0.5, 1.5]",)),
    ("multiplier-huge-integer", "POST", "/step",
     STEP % f'{{"price_multipliers": {{"toys": {10**400}}}}}', 422, ("huge integer",)),
    # NaN and infinity, as the raw tokens Python's JSON reads
    ("nan-multiplier", "POST", "/step", STEP % '{"price_multipliers": {"toys": NaN}}', 422,
     ("must be a finite number", "nan")),
    ("infinite-multiplier", "POST", "/step",
     STEP % '{"price_multipliers": {"toys": Infinity}}', 422, ("finite", "inf")),
    ("overflowing-multiplier", "POST", "/step",
     STEP % '{"price_multipliers": {"toys": 1e999}}', 422, ("finite", "inf")),
    ("nan-quantity", "POST", "/step", STEP % '{"buy_quantities": {"toys": NaN}}', 422,
     ("whole number", "nan")),
    ("minus-infinity-liquidation", "POST", "/step",
     STEP % '{"liquidate": {"toys": -Infinity}}', 422, ("whole number", "-inf")),
    ("nan-timeout", "POST", "/step", '{"episode_id": "EID", "action": {}, "timeout_s": NaN}',
     422, ("timeout_s", "greater than 0")),
    # wrong types
    ("quantity-as-string", "POST", "/step", STEP % '{"buy_quantities": {"toys": "5"}}', 422,
     ("must be a whole number of units, got '5'",)),
    ("quantity-as-bool", "POST", "/step", STEP % '{"buy_quantities": {"toys": true}}', 422,
     ("whole number", "True")),
    ("quantities-as-list", "POST", "/step", STEP % '{"buy_quantities": [["toys", 5]]}', 422,
     ("buy_quantities must be an object mapping product to units",)),
    ("multiplier-as-string", "POST", "/step", STEP % '{"price_multipliers": {"toys": "1.2"}}',
     422, ("must be a number in [0.5, 1.5]",)),
    ("unknown-delivery-method", "POST", "/step", STEP % '{"delivery_method": "teleport"}', 422,
     ("unknown method 'teleport'", "allowed: slow, medium, fast")),
    ("delivery-method-as-number", "POST", "/step", STEP % '{"delivery_method": 5}', 422,
     ("unknown method 5",)),
    ("action-as-list", "POST", "/step", STEP % "[1, 2]", 422, ("action", "dictionary")),
    ("action-null", "POST", "/step", STEP % "null", 422, ("action", "dictionary")),
    ("action-missing", "POST", "/step", '{"episode_id": "EID"}', 422, ("action", "Field required")),
    ("episode-id-as-number", "POST", "/step", '{"episode_id": 7, "action": {}}', 422,
     ("episode_id", "valid string")),
    ("body-as-list", "POST", "/step", "[]", 422, ("body", "dictionary")),
    # unknown fields
    ("unknown-action-field", "POST", "/step", STEP % '{"speed": 3}', 422,
     ("Extra inputs are not permitted", '"speed"')),
    ("unknown-body-field", "POST", "/step", '{"episode_id": "EID", "action": {}, "pad": 1}', 422,
     ("Extra inputs are not permitted", '"pad"')),
    # malformed JSON
    ("truncated-json", "POST", "/step", '{"episode_id": "EID", "action": {', 422,
     ("JSON decode error", "Expecting property name")),
    ("trailing-garbage", "POST", "/step", '{"episode_id": "EID", "action": {}} x', 422,
     ("JSON decode error", "Extra data")),
    ("single-quotes", "POST", "/step", "{'episode_id': 'EID', 'action': {}}", 422,
     ("JSON decode error",)),
    ("empty-body", "POST", "/step", "", 422, ("body", "Field required")),
    ("not-utf8", "POST", "/step", b'{"episode_id": "EID", "action": {"\xff": 1}}', 422,
     ("Invalid JSON", "not UTF-8")),
    ("nested-too-deeply", "POST", "/step", STEP % DEEP, 422,
     ("Invalid JSON", "nested too deeply")),
    # oversized bodies (MAX_BODY_BYTES is 65536 on the test server)
    ("oversized-body", "POST", "/step", STEP % ('{"metadata": {"pad": "%s"}}' % ("x" * 70_000)),
     413, ("request body too large", "70", "the limit is 65536 bytes")),
    ("oversized-reset", "POST", "/reset", '{"episode_id": "%s"}' % ("x" * 70_000), 413,
     ("request body too large",)),
    # unknown episode ids
    ("unknown-episode-step", "POST", "/step", '{"episode_id": "no-such-episode", "action": {}}',
     404, ("unknown episode_id 'no-such-episode'", "POST /reset")),
    ("unknown-episode-state", "GET", "/state?episode_id=no-such-episode", None, 404,
     ("unknown episode_id 'no-such-episode'",)),
    ("episode-id-too-long", "GET", "/state?episode_id=" + "e" * 300, None, 422,
     ("episode_id", "at most 255 characters")),
    # a failed reset of the running episode changes nothing
    ("reset-unknown-task", "POST", "/reset", '{"episode_id": "EID", "task_name": "impossible"}',
     422, ("unknown task_name 'impossible'", "allowed: easy, medium, hard")),
    ("reset-task-as-list", "POST", "/reset", '{"episode_id": "EID", "task_name": ["hard"]}', 422,
     ("task_name", "valid string")),
    ("reset-unknown-reward-mode", "POST", "/reset", '{"episode_id": "EID", "reward_mode": "x"}',
     422, ("unknown reward_mode 'x'",)),
    ("reset-negative-seed", "POST", "/reset", '{"episode_id": "EID", "seed": -1}', 422,
     ("seed", "greater than or equal to 0")),
    ("reset-fractional-seed", "POST", "/reset", '{"episode_id": "EID", "seed": 1.5}', 422,
     ("seed", "valid integer")),
    ("reset-seed-too-large", "POST", "/reset", f'{{"episode_id": "EID", "seed": {2**63}}}', 422,
     ("seed", "less than or equal to 9223372036854775807")),
    ("reset-nan-seed", "POST", "/reset", '{"episode_id": "EID", "seed": NaN}', 422,
     ("seed", "valid integer")),
    ("reset-unknown-field", "POST", "/reset", '{"episode_id": "EID", "difficulty": 3}', 422,
     ("Extra inputs are not permitted", '"difficulty"')),
    ("reset-malformed-json", "POST", "/reset", '{"episode_id": "EID", ', 422,
     ("JSON decode error",)),
]  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _boot_early() -> None:
    """Start the expiry server now, so it boots while the cases below run."""
    POOL.launch(EXPIRY_ENV)


def _state(client: httpx.Client, episode_id: str | None = None) -> dict[str, Any]:
    response = client.get("/state", params={"episode_id": episode_id} if episode_id else None)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def client(server_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server_url, timeout=30) as http:
        yield http


@pytest.fixture
def episode(client: httpx.Client) -> str:
    """A medium episode two days in, with stock in transit: the latest HTTP episode."""
    episode_id = client.post("/reset", json={"task_name": "medium", "seed": 17}).json()[
        "episode_id"
    ]
    for action in (BUY, {"price_multipliers": {"toys": 1.2}}):
        assert client.post("/step", json={"episode_id": episode_id, "action": action}).is_success
    return episode_id


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needles"),
    [pytest.param(*case[1:], id=case[0]) for case in HTTP_CASES],
)
def test_http_bad_input_is_named_and_changes_nothing(
    client: httpx.Client,
    episode: str,
    method: str,
    path: str,
    body: bytes | str | None,
    status: int,
    needles: tuple[str, ...],
) -> None:
    before = _state(client, episode)
    content = body.replace("EID", episode) if isinstance(body, str) else body
    response = client.request(method, path, content=content, headers=JSON)
    assert response.status_code == status, response.text[:500]
    for needle in needles:
        assert needle in response.text, (needle, response.text[:500])
    assert _state(client, episode) == before
    assert _state(client)["episode_id"] == episode  # a failed /reset started nothing
    after = client.post("/step", json={"episode_id": episode, "action": {}})
    assert after.json()["observation"]["current_day"] == before["current_day"] + 1


def test_a_chunked_body_over_the_limit_is_refused_too(client: httpx.Client, episode: str) -> None:
    before = _state(client, episode)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        yield b'{"episode_id": "%s", "action": {}, "pad": "' % episode.encode()
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    response = client.post("/step", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert "more than 65536 bytes" in response.json()["detail"]
    assert _state(client, episode) == before


def test_step_after_done_is_a_conflict_and_changes_nothing(client: httpx.Client) -> None:
    episode_id = client.post("/reset", json={"task_name": "hard"}).json()["episode_id"]
    for _ in range(EPISODE_DAYS):
        client.post("/step", json={"episode_id": episode_id, "action": BUY})
    before = _state(client, episode_id)
    assert before["done"] is True
    for action in ({}, BUY, {"buy_quantities": {"gold": 1}}):
        over = client.post("/step", json={"episode_id": episode_id, "action": action})
        assert over.status_code in (409, 422)
        if over.status_code == 409:
            assert "the episode is over (day 30 reached)" in over.json()["detail"]
    assert _state(client, episode_id) == before


def test_step_before_reset_and_expired_episodes(live_server_factory: Any) -> None:
    """A server of our own, with episodes that expire after 0.4 s idle."""
    url = live_server_factory(EXPIRY_ENV)
    with httpx.Client(base_url=url, timeout=30) as client:
        for early in (client.post("/step", json={"action": {}}), client.get("/state")):
            assert early.status_code == 409, early.text  # nothing reset on this server yet
            assert "no HTTP episode is running: POST /reset first" in early.json()["detail"]

        kept = client.post("/reset", json={"task_name": "easy"}).json()["episode_id"]
        expired = client.post("/reset", json={"task_name": "hard"}).json()["episode_id"]
        client.post("/step", json={"episode_id": expired, "action": BUY})
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # keep one episode busy while the other idles
            assert client.get("/state", params={"episode_id": kept}).status_code == 200
            time.sleep(0.05)
        for gone in (
            client.post("/step", json={"episode_id": expired, "action": {}}),
            client.get("/state", params={"episode_id": expired}),
        ):
            assert gone.status_code == 404
            assert f"unknown episode_id '{expired}'" in gone.json()["detail"]
            assert "expired after 0.4 s idle" in gone.json()["detail"]
        assert _state(client, kept)["current_day"] == 0  # the busy one is still there
        latest = client.post("/step", json={"action": {}})  # the latest was `expired`
        assert latest.status_code == 404
        assert f"the latest HTTP episode '{expired}' has expired" in latest.json()["detail"]


# --------------------------------------------------------------------------- WebSocket
WS_STEP = '{"type": "step", "data": %s}'
# (id, raw frame, needles that must all be in the error frame)
WS_CASES: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("unknown-product", WS_STEP % '{"buy_quantities": {"gold": 1}}', ("unknown product 'gold'",)),
    ("negative-quantity", WS_STEP % '{"liquidate": {"toys": -2}}', ("must be >= 0",)),
    ("fractional-quantity", WS_STEP % '{"buy_quantities": {"toys": 0.5}}', ("whole number",)),
    ("huge-quantity", WS_STEP % '{"buy_quantities": {"toys": 1e12}}',
     (f"must be <= {MAX_ORDER_QUANTITY}",)),
    ("quantity-of-5000-digits", WS_STEP % f'{{"buy_quantities": {{"toys": {HUGE_INT}}}}}',
     ("Invalid JSON", "4300 digits")),
    ("multiplier-out-of-range", WS_STEP % '{"price_multipliers": {"toys": 3}}',
     ("must be in [0.5, 1.5]",)),
    ("nan-multiplier", WS_STEP % '{"price_multipliers": {"toys": NaN}}', ("finite", "nan")),
    ("infinite-quantity", WS_STEP % '{"buy_quantities": {"toys": Infinity}}',
     ("whole number", "inf")),
    ("quantity-as-string", WS_STEP % '{"buy_quantities": {"toys": "3"}}', ("whole number",)),
    ("unknown-delivery-method", WS_STEP % '{"delivery_method": "drone"}',
     ("unknown method 'drone'",)),
    ("unknown-action-field", WS_STEP % '{"speed": 3}', ("extra_forbidden", '"speed"')),
    ("data-as-list", WS_STEP % "[1]", ("dict_type", '"data"')),
    ("data-null", WS_STEP % "null", ("dict_type", '"data"')),
    ("missing-data", '{"type": "step"}', ("missing", '"data"')),
    ("unknown-message-field", '{"type": "step", "data": {}, "extra": 1}',
     ("extra_forbidden", '"extra"')),
    ("unknown-message-type", '{"type": "jump", "data": {}}', ("Unknown message type: jump",)),
    ("message-without-type", '{"data": {}}', ("Unknown message type",)),
    ("invalid-json", '{"type": "step", "data": {', ("Invalid JSON", "Expecting")),
    ("not-json-at-all", "hello", ("Invalid JSON",)),
    ("binary-junk", b"\xff\xfe\x00\x81", ("binary frame is not UTF-8",)),
    ("binary-json-array", b"[1, 2]", ("must be a JSON object", "got a JSON array")),
    ("json-array", "[1, 2]", ("must be a JSON object", "got a JSON array")),
    ("json-string", '"step"', ("got a JSON string",)),
    ("json-number", "42", ("got a JSON number",)),
    ("json-null", "null", ("got a JSON null",)),
    ("nested-too-deeply", WS_STEP % DEEP, ("Invalid JSON", "nested too deeply")),
    ("array-nested-too-deeply", DEEP, ("Invalid JSON", "nested too deeply")),
    ("reset-unknown-task", '{"type": "reset", "data": {"task_name": "nightmare"}}',
     ("unknown task_name 'nightmare'",)),
    ("reset-task-as-list", '{"type": "reset", "data": {"task_name": ["hard"]}}',
     ("unknown task_name ['hard']",)),
    ("reset-seed-as-string", '{"type": "reset", "data": {"seed": "7"}}',
     ("seed must be a non-negative integer, got '7'",)),
    ("reset-episode-id-as-number", '{"type": "reset", "data": {"episode_id": 5}}',
     ("episode_id must be a string, got 5",)),
    ("reset-unknown-parameter", '{"type": "reset", "data": {"level": 3}}',
     ("unknown reset parameter(s): level",)),
]  # fmt: skip


def _ws_url(server_url: str) -> str:
    return server_url.replace("http://", "ws://") + "/ws"


async def _ask(ws: Any, frame: dict[str, Any] | str | bytes) -> dict[str, Any]:
    await ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout=30))


@pytest.mark.parametrize(("frame", "needles"), [pytest.param(*c[1:], id=c[0]) for c in WS_CASES])
def test_ws_bad_frame_gets_an_error_frame_and_changes_nothing(
    server_url: str, frame: str | bytes, needles: tuple[str, ...]
) -> None:
    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url)) as ws:
            await _ask(ws, {"type": "reset", "data": {"task_name": "medium", "seed": 5}})
            await _ask(ws, {"type": "step", "data": BUY})
            before = await _ask(ws, {"type": "state"})

            reply = await _ask(ws, frame)
            assert reply["type"] == "error", reply
            text = json.dumps(reply)
            for needle in needles:
                assert needle in text, (needle, text[:600])

            assert await _ask(ws, {"type": "state"}) == before
            after = await _ask(ws, {"type": "step", "data": {}})  # the session goes on
            assert after["data"]["observation"]["current_day"] == 2

    asyncio.run(scenario())


def test_ws_step_before_reset_and_after_done(server_url: str) -> None:
    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url)) as ws:
            early = await _ask(ws, {"type": "step", "data": {}})
            assert early["type"] == "error"
            assert "reset" in early["data"]["message"]
            await _ask(ws, {"type": "reset", "data": {"task_name": "easy"}})
            for _ in range(EPISODE_DAYS):
                await _ask(ws, {"type": "step", "data": BUY})
            done = await _ask(ws, {"type": "state"})
            late = await _ask(ws, {"type": "step", "data": BUY})
            assert late["type"] == "error"
            assert "the episode is over (day 30 reached)" in late["data"]["message"]
            assert await _ask(ws, {"type": "state"}) == done

    asyncio.run(scenario())


def test_ws_oversized_frame_closes_only_its_own_session(server_url: str) -> None:
    """A frame over MAX_WS_MESSAGE_BYTES (1 MiB) closes that connection with 1009; another
    session and an HTTP episode are untouched."""

    async def scenario() -> None:
        async with websockets.connect(_ws_url(server_url)) as other:
            await _ask(other, {"type": "reset", "data": {"task_name": "hard"}})
            await _ask(other, {"type": "step", "data": BUY})
            before = await _ask(other, {"type": "state"})
            async with websockets.connect(_ws_url(server_url), max_size=None) as ws:
                await _ask(ws, {"type": "reset", "data": {}})
                await ws.send(WS_STEP % ('{"metadata": {"pad": "%s"}}' % ("x" * (1 << 20))))
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), timeout=30)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
            assert await _ask(other, {"type": "state"}) == before
            after = await _ask(other, {"type": "step", "data": {}})
            assert after["data"]["observation"]["current_day"] == 2

    asyncio.run(scenario())


# --------------------------------------------------------------------------- openenv's web routes
@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/web/reset", {"task_name": ["hard"]}, "unknown task_name ['hard']"),
        ("/web/reset", {"episode_id": 5}, "episode_id"),
        ("/web/reset", {"seed": -1}, "seed"),
        ("/web/step", {"action": {"buy_quantities": {"gold": 1}}}, "unknown product 'gold'"),
        ("/web/step", {"action": {"price_multipliers": {"toys": 9}}}, "must be in [0.5, 1.5]"),
        ("/web/step", {"action": [1]}, "action must be a JSON object"),
    ],
)
def test_web_interface_routes_refuse_bad_input_and_keep_their_episode(
    web_server_url: str, path: str, body: dict[str, Any], needle: str
) -> None:
    with httpx.Client(base_url=web_server_url, timeout=30) as client:
        assert client.post("/web/reset", json={"task_name": "medium"}).status_code == 200
        assert client.post("/web/step", json={"action": BUY}).status_code == 200
        before = client.get("/web/state").json()
        response = client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert needle in response.text
        after = client.get("/web/state")
        assert after.status_code == 200 and after.json() == before
