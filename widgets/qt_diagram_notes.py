"""The Diagrams dialog's sentences: the notes under its plots, and the period's summary.

Alerts never acknowledged are not in the histogram, sources and cells beyond the busiest are
left out, some alerts have no location; a fast median or a tidy map must not hide them, so each
diagram says so in words, in the operator's language, beside the plot (and in its PNG). The
summary names the period in the report's own zone, so "from 18:00" means the hours plotted.
"""

from __future__ import annotations

from app.stats.aggregates import AckDistribution, StatsReport, TopSources
from i18n import format_datetime, format_decimal, gettext, isolate, ngettext


def ack_note(ack: AckDistribution) -> str:
    texts: list[str] = []
    median, p90 = ack.percentile(50), ack.percentile(90)
    never = ack.never_acknowledged
    if median is not None and p90 is not None:
        texts.append(
            gettext("Median {median} min, 90th percentile {p90} min.").format(
                median=format_decimal(median, "0.#"), p90=format_decimal(p90, "0.#")
            )
        )
    if never:
        texts.append(
            ngettext(
                "{count} alert was never acknowledged and is not in the histogram.",
                "{count} alerts were never acknowledged and are not in the histogram.",
                never,
            ).format(count=format_decimal(never))
        )
    if not ack.acknowledged and not never:
        texts.append(gettext("No alerts in this period."))
    return " ".join(texts)


def sources_note(top: TopSources) -> str:
    texts = [gettext("No alerts in this period.")] if not top.sources else []
    if top.others:
        texts.append(
            ngettext(
                "{alerts} alert from {sources} other sources is not shown.",
                "{alerts} alerts from {sources} other sources are not shown.",
                top.others,
            ).format(alerts=format_decimal(top.others), sources=format_decimal(top.other_sources))
        )
    return " ".join(texts)


def heat_note(cell_m: float, elsewhere: int, unlocated: int) -> str:
    texts = [gettext("Cells of about {size} m, busiest first.").format(size=format_decimal(cell_m))]
    if elsewhere:
        texts.append(
            ngettext(
                "{count} alert in quieter cells is not shown.",
                "{count} alerts in quieter cells are not shown.",
                elsewhere,
            ).format(count=format_decimal(elsewhere))
        )
    if unlocated:
        texts.append(
            ngettext(
                "{count} alert has no location.", "{count} alerts have no location.", unlocated
            ).format(count=format_decimal(unlocated))
        )
    return " ".join(texts)


def period_summary(report: StatsReport) -> str:
    since, until = report.since.astimezone(report.zone), report.until.astimezone(report.zone)
    sentence = ngettext(
        "{count} alert sent from {since} to {until} ({zone}).",
        "{count} alerts sent from {since} to {until} ({zone}).",
        report.total,
    )
    return sentence.format(
        count=format_decimal(report.total),
        since=isolate(format_datetime(since, "short", tz=report.zone)),
        until=isolate(format_datetime(until, "short", tz=report.zone)),
        zone=isolate(until.tzname() or ""),
    )
