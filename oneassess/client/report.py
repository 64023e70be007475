"""The results report: one self-contained HTML page (no network) with charts and the tables
behind them, rendered from a results document (the same dict as results.json).

Tables are rendered here, so the page reads without scripts; the charts are drawn in the
browser by a small inline script from the same data embedded as JSON.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from typing import Any

from oneassess import i18n

TIER_COLOURS = ["#1b7f3b", "#4f9bd9", "#e0a526", "#9a9a9a", "#c0392b"]


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _table(headers: list[str], rows: list[list[Any]], css_class: str = "") -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _chart_data(results: dict[str, Any]) -> dict[str, Any]:
    tiers = [t for t in results.get("tiers", [])]
    by_group: dict[str, list[dict]] = defaultdict(list)
    for row in results.get("scoreboard", []):
        by_group[row["group"]].append(row)
    return {
        "tiers": tiers,
        "ranking": {
            g: sorted(rows, key=lambda r: (r["rank"], r["unit"]))
            for g, rows in sorted(by_group.items())
        },
        "burden": [
            {"unit": u["unit"], "before": u["asks_before"], "after": u["asks_after"]}
            for u in results.get("burden", {}).get("units", [])
        ],
        "submissions": results.get("submissions_timeline", {}),
        "reminders": results.get("reminders", {}).get("by_unit", []),
    }


def render(results: dict[str, Any], locale: str = i18n.DEFAULT_LOCALE) -> str:
    """The page in `locale` (Simplified Chinese unless asked otherwise)."""
    _ = i18n.gettext_for(locale)
    cycle = results.get("cycle", "")
    data = _chart_data(results)
    data["labels"] = {
        "ranking": _("ranking"),
        "burden": _("asks before and after folding"),
        "submissions": _("submissions over time"),
        "deadline": _("deadline"),
        "reminders": _("reminders sent per unit"),
    }
    sections = [
        _ranking_section(results, data, _),
        _burden_section(results, _),
        _submissions_section(results, _),
        _reminders_section(results, _),
    ]
    html_lang = "zh-CN" if i18n.normalise(locale) == "zh_CN" else "en"
    title = _("OneAssess results: %(cycle)s") % {"cycle": _esc(cycle)}
    heading = _("Results of cycle %(cycle)s") % {"cycle": f"<code>{_esc(cycle)}</code>"}
    generated = _("generated %(at)s") % {"at": _esc(results.get("generated_at", ""))}
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
  <h1>{heading}</h1>
  <p class="sub">{_esc(results.get("cycle_name", ""))}
  — {generated}</p>
</header>
{"".join(sections)}
<script id="report-data" type="application/json">{payload}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def _ranking_section(results: dict[str, Any], data: dict[str, Any], _) -> str:
    tiers = [t["name"] for t in results.get("tiers", [])] + [results.get("veto_tier") or "veto"]
    # Tiers take the palette in order; the veto tier (last) always gets its last colour.
    colours = [
        TIER_COLOURS[min(i, len(TIER_COLOURS) - 1) if i < len(tiers) - 1 else -1]
        for i in range(len(tiers))
    ]
    legend = "".join(
        f'<span><b style="color:{colour}">■</b> {_esc(name)}</span>'
        for colour, name in zip(colours, tiers, strict=True)
    )
    parts = [
        '<section id="ranking"><h2>' + _esc(_("Ranking per peer group, with tiers")) + "</h2>",
        f'<p class="legend">{legend}</p>',
    ]
    for group, rows in data["ranking"].items():
        parts.append(f"<h3>{_esc(group)}</h3>")
        parts.append(f'<div class="chart" data-chart="ranking" data-group="{_esc(group)}"></div>')
        parts.append(
            _table(
                [_("rank"), _("unit"), _("composite"), _("tier")],
                [[r["rank"], r["unit"], r["composite"], r["tier"]] for r in rows],
                "ranking",
            )
        )
    parts.append("</section>")
    return "".join(parts)


def _burden_section(results: dict[str, Any], _) -> str:
    burden = results.get("burden", {})
    kinds = burden.get("by_kind", {})
    rows = [
        [kind, v["units"], v["asks_before"], v["asks_after"], f"{_reduction(v):.1f}%"]
        for kind, v in sorted(kinds.items())
    ]
    unit_rows = [
        [u["unit"], u.get("kind", ""), u["asks_before"], u["asks_after"]]
        for u in burden.get("units", [])
    ]
    return (
        '<section id="burden"><h2>'
        + _esc(_("Asks before and after folding"))
        + "</h2>"
        + _table(
            [_("unit kind"), _("units"), _("asks before"), _("asks after"), _("reduction")],
            rows,
            "burden-kinds",
        )
        + '<div class="chart" data-chart="burden"></div>'
        + _table(
            [_("unit"), _("kind"), _("asks before"), _("asks after")], unit_rows, "burden-units"
        )
        + "</section>"
    )


def _reduction(v: dict[str, Any]) -> float:
    return (
        (v["asks_before"] - v["asks_after"]) * 100.0 / v["asks_before"] if v["asks_before"] else 0.0
    )


def _submissions_section(results: dict[str, Any], _) -> str:
    timeline = results.get("submissions_timeline", {})
    points = timeline.get("points", [])
    rows = [[p["at"], p["count"]] for p in points]
    return (
        '<section id="submissions"><h2>'
        + _esc(_("Submissions over time against the deadline"))
        + "</h2><p>"
        + _("Deadline: %(deadline)s; on time %(on_time)s, late %(late)s, missing %(missing)s.")
        % {
            "deadline": f"<b>{_esc(timeline.get('deadline', ''))}</b>",
            "on_time": timeline.get("on_time", 0),
            "late": timeline.get("late", 0),
            "missing": timeline.get("missing", 0),
        }
        + "</p>"
        '<div class="chart" data-chart="submissions"></div>'
        + _table([_("time"), _("asks submitted so far")], rows, "submissions")
        + "</section>"
    )


def _reminders_section(results: dict[str, Any], _) -> str:
    reminders = results.get("reminders", {})
    rows = [
        [r["unit"], r["reminders"], r.get("escalations", 0)] for r in reminders.get("by_unit", [])
    ]
    return (
        '<section id="reminders"><h2>'
        + _esc(_("Reminders sent"))
        + "</h2><p>"
        + _("%(total)s reminder digests to %(units)s units; %(escalations)s escalations.")
        % {
            "total": reminders.get("total", 0),
            "units": len(rows),
            "escalations": reminders.get("escalations", 0),
        }
        + "</p>"
        '<div class="chart" data-chart="reminders"></div>'
        + _table([_("unit"), _("reminder digests"), _("escalations")], rows, "reminders")
        + "</section>"
    )


_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2rem auto;
  max-width:1100px;color:#222}
header h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
section{margin:2.5rem 0} h2{border-bottom:2px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.9rem}
  th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left}
th{background:#f4f4f4} .chart svg{display:block;margin:.5rem 0} .legend span{margin-right:1rem}
"""

# Draws every chart as SVG from #report-data. No network, no libraries.
_SCRIPT = r"""
(function(){
const data = JSON.parse(document.getElementById('report-data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const COLOURS = __COLOURS__;
const L = data.labels || {};
function el(name, attrs, parent){ const e = document.createElementNS(NS, name);
  for (const k in attrs) e.setAttribute(k, attrs[k]); if (parent) parent.appendChild(e); return e; }
function svg(host, w, h, title){ const s = el('svg', {width:w, height:h, viewBox:`0 0 ${w} ${h}`,
  role:'img'});
  s.classList.add('chart-svg'); el('title', {}, s).textContent = title;
  host.appendChild(s); return s; }
function text(s, x, y, t, extra){ const e = el('text', Object.assign({x, y, 'font-size':11},
  extra||{}), s); e.textContent = t; return e; }
const tierColour = {};
(data.tiers||[]).forEach((t, i) => tierColour[t.name] = COLOURS[i % COLOURS.length]);
function colourOf(tier){ return tierColour[tier] || COLOURS[COLOURS.length-1]; }

function ranking(host){
  const rows = data.ranking[host.dataset.group] || [];
  const max = Math.max(1, ...rows.map(r => +r.composite));
  const s = svg(host, 760, 24*rows.length + 30, L.ranking + ' ' + host.dataset.group);
  rows.forEach((r, i) => { const y = 10 + 24*i, w = 480 * (+r.composite) / max;
    text(s, 0, y+14, `${r.rank}. ${r.unit}`);
    const bar = el('rect', {x:190, y, width:Math.max(w,1), height:18, fill:colourOf(r.tier)}, s);
      bar.classList.add('bar');
    text(s, 196 + w, y+14, `${r.composite} ${r.tier}`); });
}
function burden(host){
  const rows = data.burden; const max = Math.max(1, ...rows.map(r => r.before));
  const s = svg(host, 760, 22*rows.length + 30, L.burden);
  rows.forEach((r, i) => { const y = 10 + 22*i;
    text(s, 0, y+13, r.unit);
    el('rect', {x:190, y, width:480*r.before/max, height:9, fill:'#c8c8c8'},
      s).classList.add('bar');
    el('rect', {x:190, y:y+9, width:480*r.after/max, height:9, fill:'#1b7f3b'},
      s).classList.add('bar');
    text(s, 196 + 480*r.before/max, y+13, `${r.before} → ${r.after}`); });
}
function submissions(host){
  const tl = data.submissions || {}; const pts = tl.points || []; if (!pts.length) return;
  const t0 = Date.parse(pts[0].at), t1 = Math.max(Date.parse(pts[pts.length-1].at),
    Date.parse(tl.deadline||pts[0].at), t0+1);
  const max = Math.max(1, tl.total_asks || 0, ...pts.map(p => p.count));
  const s = svg(host, 760, 260, L.submissions);
  const X = t => 40 + 700*(t - t0)/(t1 - t0), Y = c => 230 - 210*c/max;
  el('polyline', {points: pts.map(p => `${X(Date.parse(p.at))},${Y(p.count)}`).join(' '),
    fill:'none', stroke:'#4f9bd9', 'stroke-width':2}, s).classList.add('line');
  if (tl.deadline){ const x = X(Date.parse(tl.deadline));
    el('line', {x1:x, x2:x, y1:10, y2:232, stroke:'#c0392b', 'stroke-dasharray':'4 3'},
      s).classList.add('deadline');
    text(s, x+4, 20, L.deadline, {fill:'#c0392b'}); }
  text(s, 0, 234, '0'); text(s, 0, Y(max)+4, String(max));
}
function reminders(host){
  const rows = data.reminders || []; const max = Math.max(1, ...rows.map(r => r.reminders));
  const s = svg(host, 760, 22*rows.length + 30, L.reminders);
  rows.forEach((r, i) => { const y = 10 + 22*i;
    text(s, 0, y+13, r.unit);
    el('rect', {x:190, y, width:Math.max(480*r.reminders/max, 1), height:16, fill:'#e0a526'},
      s).classList.add('bar');
    text(s, 196 + 480*r.reminders/max, y+13, String(r.reminders)); });
}
const draw = {ranking, burden, submissions, reminders};
document.querySelectorAll('.chart').forEach(host => draw[host.dataset.chart](host));
document.body.dataset.chartsDrawn = document.querySelectorAll('svg.chart-svg').length;
})();
""".replace("__COLOURS__", json.dumps(TIER_COLOURS))
