"""The building blocks of the bus schema: bounded numbers, times and ids, sanitised text, and
the enumerations (agent states, severities, priorities...), and the channels in force (the
config's). One home for each: every kind in :mod:`feeds.bus.kinds` and
:mod:`feeds.bus.notice_kinds` is made of these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

MAX_DEPTH = 8  # an envelope's lists and objects nest at most this deep (the schema needs 4)
# Plausible epoch seconds: catches milliseconds (too big) and relative times (too small).
MIN_TS = 946_684_800.0  # 2000-01-01
MAX_TS = 4_102_444_800.0  # 2100-01-01

Epoch = Annotated[float, Field(ge=MIN_TS, le=MAX_TS, description="epoch seconds, UTC")]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@\-]+$")]
EventId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@/+=\-]+$")]
# Numbers are finite (no NaN or infinity: model_config) and within what a contact centre can
# mean, so a feed's bug is refused at the door instead of overflowing a screen's arithmetic.
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Seconds = Annotated[float, Field(ge=0, le=7 * 86400)]  # one duration: a wait, a handle time
TotalSeconds = Annotated[float, Field(ge=0, le=10 * 365 * 86400)]  # a sum over a day's contacts
Ratio = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0, le=100_000)]  # an amount in the centre's currency

MAX_LEG = 99  # legs of one contact (transfers, consults); see feeds.bus.ordering

# The definitions a queue's figures can use (formulas in feeds.metrics.formulas, docs/metrics.md).
Window = Literal["today", "15m", "30m", "60m"]
SlFormula = Literal[
    "abandons_ignored",
    "abandons_against",
    "threshold_abandons_for",
    "threshold_abandons_excluded",
    "short_abandons_excluded",
]
AbandonFormula = Literal["short_abandons_excluded", "all_abandons"]
StaffingModel = Literal["erlang_a", "erlang_c"]

# Characters that change how text around them is drawn without being seen: C0 and C1 controls
# (newline and tab stay: messages keep their line breaks, a CRLF becoming a newline), and the
# bidirectional embeddings, overrides, isolates and marks, with which "£1000" can be made to
# read "0001£".
HIDDEN_CHARACTERS = frozenset(
    [*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F,
     *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)  # fmt: skip
_STRIP_HIDDEN = dict.fromkeys(HIDDEN_CHARACTERS)


def displayable(text: str) -> str:
    """``text`` without :data:`HIDDEN_CHARACTERS`: it reads on screen as it is stored."""
    return text.replace("\r\n", "\n").translate(_STRIP_HIDDEN)


def _displayable(value: Any) -> Any:
    return displayable(value) if isinstance(value, str) else value


def Text(max_length: int, *, min_length: int = 0) -> Any:
    """The one type of every text in the schema that a person may see, at most ``max_length``
    characters: stripped of :data:`HIDDEN_CHARACTERS` before its length is checked, so a text
    made only of hidden characters is as empty as it looks."""
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), BeforeValidator(_displayable)
    ]


Label = Text(60, min_length=1)  # a region, a segment, a product


AGENT_STATES = ("available", "on_contact", "wrap", "away", "offline")
AgentStateName = Literal["available", "on_contact", "wrap", "away", "offline"]


class ChannelKind(BaseModel):
    """A channel contacts may come by (``[[channels]]`` in the config): its id on the bus, the
    word and the icon screens show it by (text presentation, never an emoji)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    label: Text(40, min_length=1)
    icon: Text(4, min_length=1)


# The channels of a config that says none: voice, chat, email and the rest a blended centre has.
DEFAULT_CHANNELS: tuple[ChannelKind, ...] = tuple(
    ChannelKind(id=i, label=label, icon=icon) for i, label, icon in (
        ("voice", "Voice", "☎\ufe0e"), ("chat", "Chat", "✉\ufe0e"), ("email", "Email", "@"),
        ("social", "Social", "#"), ("sms", "SMS", "✆"), ("callback", "Callback", "↩"),
        ("web_form", "Web form", "▤"), ("fax", "Fax", "▦"),
    )
)  # fmt: skip
# The channels in force in this process: the config's, set by whoever loads it (the app, each
# command: use_channels), the defaults until then. Every input path's schema checks against it.
_in_force: dict[str, ChannelKind] = {c.id: c for c in DEFAULT_CHANNELS}


def use_channels(kinds: Iterable[ChannelKind]) -> None:
    """Make ``kinds`` (a config's ``channels``) the channels every envelope is checked against."""
    global _in_force
    _in_force = {c.id: c for c in kinds}


def channels() -> tuple[str, ...]:
    """The ids of the channels in force, in the config's order."""
    return tuple(_in_force)


def channel_kind(channel: str) -> ChannelKind:
    """How a channel reads on screen; one not in force (an old item) by its id and a dot."""
    return _in_force.get(channel) or ChannelKind(id=channel, label=channel, icon="•")


def unknown_channel(value: str, known: Iterable[str]) -> str:
    """The reason every door gives for a channel it does not know."""
    return f"unknown channel {value!r}; the configured channels are {', '.join(known)}"


def _configured(value: str) -> str:
    if value not in _in_force:
        raise ValueError(unknown_channel(value, _in_force))
    return value


# A contact's or a queue's channel on the bus: one of the channels in force.
Channel = Annotated[Ident, AfterValidator(_configured)]
# The enumerations of the notices, each listed once: forms, commands and sort orders use these.
Severity = Literal["critical", "major", "minor"]  # most severe first
SEVERITIES: tuple[str, ...] = get_args(Severity)
OutageStatus = Literal["investigating", "identified", "monitoring", "resolved"]  # in life order
OUTAGE_STATUSES: tuple[str, ...] = get_args(OutageStatus)
Priority = Literal["info", "important", "urgent"]  # least pressing first
PRIORITIES: tuple[str, ...] = get_args(Priority)
# What a standing authority rule lets an agent give, and the window its allowance counts over.
RuleAction = Literal["credit", "refund", "waiver", "discount", "other"]
RULE_ACTIONS: tuple[str, ...] = get_args(RuleAction)
Period = Literal["contact", "day", "week", "month", "year"]
PERIODS: tuple[str, ...] = get_args(Period)
CasePriority = Literal["low", "normal", "high", "urgent"]  # least pressing first
