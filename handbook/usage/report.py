"""The staff's report: the dict of `handbook.usage.stats.read_stats` as table, csv, json or html.

`html` is ONE self-contained file that opens offline: inline CSS, inline SVG charts drawn here, no
scripts and no external URLs (a Content-Security-Policy forbids loading anything). Every string from
the database is escaped.
"""

from __future__ import annotations

import csv
import io
import json
from html import escape
from typing import Any

FORMATS = ("table", "csv", "json", "html")
_TOTAL_LABELS = {"questions": "Questions", "answered": "Answered directly",
                 "choices": "Offered choices", "no_answer": "No answer", "urgent": "Urgent",
                 "alternatives_chosen": "Alternative chosen instead of the answer", "smalltalk": "Small talk",
                 "emergency": "Emergency block asked", "users": "Users (sum of daily users)",
                 "messages": "Messages", "starts": "/start", "menu_opens": "Menu opens",
                 "helpful": "Rated helpful", "not_helpful": "Rated not helpful"}
_DAY_COLUMNS = ("messages", "questions", "answered", "choices", "no_answer", "urgent", "users")
_COLOURS = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#64748b")


def render(stats: dict[str, Any], fmt: str) -> str:
    renderers = {"table": render_table, "csv": render_csv, "json": render_json,
                 "html": render_html}
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](stats)


def _period(stats: dict[str, Any]) -> str:
    period, days = stats.get("period", {}), stats.get("days") or [{"day": "?"}]
    return f"{period.get('since') or days[0]['day']} to {period.get('until') or days[-1]['day']}"


def _share(stats: dict[str, Any]) -> str:
    share = stats["totals"].get("share_answered")
    return "n/a" if share is None else f"{share:.1%}"


def _via(entry: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in entry.get("via", {}).items())


def _text_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [headers, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(str(r[i]).replace(".", "").isdigit() for r in rows) for i in range(len(headers))]
    return ["  " + "  ".join(c.rjust(w) if num else c.ljust(w)
                             for c, w, num in zip(row, widths, numeric, strict=True)).rstrip()
            for row in cells]


def render_table(stats: dict[str, Any]) -> str:
    totals = stats["totals"]
    out = [f"healthbot usage, {_period(stats)}", "", "Totals"]
    out += _text_table(["figure", "value"], [[label, totals.get(key, 0)]
                                             for key, label in _TOTAL_LABELS.items()])
    out.append(f"  share answered directly: {_share(stats)}")
    sections = [
        ("Entries (most shown first)", ["entry", "shown", "helpful", "not helpful", "reached via"],
         [[e["id"], e["shown"], e["helpful"], e["not_helpful"], _via(e)]
          for e in stats["entries"]]),
        ("Days", ["day", *_DAY_COLUMNS], [[d["day"], *(d[c] for c in _DAY_COLUMNS)]
                                          for d in stats["days"]]),
        *((title, [name, count], list(map(list, stats[key].items())))
          for title, key, name, count in (
              ("Reply languages", "languages", "language", "questions"),
              ("Countries", "countries", "country", "questions"),
              ("Deep links", "deep_links", "/start payload", "starts"),
              ("Chapter menus", "chapters", "chapter", "opened"))),
    ]
    if "misses" in stats:
        sections.append(("Questions without an answer (opt-in)",
                         ["question", "count", "first day", "last day"],
                         [[m["text"], m["count"], m["first_day"], m["last_day"]]
                          for m in stats["misses"]]))
    for title, headers, rows in sections:
        out += ["", title, *(_text_table(headers, rows) if rows else ["  (none)"])]
    out += ["", f"Entries never reached ({len(stats['never_reached'])})",
            "  " + (", ".join(stats["never_reached"]) or "(none)")]
    return "\n".join(out) + "\n"


def render_csv(stats: dict[str, Any]) -> str:
    """One long table: section, name, metric, value (pivot it in a spreadsheet)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "name", "metric", "value"])
    for key, value in stats["totals"].items():
        writer.writerow(["totals", "", key, "" if value is None else value])
    for entry in stats["entries"]:
        for metric in ("shown", "helpful", "not_helpful"):
            writer.writerow(["entry", entry["id"], metric, entry[metric]])
        for via, count in entry.get("via", {}).items():
            writer.writerow(["entry", entry["id"], f"via_{via}", count])
    for entry_id in stats["never_reached"]:
        writer.writerow(["never_reached", entry_id, "shown", 0])
    for day in stats["days"]:
        for metric in _DAY_COLUMNS:
            writer.writerow(["day", day["day"], metric, day[metric]])
    for section, metric in (("languages", "questions"), ("countries", "questions"),
                            ("deep_links", "starts"), ("chapters", "menu_opens")):
        for name, count in stats[section].items():
            writer.writerow([section, name, metric, count])
    for miss in stats.get("misses", []):
        writer.writerow(["misses", miss["text"], "count", miss["count"]])
    return buffer.getvalue()


def render_json(stats: dict[str, Any]) -> str:
    return json.dumps(stats, ensure_ascii=False, indent=2) + "\n"


# -- html -----------------------------------------------------------------------------------------

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:24px;
color:#1e293b;background:#f8fafc}h1{margin:0 0 4px;font-size:24px}h2{font-size:18px;margin:28px 0 8px}
.period{color:#475569;margin:0 0 16px}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}.card span{color:#475569;font-size:13px}
.panel{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:12px;margin:8px 0}
.row{display:flex;flex-wrap:wrap;gap:16px}.row>.panel{flex:1 1 380px}
svg{display:block;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#334155}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #e2e8f0;padding:4px 8px;text-align:left}td.n{text-align:right}
th{background:#f1f5f9}.legend span{display:inline-block;margin-right:14px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _day_chart(days: list[dict[str, Any]]) -> str:
    if not days:
        return "<p>No days with data in this period.</p>"
    width, height, left, bottom, top = 960, 260, 44, 40, 14
    plot_w, plot_h = width - left - 12, height - bottom - top
    peak = max(1, *(max(d["questions"], d["users"]) for d in days))
    step = plot_w / len(days)
    def y(v: float) -> float:
        return top + plot_h - v / peak * plot_h
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Questions and users per day">']
    for frac in (0, 0.5, 1):
        value = round(peak * frac)
        parts.append(f'<line x1="{left}" x2="{width - 12}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="#e2e8f0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" '
                     f'text-anchor="end">{value}</text>')
    for i, day in enumerate(days):
        bar_h = day["questions"] / peak * plot_h
        parts.append(f'<rect x="{left + i * step + step * 0.15:.1f}" y="{y(day["questions"]):.1f}" '
                     f'width="{max(step * 0.7, 1):.1f}" height="{bar_h:.1f}" fill="{_COLOURS[0]}">'
                     f'<title>{_e(day["day"])}: {day["questions"]} questions</title></rect>')
    points = " ".join(f"{left + (i + 0.5) * step:.1f},{y(d['users']):.1f}"
                      for i, d in enumerate(days))
    parts.append(f'<polyline points="{points}" fill="none" stroke="{_COLOURS[1]}" '
                 'stroke-width="2.5"/>')
    every = -(-len(days) // 10)  # at most 10 day labels, so they never overlap
    for i in range(0, len(days), every):
        parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{height - bottom + 18}" '
                     f'text-anchor="middle">{_e(days[i]["day"])}</text>')
    parts.append("</svg>")
    legend = (f'<p class="legend"><span><i class="swatch" style="background:{_COLOURS[0]}"></i>'
              f'questions</span><span><i class="swatch" style="background:{_COLOURS[1]}"></i>'
              "distinct users</span></p>")
    return "".join(parts) + legend


def _entry_chart(entries: list[dict[str, Any]], limit: int = 15) -> str:
    top = [e for e in entries if e["shown"]][:limit]
    if not top:
        return "<p>No entry was shown in this period.</p>"
    width, row_h, label_w = 960, 26, 230
    peak = max(e["shown"] for e in top)
    bar_w = width - label_w - 250
    parts = [f'<svg viewBox="0 0 {width} {row_h * len(top) + 8}" role="img" '
             'aria-label="Top entries">']
    for i, entry in enumerate(top):
        y = 4 + i * row_h
        length = max(2, entry["shown"] / peak * bar_w)
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{_e(entry["id"])}'
                     f'</text><rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="18" '
                     f'rx="3" fill="{_COLOURS[2]}"/><text x="{label_w + length + 8:.1f}" '
                     f'y="{y + 16}">{entry["shown"]} shown · 👍 {entry["helpful"]} helpful · '
                     f'👎 {entry["not_helpful"]} not</text>')
    return "".join(parts) + "</svg>"


def _split_chart(counts: dict[str, int], title: str) -> str:
    total = sum(counts.values())
    if not total:
        return f"<h3>{_e(title)}</h3><p>No data.</p>"
    parts, legend, x = ['<svg viewBox="0 0 400 34" role="img" '
                        f'aria-label="{_e(title)}">'], [], 0.0
    for i, (name, count) in enumerate(counts.items()):
        colour, width = _COLOURS[i % len(_COLOURS)], count / total * 400
        parts.append(f'<rect x="{x:.1f}" y="4" width="{width:.1f}" height="26" fill="{colour}">'
                     f'<title>{_e(name)}: {count}</title></rect>')
        legend.append(f'<span><i class="swatch" style="background:{colour}"></i>{_e(name)} '
                      f'{count} ({count / total:.0%})</span>')
        x += width
    return (f"<h3>{_e(title)}</h3>" + "".join(parts) + "</svg>"
            f'<p class="legend">{"".join(legend)}</p>')


def _html_table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{c}</td>' if isinstance(c, int) else f"<td>{_e(c)}</td>" for c in row)
        + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(stats: dict[str, Any]) -> str:
    totals = stats["totals"]
    cards = "".join(f'<div class="card"><b>{_e(totals.get(key, 0))}</b><span>{_e(label)}</span>'
                    "</div>" for key, label in _TOTAL_LABELS.items())
    cards += f'<div class="card"><b>{_e(_share(stats))}</b><span>share answered</span></div>'
    sections = [
        ("Entries", ["entry", "shown", "👍 helpful", "👎 not helpful", "reached via"],
         [[e["id"], e["shown"], e["helpful"], e["not_helpful"], _via(e)]
          for e in stats["entries"]]),
        ("Days", ["day", *_DAY_COLUMNS], [[d["day"], *(d[c] for c in _DAY_COLUMNS)]
                                          for d in stats["days"]]),
        ("Deep links (/start payloads)", ["payload", "starts"],
         list(map(list, stats["deep_links"].items()))),
        ("Chapter menus opened", ["chapter", "opens"], list(map(list, stats["chapters"].items()))),
        ("Entries never reached", ["entry"], [[i] for i in stats["never_reached"]]),
    ]
    if "misses" in stats:
        sections.append(("Questions without an answer (opt-in, normalised)",
                         ["question", "count", "first day", "last day"],
                         [[m["text"], m["count"], m["first_day"], m["last_day"]]
                          for m in stats["misses"]]))
    tables = "".join(f"<h2>{_e(title)}</h2>{_html_table(headers, rows)}"
                     for title, headers, rows in sections)
    title = f"healthbot usage, {_period(stats)}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>healthbot usage</h1><p class="period">{_e(_period(stats))}</p>'
        f'<div class="cards">{cards}</div>'
        f'<h2>Questions and users per day</h2><div class="panel">{_day_chart(stats["days"])}</div>'
        f'<h2>Top entries</h2><div class="panel">{_entry_chart(stats["entries"])}</div>'
        f'<div class="row"><div class="panel">{_split_chart(stats["languages"], "Reply languages")}'
        f'</div><div class="panel">{_split_chart(stats["countries"], "Countries")}</div></div>'
        f"{tables}</body></html>\n"
    )
