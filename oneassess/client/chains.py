"""Every service's audit chain, checked against heads kept outside the database.

Each service verifies its own hash chain (VerifyAuditChain). A chain edited and then
recomputed from scratch, or cut at its end, is consistent by itself; what exposes it is an
anchor: a head (seq, hash) this client kept from an earlier check, in a file of its own
(`ONEASSESS_HOME/audit-anchors.json`, owner-only, or any path given). Each check sends the kept
heads; the service reports any that its chain no longer contains, and the new heads are added.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as cpb
from oneassess.submissions.v1 import submissions_service_pb2 as spb

SERVICES = {"indicators": ipb, "submissions": spb, "scoring": cpb}
MAX_ANCHORS = 1000  # per service, as the RPC accepts


@dataclass(frozen=True)
class ChainReport:
    service: str
    entries: int
    ok: bool
    first_bad_seq: int
    reason: str
    head_seq: int
    head_hash: str
    head_signature: str
    anchors_checked: int
    offered: bool = True  # False: the service does not offer VerifyAuditChain (an old build)


def load_anchors(path: Path) -> dict[str, list[dict[str, Any]]]:
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def save_anchors(path: Path, anchors: dict[str, list[dict[str, Any]]]) -> None:
    """Written owner-only from the start (created 0600, replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(anchors, f, indent=1, sort_keys=True)
    os.replace(partial, path)


async def check_chains(clients: Any, anchors: dict[str, list[dict[str, Any]]]) -> list[ChainReport]:
    """Each service's verdict on its chain and on the heads in `anchors`; the heads of chains
    that check out are added to `anchors` (changed in place)."""
    reports = []
    for service, pb in SERVICES.items():
        kept = anchors.get(service, [])[-MAX_ANCHORS:]
        stub = getattr(clients, service)
        try:
            reply = await stub.VerifyAuditChain(
                pb.VerifyAuditChainRequest(
                    anchors=[pb.AuditAnchor(seq=a["seq"], hash=a["hash"]) for a in kept]
                )
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            reports.append(ChainReport(service, 0, True, 0, "", 0, "", "", len(kept), False))
            continue
        reports.append(
            ChainReport(
                service,
                reply.entries,
                reply.ok,
                reply.first_bad_seq,
                reply.reason,
                reply.head.seq,
                reply.head.hash,
                reply.head_signature,
                len(kept),
            )
        )
        if reply.ok and reply.head.seq and all(a["seq"] != reply.head.seq for a in kept):
            kept.append(
                {"seq": reply.head.seq, "hash": reply.head.hash, "sig": reply.head_signature}
            )
        anchors[service] = kept
    return reports


async def verify_chains(clients: Any, anchors_path: Path) -> list[ChainReport]:
    """`check_chains` against the heads kept in `anchors_path`, which then keeps the new ones."""
    anchors = load_anchors(anchors_path)
    reports = await check_chains(clients, anchors)
    save_anchors(anchors_path, anchors)
    return reports
