"""Cycle plan (cycle.yaml) and tolerance catalogue (tolerance.yaml) -> CyclePlan (pure)."""

from __future__ import annotations

import itertools
import math
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.indicators.catalog import CODE, yaml_locator
from services.indicators.model import CyclePlan, Tier, ToleranceCategory
from services.indicators.sources import Problems, load_yaml

OFFSET = re.compile(r"^(\d+)\s*([dhm])$")
UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}
CALENDAR_ORDER = ("opens", "evidence_due", "collection_closes", "review_due", "publish")


def parse_offset(value: Any) -> int | None:
    """'14d' / '12h' / '30m' -> seconds; None when it does not parse."""
    match = OFFSET.match(str(value).strip()) if isinstance(value, str | int) else None
    if not match:
        return None
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _instant(value: Any, zone: ZoneInfo | None) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        if zone is None:
            return None
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_plan(
    plan_content: bytes,
    plan_name: str,
    tolerance_content: bytes | None,
    tolerance_name: str,
) -> CyclePlan:
    doc = load_yaml(plan_content, plan_name)
    locate = yaml_locator(doc)
    problems = Problems(plan_name)
    if not isinstance(doc, dict):
        problems.add(1, "plan", "must be a mapping (see examples/haizhou-2026/cycle.yaml)")
        problems.raise_if_any("cycle plan")

    def need_str(key: str) -> str:
        value = doc.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.add(locate((key,)), key, "is required")
            return ""
        return value.strip()

    code, name, tz_name = need_str("code"), need_str("name"), need_str("timezone")
    if code and not CODE.match(code):
        problems.add(locate(("code",)), "code", "must be lowercase letters, digits and '-'")
    zone = None
    if tz_name:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(locate(("timezone",)), "timezone", f"unknown time zone {tz_name!r}")

    weights: list[tuple[str, float]] = []
    raw_weights = doc.get("special_assessments")
    if not isinstance(raw_weights, dict) or not raw_weights:
        problems.add(
            locate(("special_assessments",)),
            "special_assessments",
            "must map special assessment codes to weights",
        )
    else:
        for sa_code, weight in raw_weights.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight <= 0:
                problems.add(
                    locate(("special_assessments", sa_code)),
                    f"special_assessments.{sa_code}",
                    "weight must be a positive number",
                )
            else:
                weights.append((str(sa_code), float(weight)))
        total = sum(w for _, w in weights)
        if (
            weights
            and len(weights) == len(raw_weights)
            and not math.isclose(total, 100.0, abs_tol=1e-9)
        ):
            problems.add(
                locate(("special_assessments",)),
                "special_assessments",
                f"weights must sum to 100 (they sum to {total:g})",
            )

    calendar = doc.get("calendar") if isinstance(doc.get("calendar"), dict) else {}
    if not calendar:
        problems.add(
            locate(("calendar",)),
            "calendar",
            f"is required with {', '.join(CALENDAR_ORDER)}, appeal_days",
        )
    moments: dict[str, datetime] = {}
    for key in CALENDAR_ORDER:
        if key == "collection_closes" and key not in calendar:
            continue
        value = calendar.get(key)
        moment = _instant(value, zone)
        if moment is None:
            problems.add(
                locate(("calendar", key)),
                f"calendar.{key}",
                "is required: an ISO 8601 date-time, e.g. 2026-12-31T18:00:00+08:00",
            )
        else:
            moments[key] = moment
    appeal_days = calendar.get("appeal_days")
    if not isinstance(appeal_days, int) or isinstance(appeal_days, bool) or appeal_days < 0:
        problems.add(
            locate(("calendar", "appeal_days")),
            "calendar.appeal_days",
            "must be a whole number of days >= 0",
        )
        appeal_days = 0

    reminders = doc.get("reminders") if isinstance(doc.get("reminders"), dict) else {}
    before: list[int] = []
    raw_before = reminders.get("before", [])
    if not isinstance(raw_before, list):
        problems.add(
            locate(("reminders", "before")),
            "reminders.before",
            "must be a list of offsets like 14d, 3d, 12h",
        )
        raw_before = []
    for i, offset in enumerate(raw_before):
        seconds = parse_offset(offset)
        if seconds is None or seconds <= 0:
            problems.add(
                locate(("reminders", "before", i)),
                f"reminders.before[{i}]",
                f"{offset!r} is not an offset like 14d, 3d, 12h or 30m",
            )
        else:
            before.append(seconds)
    overdue_every = parse_offset(reminders.get("overdue_every", "0d"))
    overdue_parsed = (
        overdue_every is not None
    )  # when it does not parse, say so once, not again below
    if overdue_every is None:
        problems.add(
            locate(("reminders", "overdue_every")),
            "reminders.overdue_every",
            f"{reminders.get('overdue_every')!r} is not an offset like 2d",
        )
        overdue_every = 0
    overdue_max = reminders.get("overdue_max", 0)
    if not isinstance(overdue_max, int) or isinstance(overdue_max, bool) or overdue_max < 0:
        problems.add(
            locate(("reminders", "overdue_max")),
            "reminders.overdue_max",
            "must be a whole number >= 0",
        )
        overdue_max = 0
    if overdue_max and not overdue_every and overdue_parsed:
        problems.add(
            locate(("reminders", "overdue_every")),
            "reminders.overdue_every",
            "must be positive when overdue_max > 0",
        )

    if "evidence_due" in moments and "collection_closes" not in calendar and overdue_parsed:
        # Collection stays open through the overdue reminders, then one more interval.
        moments["collection_closes"] = moments["evidence_due"] + timedelta(
            seconds=overdue_every * (overdue_max + 1)
        )
    ordered = [k for k in CALENDAR_ORDER if k in moments]
    if len(ordered) == len(CALENDAR_ORDER):
        for earlier, later in itertools.pairwise(CALENDAR_ORDER):
            if not moments[earlier] < moments[later]:
                problems.add(
                    locate(("calendar", later)),
                    f"calendar.{later}",
                    f"must be after {earlier} ({moments[earlier].isoformat()}), got "
                    f"{moments[later].isoformat()}",
                )
        if "opens" in moments and before:
            for offset in before:
                if moments["evidence_due"] - timedelta(seconds=offset) < moments["opens"]:
                    problems.add(
                        locate(("reminders", "before")),
                        "reminders.before",
                        f"offset {offset // 86400}d falls before the cycle opens",
                    )
                    break

    late_penalty = doc.get("late_penalty", 0)
    if (
        not isinstance(late_penalty, int | float)
        or isinstance(late_penalty, bool)
        or not 0 <= late_penalty <= 1
    ):
        problems.add(locate(("late_penalty",)), "late_penalty", "must be a share between 0 and 1")
        late_penalty = 0

    equivalences: list[tuple[str, ...]] = []
    raw_eq = doc.get("equivalences") or []
    if not isinstance(raw_eq, list):
        problems.add(locate(("equivalences",)), "equivalences", "must be a list of key groups")
        raw_eq = []
    for i, group in enumerate(raw_eq):
        if (
            not isinstance(group, list)
            or len(group) < 2
            or not all(isinstance(k, str) and k for k in group)
        ):
            problems.add(
                locate(("equivalences", i)),
                f"equivalences[{i}]",
                "must list two or more evidence keys",
            )
        else:
            equivalences.append(tuple(group))

    tiers: list[Tier] = []
    raw_tiers = doc.get("tiers")
    if not isinstance(raw_tiers, list) or not raw_tiers:
        problems.add(locate(("tiers",)), "tiers", "must list tiers {name, top_share}, best first")
        raw_tiers = []
    previous = 0.0
    for i, tier in enumerate(raw_tiers):
        share = tier.get("top_share") if isinstance(tier, dict) else None
        tier_name = tier.get("name") if isinstance(tier, dict) else None
        if not isinstance(tier_name, str) or not tier_name:
            problems.add(locate(("tiers", i)), f"tiers[{i}].name", "is required")
            continue
        if not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share <= 1:
            problems.add(locate(("tiers", i)), f"tiers[{i}].top_share", "must be a share in (0, 1]")
            continue
        if share <= previous:
            problems.add(
                locate(("tiers", i)),
                f"tiers[{i}].top_share",
                f"must grow tier by tier (after {previous:g})",
            )
        previous = float(share)
        tiers.append(Tier(tier_name, float(share)))
    if tiers and not math.isclose(tiers[-1].top_share, 1.0):
        problems.add(
            locate(("tiers",)),
            "tiers",
            "the last tier must have top_share 1.0 so every rank has a tier",
        )
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        problems.add(locate(("tiers",)), "tiers", "tier names must be unique")
    veto_tier = doc.get("veto_tier")
    if not isinstance(veto_tier, str) or not veto_tier:
        problems.add(
            locate(("veto_tier",)), "veto_tier", "is required (the tier a failed veto caps at)"
        )
        veto_tier = ""

    tolerance: list[ToleranceCategory] = []
    if doc.get("tolerance") is not None:
        if tolerance_content is None:
            problems.add(
                locate(("tolerance",)),
                "tolerance",
                f"names {doc.get('tolerance')!r} but no tolerance file was given",
            )
        else:
            tolerance = parse_tolerance(tolerance_content, tolerance_name, problems)

    problems.raise_if_any("cycle plan")
    return CyclePlan(
        code=code,
        name=name,
        timezone=tz_name,
        weights=tuple(weights),
        opens=moments["opens"].isoformat(),
        evidence_due=moments["evidence_due"].isoformat(),
        collection_closes=moments["collection_closes"].isoformat(),
        review_due=moments["review_due"].isoformat(),
        publish=moments["publish"].isoformat(),
        appeal_days=appeal_days,
        reminders_before_seconds=tuple(sorted(set(before), reverse=True)),
        overdue_every_seconds=overdue_every,
        overdue_max=overdue_max,
        late_penalty=float(late_penalty),
        equivalences=tuple(equivalences),
        tiers=tuple(tiers),
        veto_tier=veto_tier,
        tolerance=tuple(tolerance),
    )


def plan_locator(plan_content: bytes, plan_name: str):
    """`locate(path)` -> 'cycle.yaml:LINE' for checks made after parsing (against the catalogue)."""
    locate = yaml_locator(load_yaml(plan_content, plan_name))

    def where(path: tuple) -> str:
        line = locate(path)
        return f"{plan_name}:{line}" if line else plan_name

    return where


def parse_tolerance(
    content: bytes, file_name: str, plan_problems: Problems
) -> list[ToleranceCategory]:
    doc = load_yaml(content, file_name)
    locate = yaml_locator(doc)
    problems = Problems(file_name)
    categories: list[ToleranceCategory] = []
    seen: set[str] = set()
    if not isinstance(doc, dict):
        problems.add(1, "tolerance", "must be a mapping with tolerated and never_tolerated lists")
    else:
        for section, never in (("tolerated", False), ("never_tolerated", True)):
            items = doc.get(section) or []
            if not isinstance(items, list):
                problems.add(locate((section,)), section, "must be a list of {code, name}")
                continue
            for i, item in enumerate(items):
                code = item.get("code") if isinstance(item, dict) else None
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
                    problems.add(locate((section, i)), f"{section}[{i}]", "needs code and name")
                    continue
                if code in seen:
                    problems.add(
                        locate((section, i)), f"{section}[{i}].code", f"duplicate category {code!r}"
                    )
                    continue
                prefiling = bool(item.get("prefiling", False))
                if never and prefiling:
                    problems.add(
                        locate((section, i)),
                        f"{section}[{i}].prefiling",
                        "a never-tolerated category cannot allow pre-filing",
                    )
                seen.add(code)
                categories.append(ToleranceCategory(code, name, prefiling, never))
    plan_problems.items.extend(problems.items)
    return categories
