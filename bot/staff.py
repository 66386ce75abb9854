"""What the staff commands show in Telegram: short figures and the HTML report as a document."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from handbook.usage import report, stats

from .wiring import Core


def _figures(core: Core, days: int) -> dict:
    until = datetime.now(UTC).date()
    return stats.read_stats(core.config.db, since=until - timedelta(days=days - 1), until=until,
                            entry_ids=list(core.library.current.handbook.entries))


def stats_summary(core: Core) -> str:
    """The last 7 and 30 days in a few lines (plain text; the caller escapes it)."""
    if core.usage is not None:
        core.usage.flush()
    lines = []
    for days in (7, 30):
        try:
            f = _figures(core, days)
        except stats.StatsError as exc:
            return f"cannot read the counts: {exc}"
        t = f["totals"]
        top = ", ".join(f"{e['id']} ({e['shown']})" for e in f["entries"][:3]) or "-"
        share = t.get("share_answered")
        share_text = f"{share * 100:.0f}%" if isinstance(share, (int, float)) else "-"
        lines.append(f"{days} days: {t['questions']} questions, {share_text} answered, {t['no_answer']} without answer, "
                     f"{t['urgent']} urgent, {t.get('alternatives_chosen', 0)} alternatives chosen over the answer, "
                     f"{t.get('users', 0)} user-days. Top: {top}")
    return "\n".join(lines)


def report_document(core: Core) -> tuple[str, io.BytesIO]:
    if core.usage is not None:
        core.usage.flush()
    figures = _figures(core, 30)
    html = report.render(figures, "html")
    name = f"healthbot-report-{date.today().isoformat()}.html"
    return name, io.BytesIO(html.encode("utf-8"))


MESSAGE_MAX = 4096  # characters in one Telegram message
MORE_PROBLEMS = {"vi": "\n… (còn nữa: chạy `healthbot check` trên thư mục nội dung để xem hết)",
                 "en": "\n… (more: run `healthbot check` on the content folder for the whole list)"}


def reload_failed(texts, lang: str, detail: str) -> str:
    """The admin's "content refused" message, cut to fit one Telegram message (with a pointer to
    `healthbot check` for the rest)."""
    html = texts.get("admin.reload_failed", lang, problems=detail)
    keep = len(detail)
    while len(html) > MESSAGE_MAX and keep > 0:
        keep = max(0, keep - (len(html) - MESSAGE_MAX))
        html = texts.get("admin.reload_failed", lang, problems=detail[:keep].rstrip() + MORE_PROBLEMS.get(lang, MORE_PROBLEMS["en"]))
    return html
