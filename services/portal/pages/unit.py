"""The unit's pages (被考核单位): consolidated asks with countdown and status, the streamed
upload of each document once, versions, extension requests, tolerance claims, the published
scorecard with its explanations, appeals; and evidence downloads for every role."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import grpc
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route

from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.portal.i18n import N_, _
from services.portal.pages import Context, flash, request_id, take_flash
from services.portal.render import not_found, page
from services.portal.rpc import every
from services.portal.security import person_of, requires

CHUNK_BYTES = 64 * 1024
ASK_STATES = {
    pb.ASK_STATE_MISSING: ("missing", N_("Missing")),
    pb.ASK_STATE_SUBMITTED: ("submitted", N_("Submitted")),
    pb.ASK_STATE_LATE: ("late", N_("Submitted late")),
}
CLAIM_STATES = {
    spb.DECISION_STATE_PENDING: N_("Pending"),
    spb.DECISION_STATE_APPROVED: N_("Approved"),
    spb.DECISION_STATE_REJECTED: N_("Rejected"),
}
APPEAL_STATES = {
    spb.APPEAL_STATE_PENDING: N_("Pending"),
    spb.APPEAL_STATE_UPHELD: N_("Upheld"),
    spb.APPEAL_STATE_ADJUSTED: N_("Adjusted"),
}
INLINE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
DOWNLOAD_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "mp4": "video/mp4",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def state_of(status: pb.AskStatus | None) -> tuple[str, str]:
    if status is None:
        return ASK_STATES[pb.ASK_STATE_MISSING][0], _(ASK_STATES[pb.ASK_STATE_MISSING][1])
    css, label = ASK_STATES.get(status.state, ASK_STATES[pb.ASK_STATE_MISSING])
    return css, _(label)


def serves(names, ask: ipb.Ask) -> list[dict[str, str]]:
    return [
        {
            "special_assessment": names.sa_name(ref.special_assessment_code),
            "indicator": names.indicator_name(ref.special_assessment_code, ref.indicator_code),
            "code": f"{ref.special_assessment_code}/{ref.indicator_code}",
        }
        for ref in ask.serves
    ]


def routes(ctx: Context) -> list[Route]:
    clients = ctx.clients

    async def unit_asks(request: Request):
        person = request.state.person
        names = await ctx.catalogues.names(ctx.cycle)
        asks = await every(
            clients.indicators.ListAsks,
            ipb.ListAsksRequest(cycle_code=ctx.cycle, unit_code=person.unit, page_size=200),
            "asks",
        )
        status = await clients.submissions.GetAskStatus(
            pb.GetAskStatusRequest(cycle_code=ctx.cycle, unit_code=person.unit)
        )
        by_key = {a.evidence_key: a for a in status.asks}
        rows = []
        for ask in asks:
            st = by_key.get(ask.evidence_key)
            css, label = state_of(st)
            rows.append(
                {
                    "key": ask.evidence_key,
                    "name": ask.name,
                    "formats": list(ask.formats),
                    "serves": serves(names, ask),
                    "state": css,
                    "state_label": label,
                    "versions": st.versions if st else 0,
                    "latest": st.latest_submitted_at if st else None,
                }
            )
        missing = [r for r in rows if r["state"] == "missing"]
        return page(
            request,
            "unit/asks.html",
            unit_name=names.unit_name(person.unit),
            cycle=names.cycle,
            rows=rows,
            missing=missing,
            deadline=status.deadline,
            closes_at=status.closes_at,
            flash=take_flash(request),
        )

    async def ask_detail(request: Request):
        person = request.state.person
        key = request.path_params["key"]
        names = await ctx.catalogues.names(ctx.cycle)
        asks = await every(
            clients.indicators.ListAsks,
            ipb.ListAsksRequest(cycle_code=ctx.cycle, unit_code=person.unit, page_size=200),
            "asks",
        )
        ask = next((a for a in asks if a.evidence_key == key), None)
        if ask is None:
            return not_found(request)
        versions = await every(
            clients.submissions.ListSubmissions,
            pb.ListSubmissionsRequest(
                cycle_code=ctx.cycle, unit_code=person.unit, evidence_key=key, page_size=100
            ),
            "submissions",
        )
        status = await clients.submissions.GetAskStatus(
            pb.GetAskStatusRequest(cycle_code=ctx.cycle, unit_code=person.unit)
        )
        st = next((a for a in status.asks if a.evidence_key == key), None)
        css, label = state_of(st)
        return page(
            request,
            "unit/ask.html",
            ask=ask,
            serves=serves(names, ask),
            versions=sorted(versions, key=lambda s: -s.version),
            state=css,
            state_label=label,
            deadline=status.deadline,
            max_bytes=ctx.settings.max_upload_bytes,
            cycle=names.cycle,
            flash=take_flash(request),
        )

    async def upload(request: Request):
        """The body is the file itself, streamed on to the submissions service chunk by chunk
        as it arrives: the portal never holds more than a chunk of it."""
        person = request.state.person
        key = request.path_params["key"]
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            return await upload_form(request, person, key)
        try:
            size = int(request.headers.get("content-length", ""))
        except ValueError:
            return JSONResponse({"error": _("The file's size is unknown.")}, status_code=411)
        if size <= 0 or size > ctx.settings.max_upload_bytes:
            return JSONResponse({"error": _("The file is empty or too large.")}, status_code=413)
        file_name = unquote(request.headers.get("x-file-name", ""))[:255]
        effective = request.headers.get("x-effective-date", "")
        if effective and not _DATE.match(effective):
            effective = ""
        header = pb.UploadHeader(
            request_id=request.headers.get("x-request-id", "")[:64] or request_id(),
            cycle_code=ctx.cycle,
            unit_code=person.unit,
            evidence_key=key,
            file_name=file_name,
            declared_format=file_name.rsplit(".", 1)[-1].lower() if "." in file_name else "",
            size_bytes=size,
            effective_date=effective,
        )

        async def messages():
            yield pb.UploadRequest(header=header)
            buffer = b""
            async for part in request.stream():
                buffer += part
                while len(buffer) >= CHUNK_BYTES:
                    yield pb.UploadRequest(chunk=buffer[:CHUNK_BYTES])
                    buffer = buffer[CHUNK_BYTES:]
            if buffer:
                yield pb.UploadRequest(chunk=buffer)

        try:
            response = await clients.submissions.Upload(messages())
        except grpc.RpcError as err:
            return JSONResponse({"error": err.details() or err.code().name}, status_code=400)
        s = response.submission
        return JSONResponse(
            {
                "id": s.id,
                "version": s.version,
                "sha256": s.sha256,
                "deduplicated": response.deduplicated,
                "message": _("Version %(version)s received.") % {"version": s.version},
            }
        )

    async def upload_form(request: Request, person, key: str):
        """Without script the same form posts multipart: Starlette spools the file to disk
        past 1 MB, and it streams on from there chunk by chunk, as the raw upload does."""
        size = int(request.headers.get("content-length", "0") or 0)
        if size <= 0 or size > ctx.settings.max_upload_bytes + 64 * 1024:
            flash(request, _("The file is empty or too large."), "error")
            return RedirectResponse(f"/unit/asks/{key}", status_code=303)
        form = await request.form(max_files=1, max_fields=5)
        file = form.get("file")
        if file is None or not hasattr(file, "read") or not file.size:
            flash(request, _("The file is empty or too large."), "error")
            return RedirectResponse(f"/unit/asks/{key}", status_code=303)
        effective = str(form.get("effective", ""))
        name = (file.filename or "evidence")[:255]
        header = pb.UploadHeader(
            request_id=request_id(),
            cycle_code=ctx.cycle,
            unit_code=person.unit,
            evidence_key=key,
            file_name=name,
            declared_format=name.rsplit(".", 1)[-1].lower() if "." in name else "",
            size_bytes=file.size,
            effective_date=effective if _DATE.match(effective) else "",
        )

        async def messages():
            yield pb.UploadRequest(header=header)
            while chunk := await file.read(CHUNK_BYTES):
                yield pb.UploadRequest(chunk=chunk)

        try:
            response = await clients.submissions.Upload(messages())
        except grpc.RpcError as err:
            flash(request, _("The upload failed:") + " " + (err.details() or ""), "error")
            return RedirectResponse(f"/unit/asks/{key}", status_code=303)
        finally:
            await file.close()
        flash(
            request, _("Version %(version)s received.") % {"version": response.submission.version}
        )
        return RedirectResponse(f"/unit/asks/{key}", status_code=303)

    async def evidence(request: Request):
        """A submission's file: inline for PDF and images, a download otherwise. A unit sees
        only its own (the service refuses too); anything else is 'not found'."""
        person = person_of(request)
        if person is None:
            return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
        submission_id = request.path_params["submission_id"]
        try:
            got = await clients.submissions.GetSubmission(
                pb.GetSubmissionRequest(submission_id=submission_id)
            )
        except grpc.RpcError as err:
            if err.code() in (
                grpc.StatusCode.NOT_FOUND,
                grpc.StatusCode.PERMISSION_DENIED,
                grpc.StatusCode.INVALID_ARGUMENT,
            ):
                return not_found(request)
            raise
        s = got.submission
        if person.role == "unit" and s.unit_code != person.unit:
            return not_found(request)
        stream = clients.submissions.Download(pb.DownloadRequest(submission_id=submission_id))

        async def body():
            async for message in stream:
                if message.WhichOneof("payload") == "chunk":
                    yield message.chunk

        fmt = s.format.lower()
        inline = fmt in INLINE_TYPES and request.query_params.get("download") != "1"
        media = INLINE_TYPES.get(fmt) or DOWNLOAD_TYPES.get(fmt, "application/octet-stream")
        quoted = json.dumps(s.file_name)[1:-1].encode("ascii", "ignore").decode() or "evidence"
        disposition = f'{"inline" if inline else "attachment"}; filename="{quoted}"'
        return StreamingResponse(
            body(),
            media_type=media,
            headers={
                "content-disposition": disposition,
                "content-length": str(s.size_bytes),
                # an uploaded file never runs script in the portal's origin: only PDF and
                # images are shown inline (with nosniff), everything else is a download
                "content-security-policy": "default-src 'none'; img-src 'self'; "
                "style-src 'unsafe-inline'",
                "x-evidence-sha256": s.sha256,
            },
        )

    async def extension(request: Request):
        person = request.state.person
        form = await request.form()
        try:
            days = int(str(form.get("days", "0")))
        except ValueError:
            days = 0
        await clients.submissions.RequestExtension(
            pb.RequestExtensionRequest(
                request_id=request_id(),
                cycle_code=ctx.cycle,
                unit_code=person.unit,
                days=days,
                reason=str(form.get("reason", ""))[:2000],
            )
        )
        flash(request, _("Your extension request was sent to the assessment office."))
        return RedirectResponse("/unit", status_code=303)

    async def claims(request: Request):
        person = request.state.person
        names = await ctx.catalogues.names(ctx.cycle)
        if request.method == "POST":
            form = await request.form()
            refs = []
            for value in form.getlist("indicator"):
                sa, _sep, code = str(value).partition("/")
                refs.append(ipb.IndicatorRef(special_assessment_code=sa, indicator_code=code))
            await clients.scoring.FileClaim(
                spb.FileClaimRequest(
                    request_id=request_id(),
                    cycle_code=ctx.cycle,
                    unit_code=person.unit,
                    category=str(form.get("category", "")),
                    description=str(form.get("description", ""))[:4000],
                    indicators=refs,
                    prefiling=form.get("prefiling") == "on",
                    act_date=str(form.get("act_date", "")),
                )
            )
            flash(request, _("Your tolerance claim was filed."))
            return RedirectResponse("/unit/claims", status_code=303)
        filed = await every(
            clients.scoring.ListClaims,
            spb.ListClaimsRequest(cycle_code=ctx.cycle, unit_code=person.unit, page_size=100),
            "claims",
        )
        unit_kind = names.units[person.unit].kind if person.unit in names.units else ""
        indicators = [
            {
                "value": f"{i.special_assessment_code}/{i.indicator.code}",
                "label": f"{names.sa_name(i.special_assessment_code)} · {i.indicator.name}",
            }
            for i in names.catalogue.indicators
            if not i.applies_to or unit_kind in i.applies_to
        ]
        return page(
            request,
            "unit/claims.html",
            claims=filed,
            states={k: _(v) for k, v in CLAIM_STATES.items()},
            categories=list(names.cycle.tolerance),
            indicators=indicators,
            names=names,
            flash=take_flash(request),
        )

    async def scorecard(request: Request):
        person = request.state.person
        names = await ctx.catalogues.names(ctx.cycle)
        try:
            got = await clients.scoring.GetScorecard(
                spb.GetScorecardRequest(cycle_code=ctx.cycle, unit_code=person.unit)
            )
        except grpc.RpcError as err:
            if err.code() not in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
                raise
            got = None
        appeals = await every(
            clients.scoring.ListAppeals,
            spb.ListAppealsRequest(cycle_code=ctx.cycle, unit_code=person.unit, page_size=100),
            "appeals",
        )
        return page(
            request,
            "unit/scorecard.html",
            card=got.scorecard if got else None,
            run=got.run if got else None,
            appeals=appeals,
            appeal_states={k: _(v) for k, v in APPEAL_STATES.items()},
            names=names,
            flash=take_flash(request),
        )

    async def appeal(request: Request):
        person = request.state.person
        form = await request.form()
        sa, _sep, code = str(form.get("indicator", "")).partition("/")
        await clients.scoring.FileAppeal(
            spb.FileAppealRequest(
                request_id=request_id(),
                cycle_code=ctx.cycle,
                unit_code=person.unit,
                indicator=ipb.IndicatorRef(special_assessment_code=sa, indicator_code=code),
                reason=str(form.get("reason", ""))[:4000],
            )
        )
        flash(request, _("Your appeal was filed."))
        return RedirectResponse("/unit/scorecard", status_code=303)

    only_unit = requires("unit")
    return [
        Route("/unit", only_unit(unit_asks)),
        Route("/unit/asks/{key}", only_unit(ask_detail)),
        Route("/unit/asks/{key}/upload", only_unit(upload), methods=["POST"]),
        Route("/unit/extension", only_unit(extension), methods=["POST"]),
        Route("/unit/claims", only_unit(claims), methods=["GET", "POST"]),
        Route("/unit/scorecard", only_unit(scorecard)),
        Route("/unit/appeals", only_unit(appeal), methods=["POST"]),
        Route("/evidence/{submission_id}", evidence),
    ]
