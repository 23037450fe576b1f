"""Load and validate the routing rules (``routing.yaml``) and the service directory
(``directory.yaml``); every problem names the file, the line and the field, as for the criteria."""

import re
from pathlib import Path

from nrm.core import routing as rt
from nrm.core.reference import ORGANISATION_KINDS, REGIONS
from sops.loader import LANGUAGES, CatalogueInvalid, Node, _Checker, _line, _Reader

ROUTING_FILE = "routing.yaml"
DIRECTORY_FILE = "directory.yaml"
CLOCKS = (
    "acknowledgement_hours",
    "acknowledgement_urgent_hours",
    "acceptance_hours",
    "consular_notification_hours",
    "asylum_application_working_days",
)
PAYLOAD_FIELDS = (
    "reference",
    "given_name",
    "family_name",
    "patronymic",
    "birth_date",
    "age",
    "sex",
    "citizenship",
    "document_number",
    "document_country",
    "document_needs",
    "native_language",
    "languages_spoken",
    "interpreter_needed",
    "needs",
    "medical_needs",
    "urgent",
    "stay_region",
    "found_abroad_country",
    "contact",
    "legal_aid_categories",
    "child_views",
    "asylum_wish",
    "exploitation_types",
    "exploitation_country",
    "non_punishment",
)
RULE_KEYS = (
    "id",
    "rule",
    "service",
    "when",
    "target",
    "mandatory",
    "consent",
    "clock",
    "urgent_clock",
    "hold_when",
    "on_return",
    "any_region_fallback",
    "national_fallback",
    "legal_aid_categories",
    "title",
    "basis",
)
ORG_KEYS = (
    "code",
    "kind",
    "name",
    "region",
    "serves_regions",
    "services",
    "accepts",
    "country",
    "city",
    "post",
    "resident",
    "source",
)
POSTS = ("embassy", "consulate_general", "consulate", "chancery")
SEXES = ("female", "male", "other_or_not_stated")
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class _RoutingChecker(_Checker):
    def unknown_keys(self, node, allowed, where):
        for key in node:
            if key not in allowed:
                self.r.problem(_line(node, key), f"{where}.{key}", f"unknown key; use {', '.join(allowed)}")

    def flag(self, node, key, where):
        value = node.get(key, False)
        if not isinstance(value, bool):
            self.r.problem(_line(node, key), f"{where}.{key}", "must be true or false")
            return False
        return value

    def when(self, node, where):
        when = self.require(node, "when", dict, where)
        for key, value in (when or {}).items():
            allowed = rt.CONDITIONS.get(key, ())
            if key not in rt.CONDITIONS:
                self.r.problem(
                    _line(when, key),
                    f"{where}.when.{key}",
                    f"unknown condition; use {', '.join(rt.CONDITIONS)}",
                )
                continue
            values = value if isinstance(value, list) else [value]
            known = rt.NEEDS if key == "needs_any" else allowed
            for item in values:
                if item not in known:
                    self.r.problem(
                        _line(when, key),
                        f"{where}.when.{key}",
                        f"{item!r} is not one of {', '.join(map(str, known))}",
                    )
        return {k: (tuple(v) if isinstance(v, list) else v) for k, v in (when or {}).items()}

    def rules(self):
        rules, seen = [], {}
        for node, line in self.items("rules"):
            where = f"rules[{node.get('id', '?') if isinstance(node, Node) else '?'}]"
            if not isinstance(node, Node):
                self.r.problem(line, where, "each rule is a mapping")
                continue
            self.unknown_keys(node, RULE_KEYS, where)
            rule_id = self.require(node, "id", str, where)
            if rule_id in seen:
                self.r.problem(
                    line, f"{where}.id", f"duplicate id {rule_id!r} (first at line {seen[rule_id]})"
                )
            seen[rule_id] = line
            number = self.require(node, "rule", str, where)
            if number and not re.fullmatch(r"R[1-8]", number):
                self.r.problem(_line(node, "rule"), f"{where}.rule", "must be one of R1 … R8 (DOMAIN.md §5)")
            service = self.choice(node, "service", rt.SERVICE_TYPES, where)
            target = self.choice(node, "target", rt.TARGETS, where)
            consent = self.choice(node, "consent", rt.CONSENT_GATES, where)
            clock = self.choice(node, "clock", CLOCKS, where)
            urgent = node.get("urgent_clock")
            if urgent is not None and urgent not in CLOCKS:
                self.r.problem(
                    _line(node, "urgent_clock"),
                    f"{where}.urgent_clock",
                    f"{urgent!r} is not one of {', '.join(CLOCKS)}",
                )
            hold_when = node.get("hold_when", [])
            for item in hold_when if isinstance(hold_when, list) else [hold_when]:
                if item not in rt.HOLD_WHEN:
                    self.r.problem(
                        _line(node, "hold_when"),
                        f"{where}.hold_when",
                        f"{item!r} is not one of {', '.join(rt.HOLD_WHEN)}",
                    )
            mandatory = node.get("mandatory")
            if not isinstance(mandatory, bool):
                self.r.problem(_line(node, "mandatory"), f"{where}.mandatory", "must be true or false")
            basis_node = self.require(node, "basis", dict, where) or Node()
            source = self.require(basis_node, "source", str, f"{where}.basis") if basis_node else None
            text = self.texts(basis_node, f"{where}.basis") if basis_node else {}
            citation = self.texts(basis_node, f"{where}.basis", key="citation") if basis_node else {}
            title = self.texts(node, where, key="title")
            when = self.when(node, where)
            rules.append(
                rt.Rule(
                    id=rule_id or "?",
                    rule=number or "?",
                    service=service or "?",
                    when=when,
                    target=target or "?",
                    mandatory=bool(mandatory),
                    consent=consent or "services",
                    clock=clock or "?",
                    urgent_clock=urgent,
                    basis=rt.Basis(source or "", text, citation),
                    hold_when=tuple(hold_when) if isinstance(hold_when, list) else (),
                    on_return=self.flag(node, "on_return", where),
                    any_region_fallback=self.flag(node, "any_region_fallback", where),
                    national_fallback=self.flag(node, "national_fallback", where),
                    legal_aid_categories=self.flag(node, "legal_aid_categories", where),
                    title=title,
                )
            )
        return tuple(rules)

    def payloads(self):
        node = self.require(self.data, "payloads", dict, "")
        payloads = {}
        for service, fields in (node or {}).items():
            if service not in rt.SERVICE_TYPES:
                self.r.problem(_line(node, service), f"payloads.{service}", "unknown service type")
                continue
            if not isinstance(fields, list) or "reference" not in fields:
                self.r.problem(
                    _line(node, service),
                    f"payloads.{service}",
                    "must be a list of fields that includes reference",
                )
                continue
            for item in fields:
                if item not in PAYLOAD_FIELDS:
                    self.r.problem(_line(node, service), f"payloads.{service}", f"unknown field {item!r}")
            payloads[service] = tuple(fields)
        for service in rt.SERVICE_TYPES:
            if node is not None and service not in payloads and service not in node:
                self.r.problem(
                    _line(self.data, "payloads"),
                    "payloads",
                    f"service {service!r} has no payload (every service type needs one)",
                )
        return payloads

    def check(self) -> rt.Routing | None:
        if not isinstance(self.data, Node):
            self.r.problem(1, "(file)", "must be a mapping with routing, version, rules, payloads")
            return None
        version = self.require(self.data, "version", str, "")
        rules, payloads = self.rules(), self.payloads()
        if self.r.problems:
            return None
        return rt.Routing(
            version=version, rules=rules, payloads=payloads, source=str(self.data.get("source", ""))
        )


class _DirectoryChecker(_Checker):
    def check(self) -> list[dict] | None:
        if not isinstance(self.data, Node):
            self.r.problem(1, "(file)", "must be a mapping with directory, version, organisations")
            return None
        self.require(self.data, "version", str, "")
        entries, seen = [], {}
        for node, line in self.items("organisations"):
            where = f"organisations[{node.get('code', '?') if isinstance(node, Node) else '?'}]"
            if not isinstance(node, Node):
                self.r.problem(line, where, "each organisation is a mapping")
                continue
            for key in node:
                if key not in ORG_KEYS:
                    self.r.problem(
                        _line(node, key), f"{where}.{key}", f"unknown key; use {', '.join(ORG_KEYS)}"
                    )
            code = self.require(node, "code", str, where)
            if code and not CODE.match(code):
                self.r.problem(
                    _line(node, "code"),
                    f"{where}.code",
                    "use lowercase letters, digits and hyphens (at most 64)",
                )
            if code in seen:
                self.r.problem(line, f"{where}.code", f"duplicate code {code!r} (first at line {seen[code]})")
            seen[code] = line
            kind = self.choice(node, "kind", ORGANISATION_KINDS, where)
            name = self.texts(node, where, key="name")
            self.require(node, "source", str, where)
            region = node.get("region")
            if region is not None and region not in REGIONS:
                self.r.problem(
                    _line(node, "region"), f"{where}.region", f"{region!r} is not an ISO 3166-2:KG code"
                )
            serves = node.get("serves_regions", [])
            for item in serves if isinstance(serves, list) else [serves]:
                if item not in REGIONS:
                    self.r.problem(
                        _line(node, "serves_regions"),
                        f"{where}.serves_regions",
                        f"{item!r} is not an ISO 3166-2:KG code",
                    )
            services = node.get("services", []) or []
            for item in services if isinstance(services, list) else [services]:
                if item not in rt.SERVICE_TYPES:
                    self.r.problem(
                        _line(node, "services"), f"{where}.services", f"unknown service type {item!r}"
                    )
            country = node.get("country")
            if kind in ("foreign_mission", "kyrgyz_mission_abroad"):
                if not (isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country)):
                    self.r.problem(
                        _line(node, "country" if "country" in node else None),
                        f"{where}.country",
                        "a mission needs an ISO 3166-1 alpha-2 country code",
                    )
            post = node.get("post")
            if post is not None and post not in POSTS:
                self.r.problem(
                    _line(node, "post"), f"{where}.post", f"{post!r} is not one of {', '.join(POSTS)}"
                )
            accepts = node.get("accepts") or {}
            if accepts and not isinstance(accepts, dict):
                self.r.problem(_line(node, "accepts"), f"{where}.accepts", "must be a mapping")
                accepts = {}
            for sex in accepts.get("sex", []) or []:
                if sex not in SEXES:
                    self.r.problem(
                        _line(node, "accepts"), f"{where}.accepts.sex", f"{sex!r} is not one of {SEXES}"
                    )
            for bound in ("min_age", "max_age"):
                value = accepts.get(bound)
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                    self.r.problem(
                        _line(node, "accepts"), f"{where}.accepts.{bound}", "must be a whole number"
                    )
            city = node.get("city")
            if city is not None:
                city = self.texts(node, where, key="city")
            entries.append(
                {
                    "code": code,
                    "kind": kind,
                    "name": {k: name.get(k) for k in LANGUAGES},
                    "region": region,
                    "serves_regions": list(serves) if isinstance(serves, list) else [],
                    "services": list(services) if isinstance(services, list) else [],
                    "accepts_sex": list(accepts.get("sex") or []),
                    "min_age": accepts.get("min_age"),
                    "max_age": accepts.get("max_age"),
                    "country": country,
                    "city": city,
                    "post": post,
                    "resident": node.get("resident"),
                    "source": node.get("source"),
                }
            )
        return None if self.r.problems else entries


def _load(path: Path, display: str, checker):
    reader = _Reader(path, display)
    data, _raw = reader.read()
    result = checker(reader, data).check() if not reader.problems else None
    if reader.problems:
        raise CatalogueInvalid(reader.problems)
    return result


def load_routing(path: Path, display: str | None = None) -> rt.Routing:
    return _load(path, display or path.name, _RoutingChecker)


def load_directory(path: Path, display: str | None = None) -> list[dict]:
    return _load(path, display or path.name, _DirectoryChecker)
