"""A minimal server-sent-events client for the tests: one socket, HTTP/1.1, each event with the time
it arrived (an HTTP library buffers; this one hands over every line as its bytes come)."""
from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Event:
    data: dict
    received: float  # time.time() when its last line arrived


@dataclass
class Stream:
    status: int
    headers: dict[str, str]
    events: list[Event] = field(default_factory=list)
    sock: socket.socket | None = None
    _buffer: bytes = b""
    _body: bytes = b""  # decoded from the chunked encoding, not yet split into lines

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _recv(self) -> bool:
        chunk = self.sock.recv(65536) if self.sock else b""
        self._buffer += chunk
        return bool(chunk)

    def _dechunk(self) -> bool:
        """Move whole chunks from the socket buffer to the body; False at the last chunk."""
        while True:
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                return True
            size = int(self._buffer[:line_end].split(b";")[0], 16)
            if size == 0:
                return False
            if len(self._buffer) < line_end + 2 + size + 2:
                return True
            self._body += self._buffer[line_end + 2:line_end + 2 + size]
            self._buffer = self._buffer[line_end + 2 + size + 2:]

    def read(self, count: int, timeout: float = 30.0) -> list[Event]:
        """Read until ``count`` more events arrived or the stream ended; the events this read got."""
        self.sock.settimeout(timeout)
        first = len(self.events)
        wanted = first + count
        chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        going = True
        while len(self.events) < wanted and going:
            if chunked:
                going = self._dechunk()
            else:
                self._body, self._buffer = self._body + self._buffer, b""
            while b"\n" in self._body:
                line, self._body = self._body.split(b"\n", 1)
                if line.startswith(b"data:"):
                    self.events.append(Event(json.loads(line[5:]), time.time()))
            if len(self.events) < wanted and going and not self._recv():
                break
        return self.events[first:]


def subscribe(url: str, timeout: float = 30.0) -> Stream:
    """Send the GET and read the status line and headers (the body is read by ``Stream.read``)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nAccept: text/event-stream\r\n\r\n"
                 .encode())
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        if not chunk:
            break
        raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return Stream(int(status_line.split()[1]), headers, sock=sock, _buffer=rest)
