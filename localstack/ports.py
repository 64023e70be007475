"""Loopback port helpers for the local stack and the tests."""

from __future__ import annotations

import secrets
import socket

# Below Linux's ephemeral range (32768-60999): a port handed out here cannot be taken by an
# outgoing connection before its server binds it, as a port from bind(0) can on a busy machine.
_LOW, _HIGH = 10_000, 32_767


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now, chosen at random (not in sequence), so concurrent test
    processes rarely pick the same one."""
    for _ in range(200):
        port = _LOW + secrets.randbelow(_HIGH - _LOW)
        if not port_in_use(port, host, reuse=False):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_in_use(port: int, host: str = "127.0.0.1", *, reuse: bool = True) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
        return False
