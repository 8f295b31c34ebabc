"""A local stand-in for the public APIs: recorded answers served on 127.0.0.1.

:class:`RecordedAPI` is a :class:`~http.server.ThreadingHTTPServer` on a random free loopback
port, in a thread. It answers

- recorded routes: exact method + path (with query string) + (for POST) JSON body, loaded from a
  directory's ``index.json`` (see ``tests/data/README.md``) or added with :meth:`add`;
- handlers: a function for every path under a prefix (used to emulate Kolada's metadata
  look-ups, which answer any comma list of ids);
- injected failures: the next N requests get e.g. 503, or 429 with ``Retry-After: 0``.

``{base}`` in a recorded body is replaced by the server's own address, so recorded
``next_page`` URLs point back at it. Every request is recorded. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
KOLADA_DATA = DATA / "kolada"
SCB_DATA = DATA / "scb"
#: Path prefixes the tests use as base URLs (as on the real services).
KOLADA_PREFIX = "/v2"
SCB_PREFIX = "/OV0104/v1/doris/sv/ssd"


@dataclass
class Answer:
    """One HTTP answer."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Answer:
        return cls(status=status, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


Handler = Callable[[Request], Answer]


def canonical(body: Any) -> str:
    """A JSON body in one spelling, for matching POSTs."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class RecordedAPI:
    """The server. Use as a context manager or call :meth:`close`."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str, str | None], Answer] = {}
        self.handlers: list[tuple[str, Handler]] = []
        self.requests: list[Request] = []
        self._failures: deque[Answer] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def __enter__(self) -> RecordedAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- configuration --------------------------------------------------------------------

    def add(self, method: str, path: str, answer: Answer, query: Any = None) -> None:
        """Answer ``method path`` (and, for POST, this JSON ``query``) with ``answer``."""
        key = (method.upper(), path, canonical(query) if query is not None else None)
        self.routes[key] = answer

    def handle(self, prefix: str, handler: Handler) -> None:
        """Answer every request whose path starts with ``prefix`` with ``handler(request)``."""
        self.handlers.append((prefix, handler))

    def load(self, directory: Path) -> None:
        """Add the routes listed in ``directory/index.json`` (bodies may be gzip-compressed)."""
        for entry in json.loads((directory / "index.json").read_text(encoding="utf-8")):
            data = (directory / entry["file"]).read_bytes()
            if entry["file"].endswith(".gz"):
                data = gzip.decompress(data)
            answer = Answer(
                status=entry.get("status", 200),
                body=data,
                content_type=entry.get("content_type", "application/json; charset=utf-8"),
            )
            self.add(entry["method"], entry["path"], answer, entry.get("query"))

    def fail(
        self, times: int, status: int = 503, retry_after: str | None = None, body: bytes = b""
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (and ``Retry-After``)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = body or f'{{"error": "status {status}"}}'.encode()
        with self._lock:
            self._failures.extend(Answer(status, body, headers=headers) for _ in range(times))

    # --- inspection -----------------------------------------------------------------------

    def count(self, prefix: str = "", method: str | None = None) -> int:
        """How many requests had a path starting with ``prefix`` (and this method)."""
        return sum(
            1
            for r in self.requests
            if r.path.startswith(prefix) and (method is None or r.method == method)
        )

    # --- serving --------------------------------------------------------------------------

    def respond(self, request: Request) -> Answer:
        with self._lock:
            self.requests.append(request)
            if self._failures:
                return self._failures.popleft()
        body_key = None
        if request.body:
            try:
                body_key = canonical(json.loads(request.body))
            except ValueError:
                body_key = None
        for key in ((request.method, request.path, body_key), (request.method, request.path, None)):
            if key in self.routes:
                answer = self.routes[key]
                return Answer(
                    answer.status,
                    answer.body.replace(b"{base}", self.url.encode()),
                    answer.content_type,
                    dict(answer.headers),
                )
        for prefix, handler in self.handlers:
            if request.path.startswith(prefix):
                return handler(request)
        return Answer(404, b"<html><body>404 Not Found</body></html>", "text/html")


def _handler_class(api: RecordedAPI) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            answer = api.respond(Request(self.command, self.path, body))
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(ConnectionError):  # the client gave up (a timeout test)
                self.wfile.write(answer.body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return _Handler


def kolada_metadata(directory: Path = KOLADA_DATA) -> Handler:
    """Kolada's ``/kpi/{ids}`` and ``/municipality/{ids}``: the recorded entries with those ids
    (an id Kolada does not know is simply absent), in Kolada's envelope."""
    tables = {
        entity: json.loads((directory / f"{entity}.json").read_text(encoding="utf-8"))["values"]
        for entity in ("kpi", "municipality")
    }

    def answer(request: Request) -> Answer:
        parts = request.path.split("?")[0].strip("/").split("/")
        if len(parts) != 3 or parts[1] not in tables:
            return Answer(404, b"Not Found", "text/plain")
        ids = set(parts[2].split(","))
        values = [entry for entry in tables[parts[1]] if entry["id"] in ids]
        return Answer.json({"values": values, "count": len(values)})

    return answer


def closed_port_url() -> str:
    """The address of a loopback port nobody listens on (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
