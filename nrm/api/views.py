"""The endpoints of /api/v1. Each resolves the calling client (nrm.services.api_clients), checks its
scope, then does exactly what the page of the same role does, through the same services and
policy: a record the role could not open on a page is "not found" here too."""

import json
from functools import wraps

from flask import abort, current_app, g, request
from flask_babel import get_locale
from flask_login import current_user
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict

from nrm.api import schemas
from nrm.core import lifecycle
from nrm.core import screening as sc
from nrm.extensions import db, limiter
from nrm.models import Referral
from nrm.security import audit, policy
from nrm.services import referrals as referral_service
from nrm.services import screening as screening_service
from nrm.services import statistics as stats

bp = Blueprint("api", __name__, url_prefix="/api/v1",
               description="The NRM's API for agency systems: referrals, screenings, statistics.")
PAGE = 100


def _client_key():
    client = g.get("api_client")
    return f"api-client:{client.id}" if client is not None else f"api-addr:{request.remote_addr}"


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_client_key)(bp)


@bp.after_request
def _audited(response):
    """Every call is an audit event naming the client (none: no, an unknown or a revoked token)."""
    client = g.get("api_client")
    code = response.status_code
    outcome = "ok" if code < 400 else ("refused" if code < 500 else "failed")
    try:
        audit.record("api.call", object_type="api_client", object_id=client.id if client else None,
                     outcome=outcome)
        db.session.commit()
    except Exception:      # noqa: BLE001 - the trail's own failure is logged; the answer stands
        db.session.rollback()
        current_app.logger.exception("an API call was not audited")
    return response


def scope(name: str):
    """The endpoint needs this scope (and a client: a page's session cookie is never enough)."""
    def wrap(view):
        @wraps(view)
        def checked(*args, **kwargs):
            client = g.get("api_client")
            if client is None:
                abort(401)
            if name not in client.scope_list():
                abort(403)
            return view(*args, **kwargs)
        return checked
    return wrap


_ERRORS = {401: "A valid API token is needed.", 403: "The client's scopes do not allow this.",
           404: "Not found, or not yours.", 409: "Not possible in the record's present state.",
           422: "Some values are not valid.", 429: "Too many requests."}


def problems(*codes):
    """The problem documents (RFC 9457) an endpoint may answer with, for the OpenAPI document."""
    def wrap(view):
        for code in (*codes, 401, 403, 429):
            view = bp.alt_response(code, schema=schemas.ProblemSchema, description=_ERRORS[code],
                                   content_type="application/problem+json")(view)
        return view
    return wrap


@bp.route("/health")
@bp.response(200, schemas.HealthSchema)
@bp.doc(security=[])
def health():
    """Whether the service answers (nothing else: no version, no load)."""
    return {"status": "ok"}


# ------------------------------------------------------------------ a receiving service's system

def _referral_json(referral: Referral) -> dict:
    return {"id": referral.id, "reference": referral_service.reference_of(referral.screening),
            "service": referral.service, "state": referral.state, "urgent": referral.urgent,
            "mandatory": referral.mandatory, "sent_at": referral.sent_at,
            "acknowledge_due": referral.acknowledge_due, "accept_due": referral.accept_due,
            "payload": referral_service.payload(referral)}


def _incoming(referral_id: str, action: str) -> Referral:
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.sent_at is None or not policy.may(current_user, action, referral):
        abort(404)
    return referral


@bp.route("/referrals")
@scope("referrals:read")
@bp.arguments(schemas.PageArgs, location="query")
@bp.response(200, schemas.ReferralPageSchema)
@problems(422)
def referrals(args):
    """The referrals sent to the client's organisation, newest first: each with only its minimised
    payload, as the inbox shows it."""
    number = args["page"]
    query = (db.select(Referral).where(Referral.organisation_id == current_user.organisation_id,
                                       Referral.sent_at.is_not(None))
             .order_by(Referral.sent_at.desc(), Referral.id).limit(PAGE + 1).offset((number - 1) * PAGE))
    rows = db.session.scalars(query).all()
    items = [_referral_json(r) for r in rows[:PAGE]]
    for r in rows[:PAGE]:
        audit.record("referral.view", object_type="referral", object_id=r.id)
    db.session.commit()
    return {"items": items, "page": number, "has_next": len(rows) > PAGE}


@bp.route("/referrals/<string:referral_id>")
@scope("referrals:read")
@bp.response(200, schemas.ReferralSchema)
@problems(404)
def referral(referral_id):
    """One referral sent to the client's organisation."""
    found = _incoming(referral_id, "view_referral")
    audit.record("referral.view", object_type="referral", object_id=found.id)
    db.session.commit()
    return _referral_json(found)


def _answer(referral_id: str, event: str, *args):
    found = _incoming(referral_id, "answer_referral")
    try:
        getattr(referral_service, event)(current_user, found, *args)
    except lifecycle.IllegalTransition as problem:
        db.session.rollback()
        from nrm.api.problems import problem as respond
        from nrm.views_common import refused

        return respond(409, detail=refused(problem), kind=f"transition/{problem.code}")
    db.session.commit()
    return _referral_json(found)


@bp.route("/referrals/<string:referral_id>/acknowledge", methods=["POST"])
@scope("referrals:write")
@bp.response(200, schemas.ReferralSchema)
@problems(404, 409)
def acknowledge(referral_id):
    """Acknowledge receipt (the acknowledgement clock stops)."""
    return _answer(referral_id, "acknowledge")


@bp.route("/referrals/<string:referral_id>/accept", methods=["POST"])
@scope("referrals:write")
@bp.response(200, schemas.ReferralSchema)
@problems(404, 409)
def accept(referral_id):
    """Accept: the service takes the person; a crisis centre's acceptance opens its case."""
    return _answer(referral_id, "accept")


@bp.route("/referrals/<string:referral_id>/decline", methods=["POST"])
@scope("referrals:write")
@bp.arguments(schemas.DeclineSchema)
@bp.response(200, schemas.ReferralSchema)
@problems(404, 409, 422)
def decline(body, referral_id):
    """Decline with a coded reason; the referral goes back to the coordinator to re-route."""
    return _answer(referral_id, "decline", body["reason"], body.get("details"))


# ------------------------------------------------------------------ an agency's system

@bp.route("/screenings", methods=["POST"])
@scope("screenings:write")
@bp.arguments(schemas.ScreeningSubmissionSchema)
@bp.response(201, schemas.ScreeningResultSchema)
@problems(422)
def submit_screening(body):
    """Submit a whole screening of the organisation's script: the answers are checked by the same
    rules as the form, assessed by the same criteria, and the routing rules propose the referrals
    (they are not sent: the officer reviews them on the referrals page)."""
    from forms.screening import step_form
    from nrm.api.problems import problem

    script = screening_service.script_for(current_user)
    if script is None or not policy.may(current_user, "start_screening"):
        abort(403)
    answers, errors = _checked_answers(script, body["answers"], step_form)
    if errors:
        return problem(422, errors=errors)
    screening = screening_service.start(current_user, script, body["interview_language"])
    screening.answers_json = json.dumps(answers, ensure_ascii=False)
    if body.get("identity"):
        screening_service.set_identity(current_user, screening, dict(body["identity"]))
    required = [q.id for s in sc.visible_steps(script, sc.effective_answers(script, answers))
                for q in sc.visible_questions(s, sc.effective_answers(script, answers))
                if q.required and not sc.answered(sc.effective_answers(script, answers).get(q.id))]
    if required:
        db.session.rollback()
        return problem(422, errors=dict.fromkeys(required, "required"))
    screening_service.submit(current_user, screening, True, None, None)
    proposed = referral_service.propose(current_user, screening)
    db.session.commit()
    criteria, _script = screening_service.catalogue_of(screening)
    document = json.loads(screening.assessment_json)
    language = str(get_locale())

    def text(texts):
        return texts.get(language) or texts.get("en", "")

    dimensions = {
        name: {"positive": found.get("positive", False),
               "indicators": [{"code": i, "text": text(criteria.indicators[i].text),
                               "strength": criteria.indicators[i].strength}
                              for i in found.get("indicators", [])]}
        for name, found in document.get("dimensions", {}).items()}
    return {"id": screening.id, "reference": referral_service.reference_of(screening),
            "result": screening.result, "child": bool(document.get("child")), "dimensions": dimensions,
            "elements": document.get("elements", {}),
            "referrals": [{"id": r.id, "service": r.service,
                           "organisation": r.organisation.name_in(language) if r.organisation else None,
                           "mandatory": r.mandatory, "hold": r.hold, "state": r.state}
                          for r in proposed]}, 201


def _checked_answers(script, given: dict, step_form) -> tuple[dict, dict]:
    """Every answer through the form of its step (the same types, options offered, bounds and
    dates as on the page); unknown question ids are faults too."""
    known = {q.id: q for s in script.steps for q in s.questions}
    errors = {qid: "unknown question" for qid in given if qid not in known}
    answers: dict = {}
    for step in script.steps:
        data = MultiDict()
        for question in step.questions:
            value = given.get(question.id)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                data.add(question.id, item if isinstance(item, str) else json.dumps(item))
        if not data:
            continue
        offered = sc.effective_answers(script, {**answers, **given})
        form = step_form(step, "en", "en", formdata=data, offered=offered)
        form.validate()
        for question in step.questions:
            if question.id not in data:
                continue
            field = getattr(form, question.id)
            wrong = [e for e in field.errors if not isinstance(e, dict)]
            if wrong and question.id in given:
                errors[question.id] = " ".join(str(e) for e in wrong)
                continue
            from forms.screening import values_of

            answers[question.id] = values_of(form, step)[question.id]
    return {k: v for k, v in answers.items() if sc.answered(v)}, errors


# ------------------------------------------------------------------ the prosecutors' system

@bp.route("/statistics/table")
@scope("statistics:read")
@bp.arguments(schemas.TableArgs, location="query")
@bp.response(200, schemas.TableSchema)
@problems(422)
def statistics_table(args):
    """A protected statistics table, exactly as the statistics page and the CSV publish it."""
    from nrm.api.problems import problem

    policy.require(current_user, "view_statistics")
    chosen = args.get("year")
    try:
        year = stats.ALL_YEARS if chosen == "all" else (int(chosen) if chosen else None)
        table = stats.table(args["rows"], args.get("cols"), year)
    except (ValueError, stats.BadQuery):
        return problem(422, detail="Choose two different dimensions and one published year, or 'all' "
                                   "for one dimension.")
    period = "trend" if table.year is None else ("all" if table.year == stats.ALL_YEARS else table.year)
    audit.record("statistics.view", object_type="statistics",
                 object_id=f"{table.rows}x{table.cols or '-'}:{period}")
    db.session.commit()
    return table.as_json()


@bp.route("/statistics/summary")
@scope("statistics:read")
@bp.response(200, schemas.SummarySchema)
@problems()
def statistics_summary():
    """The national summary's tables (per year: decisions, children, nationality, exploitation,
    referrals by service)."""
    policy.require(current_user, "view_statistics")
    tables = {name: stats.table("year", cols).as_json() for name, cols in (
        ("identified", "decision"), ("children", "minor"), ("nationality", "nationality"),
        ("exploitation", "exploitation"), ("referrals", "service"))}
    audit.record("statistics.summary", object_type="statistics", object_id="summary")
    db.session.commit()
    return {"tables": tables}
