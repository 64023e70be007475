"""The ScoringService servicer: who may call each RPC (POLICY) and the handlers, composed
from one mixin per aggregate in services/scoring/handlers/.

Below the handlers: use cases (services/scoring/usecases/, transactions and audit), the
repository (services/scoring/repository/, SQL) and pure modules (rules, tiers, weights,
verify, scorecards, explain, reviews, claims, appeals, imports, lookups, tokens).
"""

from __future__ import annotations

from oneassess.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from services.common.auth import READERS, Role
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
