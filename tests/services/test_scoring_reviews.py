"""Reviews on the scoring service: revisions, validation by method, permissions, bulk import."""

from __future__ import annotations

import csv
import io

import grpc
import openpyxl
import pytest

from oneassess.client.errors import describe_rpc_error, error_reason
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common.auth import Role
from tests.services.test_scoring_support import (
    CYCLE,
    city_fixture,  # noqa: F401 - the `city` fixture
    compute,
    publish,
    record,
    rejected,
    rid,
    table_counts,
)

SAFETY = "emergency-bureau"  # owns work-safety


async def test_each_change_is_a_new_revision_and_history_is_kept(city):
    assessor = city.assessor(SAFETY)
    first = await record(
        assessor,
        "baiquan-town",
        "work-safety",
        "ws-02",
        pb.ReviewInput(value=0.9),
        "ledger checked",
    )
    second = await record(
        assessor, "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=0.95), "recount"
    )
    assert (first.revision, second.revision) == (1, 2)
    assert (
        second.input.value == pytest.approx(0.95)
        and second.reviewed_by == "assessor:emergency-bureau"
    )
    history = await assessor.ListReviews(
        pb.ListReviewsRequest(
            cycle_code=CYCLE, unit_code="baiquan-town", indicator_code="ws-02", all_revisions=True
        )
    )
    assert [(r.revision, r.comment) for r in history.reviews] == [
        (2, "recount"),
        (1, "ledger checked"),
    ]
    latest = await city.admin.ListReviews(
        pb.ListReviewsRequest(cycle_code=CYCLE, unit_code="baiquan-town")
    )
    assert [(r.indicator_code, r.revision) for r in latest.reviews] == [("ws-02", 2)]


async def test_a_repeated_request_id_records_once(city):
    assessor = city.assessor(SAFETY)
    request_id = rid()
    a = await record(
        assessor,
        "ganlan-town",
        "work-safety",
        "ws-04",
        pb.ReviewInput(grade="B"),
        request_id=request_id,
    )
    b = await record(
        assessor,
        "ganlan-town",
        "work-safety",
        "ws-04",
        pb.ReviewInput(grade="B"),
        request_id=request_id,
    )
    assert a == b
    assert await city.pool.fetchval("SELECT count(*) FROM reviews") == 1


@pytest.mark.parametrize(
    ("indicator", "review_input", "field", "words"),
    [
        (
            "ws-04",
            pb.ReviewInput(grade="E"),
            "input.grade",
            "is not one of the indicator's grades (A, B, C, D)",
        ),
        ("ws-02", pb.ReviewInput(value=-0.1), "input.value", "must not be negative"),
        (
            "ws-01",
            pb.ReviewInput(items_met=5),
            "input.items_met",
            "5 items met but the indicator lists 4",
        ),
        ("ws-02", pb.ReviewInput(grade="A"), "input.grade", "is not used by method ratio"),
        ("ws-02", pb.ReviewInput(), "input.value", "is required by method ratio"),
        (
            "ws-06",
            pb.ReviewInput(occurrences=0.1234567),
            "input.occurrences",
            "more than 6 decimal places",
        ),
        ("ws-05", pb.ReviewInput(value=1), "indicator_code", "does not apply to township units"),
    ],
)
async def test_bad_review_input_is_rejected_naming_the_field_and_changes_nothing(
    city, indicator, review_input, field, words
):
    before = await table_counts(city.pool)
    err = await rejected(
        record(city.assessor(SAFETY), "baiquan-town", "work-safety", indicator, review_input),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith(f"{field}:") and words in err.details()
    assert await table_counts(city.pool) == before


async def test_unknown_unit_and_indicator_are_not_found(city):
    assessor = city.assessor(SAFETY)
    err = await rejected(
        record(assessor, "atlantis", "work-safety", "ws-02", pb.ReviewInput(value=1)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert err.details().startswith("unit_code:")
    err = await rejected(
        record(assessor, "baiquan-town", "work-safety", "ws-99", pb.ReviewInput(value=1)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert err.details().startswith("indicator_code:")


async def test_an_assessor_never_reviews_another_departments_indicators(city):
    before = await table_counts(city.pool)
    other = city.assessor("ecology-bureau")
    err = await rejected(
        record(other, "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=1)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert error_reason(err) == "OTHER_DEPARTMENT" and "special_assessment_code" in err.details()
    err = await rejected(
        record(
            city.unit("baiquan-town"),
            "baiquan-town",
            "work-safety",
            "ws-02",
            pb.ReviewInput(value=1),
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert "role 'unit' may not call RecordReview" in err.details()
    err = await rejected(
        other.ListReviews(
            pb.ListReviewsRequest(cycle_code=CYCLE, special_assessment_code="work-safety")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert await table_counts(city.pool) == before


async def test_reviews_close_when_scores_are_published(city):
    await compute(city)
    await publish(city)
    before = await table_counts(city.pool)
    err = await rejected(
        record(
            city.assessor(SAFETY), "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=1)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert error_reason(err) == "SCORES_PUBLISHED"
    assert await table_counts(city.pool) == before


# -- bulk import ----------------------------------------------------------------------------


async def template(
    city, fmt: str, department: str = SAFETY, sa: str = "work-safety"
) -> pb.ExportReviewTemplateResponse:
    return await city.assessor(department).ExportReviewTemplate(
        pb.ExportReviewTemplateRequest(cycle_code=CYCLE, special_assessment_code=sa, format=fmt)
    )


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def fill(row: dict[str, str]) -> None:
    """A plausible judgement for the row's method."""
    value = {
        "ratio": ("value", "0.97"),
        "grade": ("grade", "B"),
        "checklist": ("items_met", "3"),
        "deduction": ("occurrences", "1"),
        "veto": ("failed", "false"),
    }[row["method"]]
    row[value[0]] = value[1]


async def import_sheet(
    city, name: str, content: bytes, department: str = SAFETY, request_id: str = ""
):
    return await city.assessor(department).ImportReviews(
        pb.ImportReviewsRequest(
            request_id=request_id or rid(),
            cycle_code=CYCLE,
            file=pb.ReviewFile(name=name, content=content),
        )
    )


async def test_template_lists_every_unit_and_indicator_to_review(city):
    sheet = await template(city, "csv")
    rows = csv_rows(sheet.content)
    townships, departments = len(city.units("township")), len(city.units("department"))
    # work-safety: ws-05 applies to departments only; the other six to both kinds.
    assert sheet.rows == len(rows) == 6 * townships + 7 * departments
    first = rows[0]
    assert (first["unit_code"], first["indicator_code"], first["method"]) == (
        "baiquan-town",
        "ws-01",
        "checklist",
    )
    assert first["unit_name"] == "白泉镇" and first["indicator_name"] == "安全生产责任体系"
    assert first["how_it_scores"] == "items_met: 0..4 (x 3 / 4)"
    err = await rejected(
        template(city, "csv", department="ecology-bureau"), grpc.StatusCode.PERMISSION_DENIED
    )
    assert error_reason(err) == "OTHER_DEPARTMENT"


async def test_csv_import_records_filled_rows_and_a_repeat_changes_nothing(city):
    rows = csv_rows((await template(city, "csv")).content)
    for row in rows[:20]:
        fill(row)
    result = await import_sheet(city, "safety.csv", csv_bytes(rows))
    assert (result.recorded, result.unchanged, result.blank) == (20, 0, len(rows) - 20)
    again = await import_sheet(city, "safety.csv", csv_bytes(rows))
    assert (again.recorded, again.unchanged) == (0, 20)
    # The template now comes pre-filled with the latest reviews.
    refreshed = csv_rows((await template(city, "csv")).content)
    assert [
        r["value"] or r["grade"] or r["items_met"] or r["occurrences"] or r["failed"]
        for r in refreshed[:20]
    ] == [
        r["value"] or r["grade"] or r["items_met"] or r["occurrences"] or r["failed"]
        for r in rows[:20]
    ]
    rows[0]["items_met"] = "4"
    changed = await import_sheet(city, "safety.csv", csv_bytes(rows))
    assert (changed.recorded, changed.unchanged) == (1, 19)
    revisions = await city.pool.fetchval(
        "SELECT max(revision) FROM reviews WHERE unit_code = $1 AND indicator_code = $2",
        rows[0]["unit_code"],
        rows[0]["indicator_code"],
    )
    assert revisions == 2


async def test_xlsx_import_round_trips_the_template(city):
    sheet = await template(city, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    ws = book["reviews"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2, max_row=8):
        cells = dict(zip(header, row, strict=True))
        method = cells["method"].value
        column, value = {
            "ratio": ("value", 0.96),
            "grade": ("grade", "A"),
            "checklist": ("items_met", 4),
            "deduction": ("occurrences", 0),
            "veto": ("failed", False),
        }[method]
        cells[column].value = value
    out = io.BytesIO()
    book.save(out)
    result = await import_sheet(city, "safety.xlsx", out.getvalue())
    assert result.recorded == 7
    stored = await city.pool.fetch("SELECT method, judgement FROM reviews ORDER BY id")
    assert {(r["method"], r["judgement"]) for r in stored} >= {
        ("ratio", "960000"),
        ("checklist", "4"),
    }


async def test_a_sheet_with_bad_rows_is_rejected_whole_with_every_row_named(city):
    rows = csv_rows((await template(city, "csv")).content)
    for row in rows[:10]:
        fill(row)
    by_indicator = {r["indicator_code"]: i for i, r in reversed(list(enumerate(rows[:10])))}
    rows[by_indicator["ws-04"]]["grade"] = "Z"  # sheet row = index + 2 (header is row 1)
    rows[by_indicator["ws-02"]]["value"] = "-3"
    rows[by_indicator["ws-01"]]["items_met"] = "9"
    rows[by_indicator["ws-06"]]["grade"] = "A"  # deduction reads occurrences
    before = await table_counts(city.pool)
    err = await rejected(
        import_sheet(city, "bad.csv", csv_bytes(rows)), grpc.StatusCode.INVALID_ARGUMENT
    )
    _, message, violations = describe_rpc_error(err)
    assert "review sheet bad.csv was rejected, nothing imported: 4 problems" in message
    expected = {
        f"bad.csv row {by_indicator['ws-04'] + 2}:grade",
        f"bad.csv row {by_indicator['ws-02'] + 2}:value",
        f"bad.csv row {by_indicator['ws-01'] + 2}:items_met",
        f"bad.csv row {by_indicator['ws-06'] + 2}:grade",
    }
    assert {v.split(": ")[0] for v in violations} == expected
    assert await table_counts(city.pool) == before


async def test_a_sheet_naming_another_departments_indicators_is_refused(city):
    rows = csv_rows((await template(city, "csv")).content)
    fill(rows[0])
    ecology = csv_rows(
        (await template(city, "csv", department="ecology-bureau", sa="ecology")).content
    )
    fill(ecology[0])
    mixed = [rows[0], {k: ecology[0].get(k, "") for k in rows[0]}]
    before = await table_counts(city.pool)
    err = await rejected(
        import_sheet(city, "mixed.csv", csv_bytes(mixed)), grpc.StatusCode.PERMISSION_DENIED
    )
    assert "row 3 (ecology, owned by ecology-bureau)" in err.details()
    assert await table_counts(city.pool) == before


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("reviews.txt", b"x", "must end in .csv or .xlsx"),
        ("reviews.csv", b"", "is empty"),
        (
            "reviews.csv",
            b"unit,indicator\nx,y\n",
            "missing column(s) unit_code, special_assessment_code, indicator_code",
        ),
        ("reviews.xlsx", b"not a zip", "not an Excel workbook"),
    ],
)
async def test_unreadable_sheets_are_rejected(city, name, content, words):
    err = await rejected(import_sheet(city, name, content), grpc.StatusCode.INVALID_ARGUMENT)
    assert words in err.details()


async def test_missing_reviews_are_counted_per_line_department(city):
    assessor = city.assessor(SAFETY)
    await record(assessor, "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=1))
    response = await city.as_(Role.SERVICE).ListMissingReviews(
        pb.ListMissingReviewsRequest(cycle_code=CYCLE)
    )
    by_department = {d.department: d for d in response.departments}
    assert len(by_department) == 8
    safety = by_department[SAFETY]
    total = 6 * len(city.units("township")) + 7 * len(city.units("department"))
    assert (safety.missing, safety.total) == (total - 1, total)
    assert "baiquan-town/work-safety/ws-02" not in safety.examples and len(safety.examples) == 50
    own = await assessor.ListMissingReviews(pb.ListMissingReviewsRequest(cycle_code=CYCLE))
    assert [d.department for d in own.departments] == [SAFETY]
    await rejected(
        assessor.ListMissingReviews(
            pb.ListMissingReviewsRequest(cycle_code=CYCLE, department="ecology-bureau")
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
