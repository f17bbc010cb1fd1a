"""One total deadline for a fetch: every recv gets only the time that is left."""

from __future__ import annotations

import io
import socket
import time
from typing import Any

from wallet.openbadges.fetch_base import timed_out


class Deadline:
    """A monotonic point in time shared by every step of one fetch."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Return the seconds left, raising a timeout FetchError when none are."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise timed_out()
        return left


class DeadlineRaw(io.RawIOBase):
    """A socket reader that re-arms the timeout before every recv with the time left."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        # Per-recv timeouts alone let a drip server run forever (security.md S11).
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)


class DeadlineSocket:
    """The minimal socket face HTTPResponse needs: ``makefile`` over a deadline-bound reader."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(DeadlineRaw(self._sock, self._deadline))
