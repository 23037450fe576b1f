"""People: recording identity (sealed), finding earlier records of the same person, erasure."""

from nrm.clock import now
from nrm.core import identity
from nrm.extensions import db
from nrm.models.people import ERASURE_REASONS, AccessNote, Person
from nrm.security import audit, vault


def _reindex(person: Person) -> None:
    person.document_index = vault.blind_index(
        "document_number", identity.document_number(person.document_number))
    person.name_birth_index = vault.blind_index(
        "name_birth_date",
        identity.name_and_birth_date(person.given_name, person.family_name, person.birth_date))


def create_person(actor, organisation_id: int, **fields) -> Person:
    """A new person record; every identity field is optional (a screening may start anonymous)."""
    unknown = set(fields) - set(Person.IDENTITY_FIELDS)
    if unknown:
        raise ValueError(f"not identity fields: {sorted(unknown)}")
    person = Person(organisation_id=organisation_id, created_at=now(), **fields)
    _reindex(person)
    db.session.add(person)
    db.session.flush()
    audit.record("person.create", object_type="person", object_id=person.id, actor=actor)
    return person


def update_identity(actor, person: Person, **fields) -> None:
    if person.is_erased:
        raise vault.Erased("this person's data was erased")
    for name, value in fields.items():
        if name not in Person.IDENTITY_FIELDS:
            raise ValueError(f"not an identity field: {name}")
        setattr(person, name, value)
    _reindex(person)
    audit.record("person.update", object_type="person", object_id=person.id, actor=actor)


def find_matches(*, document_number=None, given_name=None, family_name=None, birth_date=None,
                 exclude_id: str | None = None) -> list[str]:
    """Ids of people with the same document number, or the same name and birth date.
    Exact matches of the normalised values only; nothing is decrypted to find them."""
    conditions = []
    doc = vault.blind_index("document_number", identity.document_number(document_number))
    if doc:
        conditions.append(Person.document_index == doc)
    name_birth = vault.blind_index("name_birth_date",
                                   identity.name_and_birth_date(given_name, family_name, birth_date))
    if name_birth:
        conditions.append(Person.name_birth_index == name_birth)
    if not conditions:
        return []
    query = db.select(Person.id).where(db.or_(*conditions), Person.erased_at.is_(None))
    if exclude_id:
        query = query.where(Person.id != exclude_id)
    return list(db.session.scalars(query))


def erase_person(actor, person: Person, reason: str) -> None:
    """Crypto-shred a person: destroy their data key (every value sealed under it, here and in
    every backup, becomes unreadable) and clear their blind indexes. Analytic columns elsewhere
    stay, so statistics still count the case."""
    if reason not in ERASURE_REASONS:
        raise ValueError(f"unknown erasure reason {reason!r}")
    vault.destroy(person.data_key, reason)
    for column in ("_given_name", "_family_name", "_patronymic", "_other_names", "_birth_date",
                   "_document_number", "_document_country", "_contact"):
        setattr(person, column, None)
    person.document_index = person.name_birth_index = None
    person.erased_at = now()
    person.erasure_reason = reason
    audit.record("person.erase", object_type="person", object_id=person.id, actor=actor)


def record_access(actor, person: Person, reason: str, details: str | None) -> AccessNote:
    """Keep the written details of a coordinator's reasoned access, sealed under the person's key;
    the caller records the flagged audit event naming this note."""
    note = AccessNote(person_id=person.id, data_key=person.data_key, actor_id=actor.id, reason=reason,
                      created_at=now())
    if not person.is_erased:
        note.details = (details or "").strip() or None
    db.session.add(note)
    db.session.flush()
    return note
