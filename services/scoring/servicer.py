"""The ScoringService servicer: who may call each RPC (POLICY) and the handlers, composed
from one mixin per aggregate in services/scoring/handlers/.

Below the handlers: use cases (services/scoring/usecases/, transactions and audit), the
repository (services/scoring/repository/, SQL) and pure modules (rules, tiers, weights,
verify, scorecards, explain, reviews, claims, appeals, imports, lookups, tokens).
"""

from __future__ import annotations

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from oneassess.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from services.common import audit
from services.common.auth import AUDIT_READERS, READERS, Role
from services.common.server import Runtime
from services.scoring.handlers.appeals import AppealHandlers
from services.scoring.handlers.claims import ClaimHandlers
from services.scoring.handlers.reviews import ReviewHandlers
from services.scoring.handlers.runs import RunHandlers
from services.scoring.handlers.scorecards import ScorecardHandlers

OFFICE = frozenset({Role.ADMIN, Role.SERVICE})
POLICY = {
    "RecordReview": frozenset({Role.ASSESSOR}),
    "ImportReviews": frozenset({Role.ASSESSOR}),
    "ExportReviewTemplate": frozenset({Role.ASSESSOR, Role.ADMIN}),
    "ListReviews": frozenset({Role.ASSESSOR, Role.ADMIN, Role.AUDITOR, Role.SERVICE}),
    "ComputeScores": OFFICE,
    "PublishScores": OFFICE,
    "FinalizeScores": OFFICE,
    "ListMissingReviews": frozenset({Role.ADMIN, Role.SERVICE, Role.AUDITOR, Role.ASSESSOR}),
    "ListScores": READERS,
    "GetScorecard": READERS,
    "FileClaim": frozenset({Role.UNIT}),
    "DecideClaim": frozenset({Role.ASSESSOR}),
    "ListClaims": READERS,
    "FileAppeal": frozenset({Role.UNIT}),
    "DecideAppeal": frozenset({Role.ASSESSOR}),
    "ListAppeals": READERS,
    "PreviewWeights": frozenset({Role.ADMIN, Role.AUDITOR}),
    "VerifyScores": frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE}),
    "VerifyAuditChain": AUDIT_READERS,
}


class ScoringServicer(
    ReviewHandlers,
    RunHandlers,
    ScorecardHandlers,
    ClaimHandlers,
    AppealHandlers,
    pb_grpc.ScoringServiceServicer,
):
    """Every ScoringService RPC; see the handler mixins."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self._secret = audit.audit_key(runtime.settings)

    async def VerifyAuditChain(self, request, context):
        return await audit.answer_verify(
            self.pool, request, pb, service="scoring", secret=self._secret
        )
