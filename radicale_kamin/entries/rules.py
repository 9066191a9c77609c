"""The seed's colour code as data: entry states, colours, labels and marks.

Every entry of the calendar is in exactly one state. The state follows from
four facts — the entry's kind, the address verdict, the call outcome and the
number of failed calls — and decides what every client shows: ``COLOR`` (RFC
7986), a German ``CATEGORIES`` label (Thunderbird colours by category) and a
mark at the start of ``SUMMARY`` (iOS shows neither). A new state is a new
row in ``STATES`` and ``_RULES``, not a new branch.

Besides the states: the labels staff pick in any client (``PICKS``), the
trade's jobs an appointment is for (``WORKS``, ``X-KAMIN-WORK``) and the
label that records a received Formblatt.

This module imports nothing of ours and nothing of Radicale.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

KINDS = ("internal", "external", "deadline", "individual", "imported")
DEFAULT_KIND = "individual"
OUTCOMES = ("confirmed", "callback", "rejected")

LABEL_PREFIX = "Kamin:"


@dataclass(frozen=True)
class State:
    """One row of the state table (docs/entry-profile.md, "States")."""

    name: str            # X-KAMIN-STATUS
    colour: str          # COLOR, a CSS colour name
    label: str           # the German category label staff see and pick
    mark: str = ""       # prefix of SUMMARY, for clients without colours
    ical_status: Optional[str] = None  # STATUS written for internal entries


# Marks are short and unlike words, so a title still reads as the user wrote
# it; iOS shows ⚠ and ⌛ as coloured symbols. "individual" (private entries,
# external calendars) has none: its titles are nobody's business, and an
# entry without a mark is recognisably one.
STATES: Mapping[str, State] = {s.name: s for s in (
    State("data-missing", "orange", "Kamin: Daten fehlen", mark="⚠", ical_status="TENTATIVE"),
    State("planned", "lightgray", "Kamin: geplant", mark="○", ical_status="TENTATIVE"),
    State("confirmed", "green", "Kamin: bestätigt", mark="✓", ical_status="CONFIRMED"),
    State("callback", "lightgreen", "Kamin: Rückruf", mark="↩", ical_status="TENTATIVE"),
    State("rejected", "red", "Kamin: abgelehnt", mark="✗", ical_status="CANCELLED"),
    State("unreached-1", "lightcoral", "Kamin: nicht erreicht (1×)", mark="☏1",
          ical_status="TENTATIVE"),
    State("unreached-2", "darkred", "Kamin: nicht erreicht (2×)", mark="☏2",
          ical_status="TENTATIVE"),
    State("booked", "yellow", "Kamin: vom Kunden gebucht", mark="★"),
    State("individual", "white", "Kamin: individuell"),
    State("deadline", "lightblue", "Kamin: Frist", mark="⌛"),
    State("import-ok", "green", "Kamin: Import vollständig", mark="⇩"),
    State("import-rework", "orange", "Kamin: Import nacharbeiten", mark="⇩⚠"),
    State("import-unrecognised", "red", "Kamin: Import nicht erkannt", mark="⇩✗"),
)}

# kamin_summary_marks: which states show their mark in SUMMARY. "confirmed"
# is the contract's ✓ alone; "all" marks every state for iOS, which shows
# neither COLOR nor CATEGORIES.
SUMMARY_MARK_MODES: Mapping[str, frozenset] = {
    "confirmed": frozenset({"confirmed"}),
    "all": frozenset(STATES),
}
DEFAULT_SUMMARY_MARKS = "confirmed"


def summary_mark(state: State, mode: str = DEFAULT_SUMMARY_MARKS) -> str:
    """The mark ``state`` puts in front of SUMMARY under ``mode`` ("" = none)."""
    return state.mark if state.name in SUMMARY_MARK_MODES[mode] else ""


_ANY = None
_INCOMPLETE = ("incomplete", "unrecognised")

# (state, kind, address verdicts, outcomes, attempts) — first match wins.
# A customer's final answer (confirmed, rejected) outranks missing data: no
# call is needed any more. Everything that still needs a call is orange
# while the data for that call are missing.
_RULES: Sequence[tuple] = (
    ("confirmed", "internal", _ANY, ("confirmed",), _ANY),
    ("rejected", "internal", _ANY, ("rejected",), _ANY),
    ("data-missing", "internal", _INCOMPLETE, _ANY, _ANY),
    ("callback", "internal", _ANY, ("callback",), _ANY),
    ("planned", "internal", _ANY, (None,), (0,)),
    ("unreached-1", "internal", _ANY, (None,), (1,)),
    ("unreached-2", "internal", _ANY, (None,), _ANY),
    ("booked", "external", _ANY, _ANY, _ANY),
    ("individual", "individual", _ANY, _ANY, _ANY),
    ("deadline", "deadline", _ANY, _ANY, _ANY),
    ("import-ok", "imported", ("complete",), _ANY, _ANY),
    ("import-rework", "imported", ("incomplete",), _ANY, _ANY),
    ("import-unrecognised", "imported", ("unrecognised",), _ANY, _ANY),
)


def entry_state(kind: str, address: str, outcome: Optional[str],
                attempts: int) -> State:
    """The state of an entry from its four facts."""
    for name, rule_kind, verdicts, outcomes, attempt_counts in _RULES:
        if (rule_kind == kind
                and (verdicts is _ANY or address in verdicts)
                and (outcomes is _ANY or outcome in outcomes)
                and (attempt_counts is _ANY or attempts in attempt_counts)):
            return STATES[name]
    raise ValueError("no state for kind=%r address=%r outcome=%r attempts=%r"
                     % (kind, address, outcome, attempts))


# --- what staff can pick from an ordinary client ----------------------------

@dataclass(frozen=True)
class Pick:
    """The workflow facts a picked label or STATUS sets (None = unchanged)."""

    kind: Optional[str] = None
    outcome: Optional[str] = None
    clear_outcome: bool = False
    attempts: Optional[int] = None


# Picking a state's label means "make the entry be in this state". States that
# follow from the data alone (data missing, the import verdicts) cannot be
# picked: no pick can make missing data appear.
PICKS: Mapping[str, Pick] = {
    "planned": Pick(kind="internal", clear_outcome=True, attempts=0),
    "confirmed": Pick(kind="internal", outcome="confirmed"),
    "callback": Pick(kind="internal", outcome="callback"),
    "rejected": Pick(kind="internal", outcome="rejected"),
    "unreached-1": Pick(kind="internal", clear_outcome=True, attempts=1),
    "unreached-2": Pick(kind="internal", clear_outcome=True, attempts=2),
    "booked": Pick(kind="external"),
    "individual": Pick(kind="individual"),
    "deadline": Pick(kind="deadline"),
}

# iCalendar STATUS set by a client on an internal entry (Thunderbird's
# "Status" field) and what it means for the workflow.
STATUS_PICKS: Mapping[str, Pick] = {
    "CONFIRMED": Pick(outcome="confirmed"),
    "CANCELLED": Pick(outcome="rejected"),
    "TENTATIVE": Pick(clear_outcome=True),
}


@functools.lru_cache(maxsize=4096)      # the same few labels, on every write
def _fold(text: str) -> str:
    """Compare labels the way people type them: case, umlauts, × vs x."""
    text = unicodedata.normalize("NFC", text).casefold()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"),
                 ("×", "x")):
        text = text.replace(a, b)
    return " ".join(text.replace(":", ": ").split())


_STATE_BY_FOLDED_LABEL = {_fold(s.label): s for s in STATES.values()}


def is_kamin_label(category: str) -> bool:
    return _fold(category).startswith(_fold(LABEL_PREFIX))


def state_of_label(category: str) -> Optional[State]:
    return _STATE_BY_FOLDED_LABEL.get(_fold(category))


class AmbiguousPick(ValueError):
    """More than one new Kamin label: we cannot tell which one staff meant."""


def picked_state(categories: Iterable[str],
                 stored_state: Optional[str]) -> Optional[State]:
    """The state staff picked by adding its label, if any.

    The stored state's own label is no pick (the server put it there). Labels
    of states that cannot be picked are ignored like unknown ``Kamin:`` text.
    """
    stored_label = STATES[stored_state].label if stored_state in STATES else None
    picked = []
    for category in categories:
        state = state_of_label(category)
        if (state is None or state.label == stored_label
                or state.name not in PICKS or state in picked):
            continue
        picked.append(state)
    if len(picked) > 1:
        raise AmbiguousPick(
            "CATEGORIES: more than one new Kamin category (%s); pick one"
            % ", ".join(s.label for s in picked))
    return picked[0] if picked else None


def merge_categories(categories: Iterable[str], state: State,
                     fact_labels: Sequence[str] = ()) -> list[str]:
    """The state's label first (Thunderbird colours by the first category),
    then the labels of the entry's facts (its work, a received Formblatt),
    then the user's own categories in their order; stale labels dropped."""
    merged = [state.label, *fact_labels]
    seen = {_fold(label) for label in merged}
    for category in categories:
        category = category.strip()
        if not category or is_kamin_label(category) or _fold(category) in seen:
            continue
        seen.add(_fold(category))
        merged.append(category)
    return merged


def marked_summary(summary: Optional[str], mark: str,
                   written: Optional[str]) -> Optional[str]:
    """SUMMARY with ``mark`` in front (none for ""), and the mark the
    server wrote there before (``written``, kept in X-KAMIN-MARK) taken off.

    Only ``written`` is taken off, exactly as it was put there: a title of
    the user's own that begins with a mark character stays as typed.
    """
    text = summary or ""
    if written and text == written:
        text = ""
    elif written and text.startswith(written + " "):
        text = text[len(written) + 1:]
    if mark:
        return "%s %s" % (mark, text) if text else mark
    if summary is None and not text:
        return None
    return text


# --- the work an appointment is for ------------------------------------------

@dataclass(frozen=True)
class Work:
    """One job of the trade, as ``X-KAMIN-WORK`` names it."""

    name: str            # X-KAMIN-WORK
    title: str           # German, as staff say it
    notice: bool = False  # needs the Feuerstättenschau notice (working days)

    @property
    def label(self) -> str:
        """The category staff pick to say which work an entry is for."""
        return "%s %s" % (LABEL_PREFIX, self.title)


# The jobs of a Bezirksschornsteinfeger's appointments. Only the
# Feuerstättenschau (inspection of every fireplace of a building, twice in
# seven years) must be announced ahead by law (§ 14 SchfHwG).
WORKS: Mapping[str, Work] = {w.name: w for w in (
    Work("feuerstaettenschau", "Feuerstättenschau", notice=True),
    Work("kehrung", "Kehrung"),                 # sweeping chimneys and flues
    Work("ueberpruefung", "Überprüfung"),       # checking flues and exhaust ducts
    Work("messung", "Messung"),                 # emission measurement (1. BImSchV)
    Work("abnahme", "Abnahme"),                 # acceptance of a new or changed fireplace
)}
_WORK_BY_FOLDED = {**{_fold(w.title).replace(" ", ""): w for w in WORKS.values()},
                   **{w.name: w for w in WORKS.values()}}
_WORK_BY_LABEL = {_fold(w.label): w for w in WORKS.values()}


def work_of(text: Optional[str]) -> Optional[Work]:
    """The work ``text`` names (``feuerstaettenschau``, ``Feuerstättenschau``,
    ``Feuerstätten-Schau``), or None."""
    if not text:
        return None
    return _WORK_BY_FOLDED.get(re.sub(r"[\s_-]", "", _fold(text)))


def picked_work(categories: Iterable[str], stored_work: Optional[str]) -> Optional[Work]:
    """The work staff picked by adding its ``Kamin: …`` label, if any (the
    stored work's own label is no pick). Two new work labels are refused."""
    picked = []
    for category in categories:
        work = _WORK_BY_LABEL.get(_fold(category))
        if work is not None and work.name != stored_work and work not in picked:
            picked.append(work)
    if len(picked) > 1:
        raise AmbiguousPick("CATEGORIES: more than one new work category (%s); pick one"
                            % ", ".join(w.label for w in picked))
    return picked[0] if picked else None


# --- the Formblatt of a deadline ----------------------------------------------

# The owner's proof that the work of a Feuerstättenbescheid was done (by any
# business). Picking this label on a deadline entry records its receipt;
# the label stays on the entry while the receipt is recorded.
FORMBLATT_LABEL = "Kamin: Formblatt erhalten"


def picks_formblatt(categories: Iterable[str]) -> bool:
    return any(_fold(c) == _fold(FORMBLATT_LABEL) for c in categories)
