"""CISO Assistant library YAML -> the catalogue's raw form (pure, no I/O).

A city can author (or reuse) a special assessment as a CISO Assistant library
(intuitem/ciso-assistant-community, backend/library/libraries/*.yaml). The mapping, documented
in docs/catalogue-format.md:

- library `provider` -> owner (the line department); `objects.framework.ref_id` (lowercased)
  -> code; framework `name` -> name; `translations.en.name` -> name_en;
- framework `implementation_groups_definition` ref_ids -> the unit kinds it applies to (every
  known kind when absent); a node's `implementation_groups` -> its indicator's applies_to;
- every assessable requirement node -> one indicator (code: its ref_id, lowercased; points:
  its `weight`, default 1) needing one evidence requirement whose key is the node's URN after
  `req_node:` (':' -> '.'), named by its `typical_evidence` (else its name), any format;
- scoring: with `scores_definition` (or min_score/max_score) the indicator is graded, each
  score s a grade "s" worth (s - min) / (max - min) of the points; without, a one-item
  checklist (compliant or not);
- `requirement_mapping_set(s)` entries with relationship `equal` -> evidence equivalences
  between the two nodes' keys; other relationships do not make two documents one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from services.indicators.catalog import CODE, Locate, Path_, table_locator, yaml_locator
from services.indicators.sources import Problems

RELATIONSHIPS = ("equal", "subset", "superset", "intersect", "not_related")
MAX_GRADES = 20


def is_ciso_library(document: Any) -> bool:
    objects = document.get("objects") if isinstance(document, dict) else None
    return isinstance(objects, dict) and "framework" in objects


def evidence_key(urn: str) -> str:
    """The evidence key of a requirement node: its URN after `req_node:`, ':' -> '.'."""
    tail = urn.strip().lower()
    if ":req_node:" in tail:
        tail = tail.split(":req_node:", 1)[1]
    elif tail.startswith("urn:"):
        tail = tail[4:]
    return re.sub(r"\s+", "-", tail).replace(":", ".")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _grades(framework: dict, problems: Problems, locate: Locate) -> list[tuple[str, float]] | None:
    """Score levels as grade shares, or None when the framework is not scored."""
    raw_scores = framework.get("scores_definition")
    min_score, max_score = framework.get("min_score"), framework.get("max_score")
    scores: list[float] = []
    if isinstance(raw_scores, list) and raw_scores:
        for i, item in enumerate(raw_scores):
            score = item.get("score") if isinstance(item, dict) else None
            if not isinstance(score, int | float) or isinstance(score, bool):
                problems.add(
                    locate(("scores_definition", i)),
                    f"framework.scores_definition[{i}].score",
                    "must be a number",
                )
                continue
            scores.append(score)
    elif raw_scores is not None:
        problems.add(
            locate(("scores_definition",)),
            "framework.scores_definition",
            "must be a list of {score, name}",
        )
        return None
    elif isinstance(min_score, int) and isinstance(max_score, int) and max_score > min_score:
        if max_score - min_score > MAX_GRADES:
            problems.add(
                locate(("max_score",)),
                "framework.max_score",
                f"a score range wider than {MAX_GRADES} needs scores_definition listing the "
                "scores that count",
            )
            return None
        scores = list(range(min_score, max_score + 1))
    else:
        return None
    if not scores:
        return None
    low = (
        min_score
        if isinstance(min_score, int | float) and not isinstance(min_score, bool)
        else min(scores)
    )
    high = (
        max_score
        if isinstance(max_score, int | float) and not isinstance(max_score, bool)
        else max(scores)
    )
    if high <= low:
        problems.add(
            locate(("max_score",)), "framework.max_score", "must be greater than min_score"
        )
        return None
    return [(f"{s:g}", round((s - low) / (high - low), 6)) for s in sorted(set(scores))]


def read_ciso_library(
    document: dict, file_name: str, kinds: Sequence[str]
) -> tuple[dict[str, Any], Locate, Problems]:
    """The library as the raw dict the validator takes, its locator, and mapping problems."""
    problems = Problems(file_name)
    doc_locate = yaml_locator(document)
    framework = document["objects"]["framework"]
    fw_path: Path_ = ("objects", "framework")
    table: dict[Path_, Any] = {}

    def at(raw_path: Path_, doc_path: Path_) -> None:
        table[raw_path] = doc_locate(doc_path)

    def fw_locate(path: Path_) -> Any:
        return doc_locate((*fw_path, *path))

    if not isinstance(framework, dict):
        problems.add(
            fw_locate(()),
            "objects.framework",
            "must be a mapping with ref_id, name and requirement_nodes",
        )
        return {}, table_locator(table, doc_locate(fw_path)), problems

    raw: dict[str, Any] = {
        "code": _text(framework.get("ref_id")).lower() or None,
        "name": _text(framework.get("name")) or _text(document.get("name")) or None,
        "owner": _text(document.get("provider")) or _text(framework.get("provider")) or None,
        "name_en": _text(((framework.get("translations") or {}).get("en") or {}).get("name")),
    }
    at(("code",), (*fw_path, "ref_id"))
    at(("name",), (*fw_path, "name"))
    at(("owner",), ("provider",))

    groups = framework.get("implementation_groups_definition")
    if isinstance(groups, list) and groups:
        raw["applies_to"] = [_text(g.get("ref_id")).lower() for g in groups if isinstance(g, dict)]
        at(("applies_to",), (*fw_path, "implementation_groups_definition"))
    else:
        raw["applies_to"] = sorted(kinds)
        at(("applies_to",), fw_path)

    grades = _grades(framework, problems, fw_locate)
    nodes = framework.get("requirement_nodes")
    if not isinstance(nodes, list) or not nodes:
        problems.add(
            fw_locate(("requirement_nodes",)),
            "framework.requirement_nodes",
            "must be a non-empty list",
        )
        nodes = []
    evidence: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    declared: set[str] = set()
    for n, node in enumerate(nodes):
        node_path = (*fw_path, "requirement_nodes", n)
        if not isinstance(node, dict) or node.get("assessable") is not True:
            continue  # sections only group requirements
        urn = _text(node.get("urn"))
        key = evidence_key(urn) if urn else ""
        if not CODE.match(key):
            problems.add(
                doc_locate((*node_path, "urn")),
                f"requirement_nodes[{n}].urn",
                f"{urn!r} does not give a valid evidence key (got {key!r}: lowercase letters, "
                "digits, "
                "'-', '_', '.', at most 63 characters)",
            )
            continue
        name = (
            _text(node.get("name"))
            or _text(node.get("description")).split("\n")[0][:200]
            or _text(node.get("ref_id"))
        )
        ref = (
            _text(str(node.get("ref_id") or "")).lower().replace(" ", "-") or key.rsplit(".", 1)[-1]
        )
        i, e = len(indicators), len(evidence)
        evidence.append({"key": key, "name": _evidence_name(node) or name, "formats": []})
        declared.add(key)
        at(("evidence", e), (*node_path,))
        at(("evidence", e, "key"), (*node_path, "urn"))
        at(
            ("evidence", e, "name"),
            (*node_path, "typical_evidence")
            if node.get("typical_evidence")
            else (*node_path, "name"),
        )
        weight = node.get("weight", 1)
        indicator: dict[str, Any] = {"code": ref, "name": name, "points": weight, "evidence": [key]}
        if grades:
            indicator.update(method="grade", grades=dict(grades))
        else:
            indicator.update(method="checklist", items=1)
        node_groups = node.get("implementation_groups")
        if node_groups:
            indicator["applies_to"] = (
                [str(g).lower() for g in node_groups]
                if isinstance(node_groups, list)
                else node_groups
            )
        indicators.append(indicator)
        at(("indicators", i), node_path)
        at(("indicators", i, "code"), (*node_path, "ref_id"))
        at(("indicators", i, "name"), (*node_path, "name"))
        at(("indicators", i, "points"), (*node_path, "weight"))
        at(("indicators", i, "applies_to"), (*node_path, "implementation_groups"))
        at(("indicators", i, "evidence"), (*node_path, "urn"))
    raw["evidence"] = evidence
    raw["indicators"] = indicators
    at(("evidence",), (*fw_path, "requirement_nodes"))
    at(("indicators",), (*fw_path, "requirement_nodes"))
    raw["equivalences"] = _equivalences(document, declared, doc_locate, problems)
    return raw, table_locator(table, doc_locate(fw_path)), problems


def _evidence_name(node: dict) -> str:
    lines = [line.strip(" -•*\t") for line in _text(node.get("typical_evidence")).splitlines()]
    return "；".join(line for line in lines if line)[:500]


def _equivalences(
    document: dict, declared: set[str], locate: Locate, problems: Problems
) -> list[list[str]]:
    objects = document["objects"]
    sets: list[tuple[Path_, Any]] = []
    if "requirement_mapping_set" in objects:
        sets.append((("objects", "requirement_mapping_set"), objects["requirement_mapping_set"]))
    for i, mapping_set in enumerate(objects.get("requirement_mapping_sets") or []):
        sets.append((("objects", "requirement_mapping_sets", i), mapping_set))
    pairs: list[list[str]] = []
    for set_path, mapping_set in sets:
        mappings = (
            mapping_set.get("requirement_mappings") if isinstance(mapping_set, dict) else None
        )
        if not isinstance(mappings, list):
            problems.add(
                locate(set_path), "requirement_mapping_set.requirement_mappings", "must be a list"
            )
            continue
        for m, mapping in enumerate(mappings):
            path = (*set_path, "requirement_mappings", m)
            field = f"requirement_mappings[{m}]"
            if not isinstance(mapping, dict):
                problems.add(locate(path), field, "must be a mapping")
                continue
            relationship = mapping.get("relationship")
            if relationship not in RELATIONSHIPS:
                problems.add(
                    locate((*path, "relationship")),
                    f"{field}.relationship",
                    f"unknown relationship {relationship!r} (known: {', '.join(RELATIONSHIPS)})",
                )
                continue
            source, target = (
                _text(mapping.get("source_requirement_urn")),
                _text(mapping.get("target_requirement_urn")),
            )
            if not source or not target:
                problems.add(
                    locate(path), field, "needs source_requirement_urn and target_requirement_urn"
                )
                continue
            if relationship != "equal":
                continue
            pair = [evidence_key(source), evidence_key(target)]
            if not set(pair) & declared:
                problems.add(
                    locate(path),
                    field,
                    "maps two requirements of other libraries; an equal mapping must name a "
                    "requirement of this framework",
                )
                continue
            if not all(CODE.match(k) for k in pair):
                problems.add(locate(path), field, f"URNs do not give valid evidence keys: {pair}")
                continue
            pairs.append(pair)
    return pairs
