"""/api/v1: a versioned REST API for agency systems (docs/api.md), described by the OpenAPI 3.1
document it serves at /api/v1/openapi.json, generated from the code by flask-smorest.

flask-smorest was chosen over APIFlask and SpecTree because it is an extension of a plain Flask app
(our app class, extensions and error pages stay as they are), describes requests and responses with
marshmallow schemas that also validate them, and is actively maintained. Every call goes through the
same services, access policy and audit as the pages: the client acts as a technical account of its
organisation (nrm.models.api), and its scopes narrow what that account may do."""

from flask_smorest import Api


class ProblemApi(Api):
    """Errors as RFC 9457 problem documents rather than flask-smorest's own JSON."""

    def handle_http_exception(self, error):
        from nrm.api.problems import from_exception

        return from_exception(error)


api = ProblemApi(spec_kwargs={"security": [{"bearerAuth": []}]})


def init_app(app) -> None:
    from nrm.api import exchange, views  # noqa: F401 - exchange adds its endpoints to views.bp
    from nrm.extensions import csrf

    api.init_app(app)
    if "bearerAuth" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme("bearerAuth", {
            "type": "http", "scheme": "bearer",
            "description": "nrm_… token of an API client (flask --app nrm api-clients add)"})
    exchange.document_formats(api.spec)
    api.register_blueprint(views.bp)
    csrf.exempt(views.bp)     # no cookie is ever accepted here: a bearer token (or X-Road) or nothing
