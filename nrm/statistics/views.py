"""Statistics views. Every table goes through ``services.statistics.table`` (disclosure control)
and is shown and exported from the same grid, so the CSV is exactly what is on screen. Every view
and export is an audit event naming the table asked for — never a count."""

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

CHOICES = ("year", "quarter", "region", "sex", "age_band", "minor", "citizenship", "nationality",
           "exploitation", "exploitation_country", "agency", "result", "service", "referral_outcome",
           "decision", "case_status")


def _label(dimension, value):
    return labels.stat_value_label(dimension, value, str(get_locale()))


def _form():
    form = StatisticsForm(request.args)
    names = [(d, str(labels.STAT_DIMENSION_LABELS[d])) for d in CHOICES]
    form.rows.choices = names
    form.cols.choices = [("", _("— none —"))] + names
    if not request.args:
        form.rows.data = "year"
    return form


def _table_or_none(form):
    if request.args and not form.validate():
        return None
    try:
        return stats.table(form.rows.data or "year", form.cols.data or None,
                           form.year_from.data, form.year_to.data)
    except stats.BadQuery:
        form.rows.errors = [*form.rows.errors, _("This table cannot be shown. Choose other dimensions.")]
        return None


def _object_id(t):
    return f"{t.rows}x{t.cols or '-'}:{t.year_from}-{t.year_to}"


def _bars(t):
    """Bars for the chart: one per row (its count, or its total in a two-dimension table)."""
    p = t.published
    values = [row[0] for row in p.cells] if not t.cols else p.row_totals
    bars = [(_label(t.rows, r), v) for r, v in zip(t.row_values, values, strict=True)]
    top = max([v for _l, v in bars if v] or [1])
    return {"bars": bars, "top": top}


@bp.route("/")
def summary():
    policy.require(current_user, "view_statistics")
    year_from, year_to = stats.period(None, None)
    tables = {
        "identified": stats.table("year", "decision", year_from, year_to),
        "children": stats.table("year", "minor", year_from, year_to),
        "nationality": stats.table("year", "nationality", year_from, year_to),
        "exploitation": stats.table("exploitation", None, year_from, year_to),
        "referrals": stats.table("service", "referral_outcome", year_from, year_to),
    }
    grids = {name: stats.grid(t, _label, _("Total")) for name, t in tables.items()}
    per_year = stats.table("year", None, year_from, year_to)
    trend = [(int(y), row[0]) for y, row in zip(per_year.row_values, per_year.published.cells, strict=True)]
    medians = stats.median_days_by_year(year_from, year_to)
    audit.record("statistics.summary", object_type="statistics", object_id=f"summary:{year_from}-{year_to}")
    db.session.commit()
    return render_template("statistics/summary.html", tables=tables, grids=grids, trend=trend,
                           trend_top=max([v for _y, v in trend if v] or [1]), medians=medians,
                           year_from=year_from, year_to=year_to, k=per_year.published.k,
                           base=per_year.published.base, withheld=stats.WITHHELD)


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
                           withheld=stats.WITHHELD,
                           dimension_labels=labels.STAT_DIMENSION_LABELS,
                           can_export=policy.may(current_user, "export_statistics"))


@bp.route("/table.csv")
def table_csv():
    policy.require(current_user, "export_statistics")
    form = _form()
    t = _table_or_none(form)
    if t is None:
        return Response(_("This table cannot be exported. Choose other dimensions."), status=400,
                        mimetype="text/plain")
    body = stats.to_csv(stats.grid(t, _label, _("Total")))
    audit.record("statistics.export", object_type="statistics", object_id=_object_id(t))
    db.session.commit()
    name = f"nrm-{t.rows}-{t.cols or 'total'}-{t.year_from}-{t.year_to}.csv"
    return Response("\ufeff" + body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
