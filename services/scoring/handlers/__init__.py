"""The ScoringService RPCs, one mixin per aggregate (reviews, runs, scorecards, claims,
appeals); servicer.py composes them. A handler turns the request into domain values, checks
the caller's scope, calls a use case (mutations inside `idempotency.once`) and renders the
result as the response.
"""

from __future__ import annotations

from services.common.server import Runtime
from services.scoring.peers import Peers


class Handlers:
    """What every handler mixin shares: the pool and the peers."""

    def __init__(self, runtime: Runtime) -> None:
        self.pool = runtime.pool
        self.peers = Peers(runtime.peers)
