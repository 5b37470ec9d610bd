"""Test support: a STAND-IN for an external gift card provider (none can run here), speaking
the HTTP protocol `cloud.adapters.giftcard_http` documents, on loopback. It keeps balances,
honours Idempotency-Key (a repeat gets the first answer), and can be told to answer a fixed
status for the next calls, to exercise the adapter's error mapping."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StandInGiftCardProvider:
    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.forced: list[int] = []
        self.calls = 0
        self.delay_seconds = 0.0


def _handler(state: StandInGiftCardProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            state.calls += 1
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if state.delay_seconds:
                threading.Event().wait(state.delay_seconds)
            if state.forced:
                self._send(state.forced.pop(0), {"message": "forced by the test"})
                return
            key = self.headers.get("Idempotency-Key", "")
            if key in state.answers:
                self._send(*state.answers[key])
                return
            _, _, _, card, action = self.path.split("/")
            amount = int(body.get("amount", {}).get("minor_units", 0))
            if card not in state.balances and action != "load":
                answer: tuple[int, dict[str, Any]] = (404, {"message": "no such card"})
            elif action == "redeem" and state.balances[card] < amount:
                answer = (402, {"reason": "InsufficientBalance", "message": "not enough"})
            else:
                delta = {"load": amount, "redeem": -amount}.get(action, 0)
                state.balances[card] = state.balances.get(card, 0) + delta
                balance = {"currency": "EUR", "minor_units": state.balances[card]}
                answer = (200, {"approved": True, "message": action, "balance": balance})
            state.answers[key] = answer
            self._send(*answer)

    return Handler


@contextmanager
def stand_in_provider() -> Iterator[tuple[StandInGiftCardProvider, str]]:
    state = StandInGiftCardProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
