"""The config sections the feeds read: what makes a contact a moment of truth, the customers
and the CRM (docs/customers.md), and the adapters (Asterisk AMI, Amazon Connect, CSV replay, the
aggregating process; docs/adapters.md). Part of :class:`feeds.config.Config`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from feeds.bus.fields import Ident
from feeds.config_ops import Section


class Moments(Section):
    """When a contact is a moment of truth: the limits of the flags on the agent's card."""

    # Repeat contact: this many contacts (the current one included) within repeat_days. At most
    # the 50 a customer's history keeps (feeds.history, which this module must not import: it
    # imports redis-py, and the gunicorn master loads the config before gevent patches).
    repeat_contacts: int = Field(default=3, ge=2, le=50)
    repeat_days: float = Field(default=7, gt=0, le=90)
    # Called back: the customer abandoned a contact at most this many hours before this one.
    abandoned_callback_hours: float = Field(default=24, gt=0, le=24 * 90)
    summary_contacts: int = Field(default=3, ge=1, le=10)  # earlier contacts listed on the card

    @property
    def history_days(self) -> float:
        """How long the bus keeps each customer's contacts: as far back as any flag looks."""
        return max(self.repeat_days, self.abandoned_callback_hours / 24)


class Crm(Section):
    """The centre's CRM, asked for a customer's profile when the bus has none
    (:mod:`feeds.customers.crm`). The token, if any, comes from the environment."""

    url: str = Field(default="", max_length=300)  # "https://crm.example/customers/{id}"; "": none
    timeout: float = Field(default=1.5, gt=0, le=30)  # seconds for the whole answer
    cache_seconds: float = Field(default=600, gt=0, le=7 * 86400)  # an answer is good this long
    retry_seconds: float = Field(default=30, gt=0, le=3600)  # after a failure, ask again after
    token_env: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_]*$")

    @field_validator("url")
    @classmethod
    def _template(cls, v: str) -> str:
        if v and (not v.startswith(("http://", "https://")) or "{id}" not in v):
            raise ValueError("must be an http(s) URL with {id} where the customer id goes")
        return v


class Customers(Section):
    """Who is calling, what agents may give them and what to promise (docs/customers.md)."""

    currency: str = Field(default="£", min_length=1, max_length=4)
    callback_hours: float = Field(default=4, gt=0, le=72)  # the callback window agents promise
    # Opening hours (local, 0-24): a promised call back falls within them, not at 3 a.m.
    opens: float = Field(default=8, ge=0, lt=24)
    closes: float = Field(default=20, gt=0, le=24)
    # What agents gave and promised is kept this long: a yearly allowance needs a year of it.
    ledger_days: float = Field(default=400, ge=1, le=3660)
    crm: Crm = Crm()

    @model_validator(mode="after")
    def _open_before_close(self) -> Customers:
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes")
        return self


Source = Annotated[str, Field(min_length=1, max_length=60)]
# Fields of a CSV contact record (feeds.adapters.csv_rows); [adapters.csv] columns names each
# one's column in the file, when it is not the field's own name.
CSV_FIELDS = (
    "contact_id", "enqueued_at", "queue", "channel", "wait", "talk", "hold", "wrap", "handle",
    "outcome", "agent_id", "customer_id", "tags",
)  # fmt: skip


class Ami(Section):
    """Asterisk AMI: where the manager interface is, and whose queues and members are whose.

    The secret is not here: ``floorboard ami --secret-file`` or ``$FLOORBOARD_AMI_SECRET``.
    """

    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = Field(default="floorboard", min_length=1, max_length=80)
    source: Source = "asterisk"
    queue_map: dict[str, Ident] = Field(
        default_factory=dict
    )  # Asterisk queue name -> Floorboard queue id
    member_map: dict[str, Ident] = Field(
        default_factory=dict
    )  # member interface (PJSIP/1001) or name -> agent id
    unmapped_members: Literal["derive", "ignore"] = "derive"  # derive: id from the interface
    wrap_seconds: float = Field(default=0, ge=0, le=3600)  # the queues' wrapuptime
    exit_grace: float = Field(default=2, gt=0, le=60)  # a leave with no answer in this: exited
    ping_seconds: float = Field(default=20, gt=0, le=600)  # a silent link is checked this often


class Connect(Section):
    """Amazon Connect records: which Connect queues and agents are which on the board."""

    source: Source = "connect"
    queue_map: dict[str, Ident] = Field(
        default_factory=dict
    )  # queue name or ARN -> Floorboard queue id
    agent_map: dict[str, Ident] = Field(default_factory=dict)  # username or agent ARN -> agent id
    customer_attribute: str = Field(default="", max_length=128)  # else the customer endpoint
    tags_attribute: str = Field(default="", max_length=128)  # comma-separated tags


class Csv(Section):
    """CSV replay: the file's column names and queue names, where they are not Floorboard's."""

    source: Source = "csv-replay"
    columns: dict[str, str] = Field(default_factory=dict)  # Floorboard field -> the file's column
    queue_map: dict[str, Ident] = Field(
        default_factory=dict
    )  # the file's queue name -> Floorboard queue id

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name not in CSV_FIELDS:
                raise ValueError(f"unknown field {name!r}; fields: {', '.join(CSV_FIELDS)}")
        return v


class Aggregate(Section):
    """``floorboard aggregate``: the one process that turns raw events on the bus (those of
    the ``follow`` producers, e.g. Connect records posted over HTTP) into queue statistics."""

    source: Source = "aggregate"  # its name on the bus: the statistics' source, its heartbeat
    follow: list[Source] = Field(default=["connect"], min_length=1, max_length=20)


class Adapters(Section):
    ami: Ami = Ami()
    connect: Connect = Connect()
    csv: Csv = Csv()
    aggregate: Aggregate = Aggregate()
