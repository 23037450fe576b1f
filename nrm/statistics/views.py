"""Statistics views. Every table comes from ``services.statistics.table`` (disclosure control over
the whole family of published tables) and is shown and exported from the same grid, so the CSV is
exactly what is on screen. Every view and export is an audit event naming the table asked for —
never a count."""

from flask import Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forms.statistics import StatisticsForm
from nrm import labels
from nrm.extensions import db
from nrm.security import audit, policy
from nrm.services import statistics as stats
from nrm.statistics import bp

CHOICES = ("year", "region", "sex", "age_band", "minor", "citizenship", "nationality", "exploitation",
           "exploitation_country", "agency", "result", "decision", "case_status", "service",
           "referral_outcome")


def _label(dimension, value):
    return labels.stat_value_label(dimension, value, str(get_locale()))


def _form():
    form = StatisticsForm(request.args)
    names = [(d, str(labels.STAT_DIMENSION_LABELS[d])) for d in CHOICES]
    form.rows.choices = names
    form.cols.choices = [("", _("— none —"))] + names
    years = stats.published_years("persons")
    form.year.choices = [("", _("The latest year"))] + [(str(y), str(y)) for y in reversed(years)] + [
        ("all", _("All years (one dimension only)"))]
    if not request.args:
        form.rows.data = "year"
    return form


def _table_or_none(form):
    if request.args and not form.validate():
        return None
    chosen = form.year.data or None
    try:
        year = stats.ALL_YEARS if chosen == "all" else (int(chosen) if chosen else None)
        return stats.table(form.rows.data or "year", form.cols.data or None,
                           None if "year" in (form.rows.data, form.cols.data) else year)
    except (ValueError, stats.BadQuery):
        if "year" not in (form.rows.data, form.cols.data) and not stats.published_years("persons"):
            form.rows.errors = [*form.rows.errors, _("No year can be published yet: a year's figures are "
                                                     "published once the year is over.")]
        else:
            form.rows.errors = [*form.rows.errors, _("This table cannot be shown. Choose two different "
                                                     "dimensions and one year (all years only for one "
                                                     "dimension).")]
        return None


def _object_id(t):
    period = "trend" if t.year is None else ("all" if t.year == stats.ALL_YEARS else t.year)
    return f"{t.rows}x{t.cols or '-'}:{period}"


def period_text(t) -> str:
    if t.year is None:
        return _("%(first)s–%(last)s, by year", first=t.row_keys[0], last=t.row_keys[-1]) if t.row_keys \
            else _("No year can be published yet")
    if t.year == stats.ALL_YEARS:
        return _("All published years")
    return str(t.year)


def unit_text(t) -> str:
    return _("Referrals sent") if t.unit == "referrals" else _("People screened with indicators of "
                                                               "trafficking (presumed or possible victims)")


def _bars(t):
    """Bars for the chart: one group per row, one bar per column value (the table's own cells)."""
    series = [_label(t.cols, c) for c in t.col_keys] if t.cols else [""]
    groups = [(_label(t.rows, r), row) for r, row in zip(t.row_keys, t.cells, strict=True)]
    top = max([v for _l, row in groups for v in row if v] or [1])
    return {"series": series, "groups": groups, "top": top}


def title(t) -> str:
    rows = labels.STAT_DIMENSION_LABELS[t.rows]
    return f"{rows} × {labels.STAT_DIMENSION_LABELS[t.cols]}" if t.cols else str(rows)


def preamble(t) -> list[str]:
    """The lines a CSV starts with: what it is, for when, what it counts, how it was protected."""
    return [
        _("National Referral Mechanism of the Kyrgyz Republic — anonymised statistics"),
        _("Table: %(title)s", title=title(t)),
        _("Period: %(period)s", period=period_text(t)),
        _("Unit: %(unit)s", unit=unit_text(t)),
        _("Counts are rounded to the nearest %(base)d. %(x)s = withheld: fewer than %(k)d, or a count "
          "that would let a withheld one be worked out.", base=t.base, x=stats.WITHHELD, k=t.k),
    ]


@bp.route("/")
def summary():
    policy.require(current_user, "view_statistics")
    tables = {
        "identified": stats.table("year", "decision"),
        "children": stats.table("year", "minor"),
        "nationality": stats.table("year", "nationality"),
        "exploitation": stats.table("year", "exploitation"),
        "referrals": stats.table("year", "service"),
    }
    grids = {name: stats.grid(t, _label, _("Total")) for name, t in tables.items()}
    per_year = stats.table("year")
    trend = [(int(y), row[0]) for y, row in zip(per_year.row_keys, per_year.cells, strict=True)]
    audit.record("statistics.summary", object_type="statistics", object_id="summary")
    db.session.commit()
    return render_template("statistics/summary.html", tables=tables, grids=grids, trend=trend,
                           trend_top=max([v for _y, v in trend if v] or [1]),
                           medians=stats.median_days_by_year(), k=per_year.k, base=per_year.base,
                           withheld=stats.WITHHELD, period=period_text(per_year))


@bp.route("/table")
def table():
    policy.require(current_user, "view_statistics")
    form = _form()
    t = _table_or_none(form)
    grid = chart = None
    if t is not None:
        grid = stats.grid(t, _label, _("Total"))
        chart = _bars(t)
        audit.record("statistics.view", object_type="statistics", object_id=_object_id(t))
        db.session.commit()
    return render_template("statistics/table.html", form=form, table=t, grid=grid, chart=chart,
                           withheld=stats.WITHHELD, title=title(t) if t else "",
                           period=period_text(t) if t else "", unit=unit_text(t) if t else "",
                           can_export=policy.may(current_user, "export_statistics"))


@bp.route("/table.csv")
def table_csv():
    policy.require(current_user, "export_statistics")
    form = _form()
    t = _table_or_none(form)
    if t is None:
        return Response(_("This table cannot be exported. Choose two different dimensions and one year."),
                        status=400, mimetype="text/plain")
    body = stats.to_csv(stats.grid(t, _label, _("Total")), preamble(t))
    audit.record("statistics.export", object_type="statistics", object_id=_object_id(t))
    db.session.commit()
    period = "trend" if t.year is None else ("all" if t.year == stats.ALL_YEARS else t.year)
    name = f"nrm-{t.rows}-{t.cols or 'total'}-{period}.csv"
    return Response("\ufeff" + body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
