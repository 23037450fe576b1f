"""The state machines of referrals, cases and the identification decision (pure).

Every change of state anywhere in the product goes through ``referral``, ``case`` or
``identification`` below; a transition not in the table raises ``IllegalTransition``, whatever URL
or command asked for it. Who may ask for which event is the access policy's business
(``nrm.security.policy``); what must accompany it (a reason, no hold) is checked here.

Referral:  proposed → sent → acknowledged → accepted | declined → completed | withdrawn
           (an optional proposal can be removed with a reason; a held proposal can be withdrawn by
           the coordinator on non-refoulement grounds or at the person's wish; a declined referral
           goes back to the coordinator's queue and is re-routed as a new referral)
Case (HTCDS): Active → FollowUp → Closed; Active → Closed; Active → ClosedReferred (transfer);
           FollowUp → Active (reopened)
Identification (HTCDS): PossibleVictimOfTrafficking → ActualVictimOfTrafficking |
           NotAVictimOfTrafficking
"""

from dataclasses import dataclass


class IllegalTransition(ValueError):
    """The event cannot happen in this state, or lacks what it needs (reason, hold lifted)."""

    def __init__(self, code: str):
        self.code = code
        super().__init__(code)


REFERRAL_STATES = ("proposed", "sent", "acknowledged", "accepted", "declined", "completed", "withdrawn",
                   "removed")
REFERRAL_OPEN = ("proposed", "sent", "acknowledged", "accepted")
REFERRAL_TRANSITIONS = {
    ("proposed", "send"): "sent",
    ("proposed", "remove"): "removed",
    ("proposed", "withdraw"): "withdrawn",    # a held proposal the coordinator will not send
    ("sent", "acknowledge"): "acknowledged",
    ("sent", "accept"): "accepted",          # accepting acknowledges too
    ("sent", "decline"): "declined",
    ("acknowledged", "accept"): "accepted",
    ("acknowledged", "decline"): "declined",
    ("accepted", "complete"): "completed",
    ("sent", "withdraw"): "withdrawn",
    ("acknowledged", "withdraw"): "withdrawn",
    ("accepted", "withdraw"): "withdrawn",
}
REFERRAL_EVENTS = tuple(sorted({event for _state, event in REFERRAL_TRANSITIONS}))
DECLINE_REASONS = ("no_capacity", "profile_not_accepted", "outside_service_area", "person_declined",
                   "duplicate", "other")
WITHDRAW_REASONS = ("consent_withdrawn", "person_unreachable", "entered_in_error", "rerouted", "other")
REMOVE_REASONS = ("person_declines_service", "not_needed", "already_served", "other")
# a held proposal (fear of return, asylum) withdrawn by the coordinator: even a mandatory referral
# to the person's embassy is never sent against the principle of non-refoulement or the person's wish
HOLD_WITHDRAW_REASONS = ("non_refoulement", "person_wish")
# a referral to a diplomatic mission sent without the person's name, birth date or document
IDENTITY_GAP_REASONS = ("person_declines_identity", "no_documents", "documents_held_by_others",
                        "identity_unknown_to_person", "not_safe_to_ask_now", "other")


@dataclass(frozen=True)
class ReferralState:
    state: str
    mandatory: bool = False
    hold: str | None = None


def referral(current: ReferralState, event: str, reason: str | None = None) -> str:
    """The state after ``event``; raises IllegalTransition for anything the table does not allow."""
    target = REFERRAL_TRANSITIONS.get((current.state, event))
    if target is None:
        raise IllegalTransition("not_allowed_in_state")
    if event == "send" and current.hold:
        raise IllegalTransition("held")
    if event == "remove":
        if current.mandatory:
            raise IllegalTransition("mandatory")
        if reason not in REMOVE_REASONS:
            raise IllegalTransition("reason_required")
    if event == "decline" and reason not in DECLINE_REASONS:
        raise IllegalTransition("reason_required")
    if event == "withdraw" and current.state == "proposed":
        if not current.hold:
            raise IllegalTransition("not_allowed_in_state")     # an unheld proposal is removed, not withdrawn
        if reason not in HOLD_WITHDRAW_REASONS:
            raise IllegalTransition("reason_required")
    elif event == "withdraw" and reason not in WITHDRAW_REASONS:
        raise IllegalTransition("reason_required")
    return target


CASE_STATUSES = ("Active", "FollowUp", "Closed", "ClosedReferred")
CASE_TRANSITIONS = {
    ("Active", "follow_up"): "FollowUp",
    ("Active", "close"): "Closed",
    ("FollowUp", "close"): "Closed",
    ("FollowUp", "reopen"): "Active",
    ("Active", "transfer"): "ClosedReferred",
}
CLOSURE_REASONS = ("goals_met", "returned_home", "reintegrated", "person_withdrew", "lost_contact",
                   "transferred", "deceased", "other")


def case(status: str, event: str, reason: str | None = None, follow_up_on=None) -> str:
    target = CASE_TRANSITIONS.get((status, event))
    if target is None:
        raise IllegalTransition("not_allowed_in_state")
    if event in ("close", "follow_up") and reason not in CLOSURE_REASONS:
        raise IllegalTransition("reason_required")
    if event == "follow_up" and follow_up_on is None:
        raise IllegalTransition("follow_up_date_required")
    return target


POSSIBLE_VICTIM = "PossibleVictimOfTrafficking"
ACTUAL_VICTIM = "ActualVictimOfTrafficking"
NOT_A_VICTIM = "NotAVictimOfTrafficking"
IDENTIFICATION_STATUSES = (POSSIBLE_VICTIM, ACTUAL_VICTIM, NOT_A_VICTIM)


def identification(status: str, decision: str, reasons: str | None) -> str:
    if status != POSSIBLE_VICTIM or decision not in (ACTUAL_VICTIM, NOT_A_VICTIM):
        raise IllegalTransition("not_allowed_in_state")
    if not (reasons or "").strip():
        raise IllegalTransition("reason_required")
    return decision
