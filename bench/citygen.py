"""A generated city for benchmarks, in the same files a real city sends (seeded, reproducible).

    from bench.citygen import generate_city
    # 30 special assessments, 600 indicators, 2,000 units
    city = generate_city(Path("/tmp/city"), seed=2026)

writes `special-assessments/*.yaml`, `units.yaml`, `cycle.yaml` and `tolerance.yaml` in the
formats of examples/haizhou-2026 (docs/catalogue-format.md), shaped like DESIGN.md's city:
evidence keys shared across line departments (plans, minutes, ledgers...), some under other
names declared equal in the plan, ~300 distinct keys after the fold and ~150 asks per unit.
Run it to write a city: `python bench/citygen.py OUT_DIR [--seed N]`.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("township", "department")
METHODS = ("ratio", "grade", "checklist", "deduction")
FORMAT_CHOICES = (
    ["pdf", "docx"],
    ["pdf"],
    ["xlsx"],
    ["xlsx", "pdf"],
    ["pdf", "jpg"],
    ["pdf", "mp4"],
)


@dataclass
class City:
    root: Path
    special_assessments: list[Path] = field(default_factory=list)
    units: Path | None = None
    plan: Path | None = None
    tolerance: Path | None = None
    code: str = ""
    unit_codes: list[str] = field(default_factory=list)


def _dump(path: Path, value: object) -> Path:
    path.write_text(
        yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8"
    )
    return path


def _weights(n: int) -> list[int]:
    """n whole weights summing to 100, as even as possible."""
    base, extra = divmod(100, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _indicator(rng: random.Random, code: str, shared: list[str], own: dict[str, list[str]]) -> dict:
    """Half the indicators apply to every kind and need shared documents; the others apply to one
    kind (as ws-05 does in the sample) and may need that kind's own documents too."""
    method = rng.choice(METHODS)
    indicator: dict = {
        "code": code,
        "name": f"指标 {code}",
        "points": rng.choice([1, 2, 2, 3, 3, 4, 5]),
        "method": method,
    }
    if method == "ratio":
        indicator["target"] = rng.choice([0.9, 0.95, 0.98, 1.0])
    elif method == "grade":
        indicator["grades"] = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.3}
    elif method == "checklist":
        indicator["items"] = rng.randint(2, 6)
    else:
        indicator["deduct_per"] = rng.choice([0.5, 1])
    keys = shared
    if rng.random() < 0.5:
        kind = rng.choice(KINDS)
        indicator["applies_to"] = [kind]
        keys = shared + own[kind] * 3  # weighted towards the kind's own documents
    indicator["evidence"] = sorted(
        set(rng.choices(keys, k=rng.choice([1, 1, 2, 2, 3]))), key=keys.index
    )
    return indicator


def generate_city(
    root: Path,
    *,
    seed: int = 2026,
    special_assessments: int = 30,
    indicators: int = 600,
    units: int = 2000,
    common_keys: int = 60,
    own_keys: int = 8,  # per special assessment, half for each unit kind
    aliases_per_file: int = 2,
    code: str = "bench-city",
) -> City:
    """Write a city under `root` and describe it. Same seed and sizes, same bytes."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    sa_dir = root / "special-assessments"
    sa_dir.mkdir(exist_ok=True)
    city = City(root, code=code)

    common = [f"common-{i:03d}" for i in range(common_keys)]
    common_names = {k: f"通用材料 {k[-3:]}" for k in common}
    equivalences: dict[str, list[str]] = {}
    per_file = [
        indicators // special_assessments + (1 if i < indicators % special_assessments else 0)
        for i in range(special_assessments)
    ]
    codes = [f"sa-{i:02d}" for i in range(special_assessments)]
    for s, sa_code in enumerate(codes):
        shared = rng.sample(common, k=min(len(common), 14))
        # A few shared documents go by this department's own name; the plan declares them equal.
        aliased = {
            key: f"{sa_code}-{key}"
            for key in rng.sample(shared, k=min(aliases_per_file, len(shared)))
        }
        for key, alias in aliased.items():
            equivalences.setdefault(key, [key]).append(alias)
        own = {kind: [f"{sa_code}-{kind}-{i:02d}" for i in range(own_keys // 2)] for kind in KINDS}
        shared = [aliased.get(k, k) for k in shared]
        keys = shared + [key for kind in KINDS for key in own[kind]]
        evidence = [
            {
                "key": key,
                "name": common_names.get(
                    key.removeprefix(f"{sa_code}-"), f"{sa_code} 专项材料 {key[-2:]}"
                ),
                "formats": rng.choice(FORMAT_CHOICES),
            }
            for key in keys
        ]
        prefix = sa_code.replace("sa-", "i")
        items = [_indicator(rng, f"{prefix}-{i:02d}", shared, own) for i in range(per_file[s])]
        document = {
            "code": sa_code,
            "name": f"第{s + 1}项专项考核",
            "name_en": f"Special assessment {s + 1}",
            "owner": f"dept-{s:02d}",
            "applies_to": list(KINDS),
            "evidence": evidence,
            "indicators": items,
        }
        city.special_assessments.append(_dump(sa_dir / f"{sa_code}.yaml", document))

    unit_list = []
    for u in range(units):
        kind = KINDS[u % len(KINDS)]
        group = f"{kind}-group-{(u // len(KINDS)) % 8}"
        unit_list.append(
            {"code": f"unit-{u:04d}", "name": f"单位 {u:04d}", "kind": kind, "group": group}
        )
    city.unit_codes = [u["code"] for u in unit_list]
    city.units = _dump(root / "units.yaml", {"units": unit_list})

    city.tolerance = _dump(
        root / "tolerance.yaml",
        {
            "tolerated": [{"code": f"T{i:02d}", "name": f"容错情形 {i}"} for i in range(1, 8)],
            "never_tolerated": [
                {"code": f"N{i:02d}", "name": f"不予容错情形 {i}"} for i in range(1, 7)
            ],
        },
    )
    city.plan = _dump(
        root / "cycle.yaml",
        {
            "code": code,
            "name": f"{code} 年度综合考核",
            "timezone": "Asia/Shanghai",
            "special_assessments": dict(zip(codes, _weights(special_assessments), strict=True)),
            "calendar": {
                "opens": "2026-11-01T09:00:00+08:00",
                "evidence_due": "2026-12-31T18:00:00+08:00",
                "review_due": "2027-01-20T18:00:00+08:00",
                "publish": "2027-01-25T09:00:00+08:00",
                "appeal_days": 7,
            },
            "reminders": {"before": ["14d", "3d", "1d"], "overdue_every": "2d", "overdue_max": 3},
            "late_penalty": 0.1,
            "tolerance": "tolerance.yaml",
            "equivalences": [group for _, group in sorted(equivalences.items())],
            "tiers": [
                {"name": "优秀", "top_share": 0.3},
                {"name": "良好", "top_share": 0.8},
                {"name": "一般", "top_share": 1.0},
            ],
            "veto_tier": "较差",
        },
    )
    return city


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--units", type=int, default=2000)
    args = parser.parse_args()
    city = generate_city(args.out, seed=args.seed, units=args.units)
    print(
        f"wrote {len(city.special_assessments)} special assessments, "
        f"{len(city.unit_codes)} units, plan {city.plan}"
    )


if __name__ == "__main__":
    main()
