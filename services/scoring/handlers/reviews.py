"""RPCs on reviews: RecordReview, ImportReviews, ExportReviewTemplate, ListReviews,
ListMissingReviews."""

from __future__ import annotations

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common import idempotency
from services.common.auth import Role, principal
from services.common.errors import InvalidArgument, PermissionDenied
from services.common.paging import page_size
from services.scoring import lookups, tokens
from services.scoring.convert import review_input_dict, review_pb
from services.scoring.handlers import Handlers
from services.scoring.imports import read_sheet, template_rows, validate_rows, write_template
from services.scoring.reviews import check_comment, judge
from services.scoring.usecases import reviews


class ReviewHandlers(Handlers):
    async def RecordReview(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        key = (request.special_assessment_code.strip(), request.indicator_code.strip())
        unit = lookups.unit(ctx.catalogue, request.unit_code)
        rule = lookups.rule(ctx.catalogue, key, unit)
        caller.require_department(lookups.owner(ctx.catalogue, key[0]), "special_assessment_code")
        judged = judge(rule, review_input_dict(request.input))
        comment = check_comment(request.comment)

        async def work(conn):
            row = await reviews.record(
                conn,
                cycle_code=request.cycle_code,
                unit=unit.code,
                rule=rule,
                judged=judged,
                comment=comment,
                by=caller.signature,
            )
            return pb.RecordReviewResponse(review=review_pb(row))

        return await idempotency.once(self.pool, request, pb.RecordReviewResponse, work)

    async def ImportReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        name = request.file.name or "reviews.csv"
        rows = read_sheet(name, request.file.content)

        def may_review(owner: str) -> bool:
            return caller.role is not Role.ASSESSOR or caller.department == owner

        valid, blank = validate_rows(name, rows, ctx.catalogue, may_review)

        async def work(conn):
            done = await reviews.import_sheet(
                conn,
                cycle_code=request.cycle_code,
                name=name,
                content=request.file.content,
                valid=valid,
                blank=blank,
                by=caller.signature,
            )
            return pb.ImportReviewsResponse(
                recorded=done.recorded, unchanged=done.unchanged, blank=done.blank
            )

        return await idempotency.once(self.pool, request, pb.ImportReviewsResponse, work)

    async def ExportReviewTemplate(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        code = request.special_assessment_code.strip()
        sa = lookups.special_assessment(ctx.catalogue, code)
        principal().require_department(sa.owner, "special_assessment_code")
        fmt = (request.format or "xlsx").lower().lstrip(".")
        if fmt not in ("xlsx", "csv"):
            raise InvalidArgument.field("format", f"must be xlsx or csv (got {request.format!r})")
        latest = await reviews.latest_inputs(self.pool, cycle_code=request.cycle_code, sa_code=code)
        rows = template_rows(ctx.catalogue, code, ctx.names, latest)
        return pb.ExportReviewTemplateResponse(
            file_name=f"reviews-{request.cycle_code}-{code}.{fmt}",
            content=write_template(rows, fmt),
            rows=len(rows),
        )

    async def ListReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        own = lookups.own_special_assessments(ctx.catalogue, caller)
        sa_codes = own
        if request.special_assessment_code:
            if own is not None and request.special_assessment_code not in own:
                raise PermissionDenied(
                    f"special_assessment_code: line department {caller.department!r} may not"
                    f" read the reviews of {request.special_assessment_code!r}",
                    "OTHER_DEPARTMENT",
                    metadata={"field": "special_assessment_code"},
                )
            sa_codes = [request.special_assessment_code]
        size = page_size(request.page_size, default=500, maximum=5000)
        rows, more = await reviews.page(
            self.pool,
            cycle_code=request.cycle_code,
            unit=request.unit_code,
            sa_codes=sa_codes,
            indicator=request.indicator_code,
            all_revisions=request.all_revisions,
            after=tokens.after_review(request.page_token),
            size=size,
        )
        last = rows[-1] if rows else None
        return pb.ListReviewsResponse(
            reviews=[review_pb(r) for r in rows],
            next_page_token=tokens.review_token(
                last.unit_code, last.sa_code, last.indicator_code, last.revision
            )
            if more and last
            else "",
        )

    async def ListMissingReviews(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        caller = principal()
        department = request.department.strip()
        if caller.role is Role.ASSESSOR:
            if department and department != caller.department:
                caller.require_department(department, "department")
            department = caller.department
        missing = await reviews.missing(self.pool, catalogue=ctx.catalogue, department=department)
        return pb.ListMissingReviewsResponse(
            departments=[
                pb.MissingReviews(
                    department=m.department,
                    missing=m.missing,
                    total=m.total,
                    examples=m.examples,
                )
                for m in missing
            ]
        )
