"""A fake OpenAI-compatible chat endpoint for tests: ``POST /v1/chat/completions``.

Runs in a background thread on a free loopback port and records every request. The reply
depends on the requested model name, so one server serves every scenario at once:

``valid``     a valid action as plain JSON
``think``     a ``<think>`` block (with braces in it), then the action in a ```json fence
``junk``      prose without any JSON, always (so every day ends in a fallback)
``fixable``   an out-of-range price first; a valid action when asked again with the error
``error500``  HTTP 500, always
``flaky``     HTTP 500 the first time a conversation is sent, a valid action the next time
``slow``      a valid action after ``SLOW_REPLY_S`` seconds (past the client's timeout)
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VALID_ACTION = {
    "buy_quantities": {"groceries": 12, "toys": 3},
    "delivery_method": "slow",
    "price_multipliers": {"toys": 1.2, "groceries": 1.3},
}
RETRY_MARKER = "That reply was not a valid action"
SLOW_REPLY_S = 1.0
MODES = ("valid", "think", "junk", "fixable", "error500", "flaky", "slow")


class FakeLLM:
    """The server, its recorded requests (``requests[model]`` = list of message lists)."""

    def __init__(self) -> None:
        self.requests: dict[str, list[list[dict[str, str]]]] = {}
        self.auth_headers: list[str | None] = []
        """Each request's ``Authorization`` header (None when it had none)."""
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, model: str, messages: list[dict[str, str]]) -> bool:
        """Store the request; True when this exact conversation was sent before."""
        key = hashlib.sha256(json.dumps([model, messages]).encode()).hexdigest()
        with self._lock:
            self.requests.setdefault(model, []).append(messages)
            seen = key in self._seen
            self._seen.add(key)
        return seen

    def reply(self, model: str, messages: list[dict[str, str]]) -> tuple[int, str | None]:
        """(HTTP status, reply text) for a request."""
        repeated = self.record(model, messages)
        last = messages[-1]["content"] if messages else ""
        action = json.dumps(VALID_ACTION)
        if model == "valid":
            return 200, action
        if model == "think":
            return 200, (
                '<think>Stock is {low}; maybe {"buy": 1}? Let me plan.</think>\n'
                f"Here is my decision:\n```json\n{action}\n```"
            )
        if model == "junk":
            return 200, "I would restock groceries and hold prices steady."
        if model == "fixable":
            if last.startswith(RETRY_MARKER):
                return 200, action
            return 200, json.dumps({"price_multipliers": {"toys": 9.0}})
        if model == "error500":
            return 500, None
        if model == "flaky":
            return (200, action) if repeated else (500, None)
        if model == "slow":
            time.sleep(SLOW_REPLY_S)
            return 200, action
        return 404, None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                fake.auth_headers.append(self.headers.get("Authorization"))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                model = str(body.get("model", ""))
                messages = body.get("messages") or []
                status, text = fake.reply(model, messages)
                if status != 200 or text is None:
                    self._send(status, {"error": {"message": f"fake failure ({model})"}})
                    return
                prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
                self._send(
                    200,
                    {
                        "id": "chatcmpl-fake",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt_chars // 4,
                            "completion_tokens": len(text) // 4,
                            "total_tokens": prompt_chars // 4 + len(text) // 4,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        return Handler
