"""Key messages and their acknowledgements.

A message is the ``message`` item on the bus (so every screen in its audience shows it live and
the hub drops it at expiry); an acknowledgement is a field in ``<prefix>acks:<message>`` (agent
→ time, first one wins) plus an ``ack`` item ``<message>:<agent>`` so consoles update live.
Who a message targets is worked out from the agents the bus knows (their team and skills) and
the agent users of the accounts, the same way when posting, acknowledging and counting, so
"pending" never lists someone who could not have acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from redis.client import Pipeline

from feeds.accounts.store import Accounts
from feeds.bus.fields import PRIORITIES
from feeds.bus.schema import Envelope
from feeds.errors import SchemaError
from feeds.notices.audience import Agent, agents_known, targets
from feeds.notices.service import (
    Conflict,
    NotFound,
    NoticeService,
    Reader,
    Record,
    new_id,
    only_fields,
    validate,
)

MESSAGE_FIELDS = frozenset(
    {"text", "priority", "audience", "starts_at", "expires_at", "ack_required"}
)
DEFAULT_LIFETIME = 3600.0  # seconds from the start (or now) when no expiry is given
RETAIN_EXPIRED = 7 * 86400.0  # expired messages stay listed this long, then are purged
STATUS_ORDER = {"active": 0, "scheduled": 1, "expired": 2}
PRIORITY_ORDER = {p: i for i, p in enumerate(reversed(PRIORITIES))}  # urgent first


def check_audience(
    audience: Mapping[str, Any],
    agents: Callable[[], Mapping[str, Agent]],
    check_queue: Callable[[str, str], None],
    prefix: str = "",
) -> None:
    """The rule for every door that writes a message: its team, queue or agent exists (the
    agents are only read when the audience names one)."""
    kind, value, field = audience["kind"], audience["value"], f"{prefix}audience.value"
    if kind == "queue":
        check_queue(field, value)
    elif kind == "agent" and value not in agents():
        raise SchemaError(field, f"unknown agent {value!r}")
    elif kind == "team" and value not in {a.team for a in agents().values()}:
        raise SchemaError(field, f"unknown team {value!r}")


def message_status(data: Mapping[str, Any], now: float) -> str:
    """active / scheduled / expired, from the times alone (the same rule as the ticker's)."""
    if data["expires_at"] <= now:
        return "expired"
    if data["starts_at"] is not None and data["starts_at"] > now:
        return "scheduled"
    return "active"


def message_order(data: Mapping[str, Any], updated: float) -> tuple[int, float]:
    """Where a message stands among the messages shown: urgent first, then the newest change.

    Screens that show and hide messages at their start and expiry by themselves (walls, agent
    tabs) order by this alone, so a message that starts takes its place with nothing sent."""
    return PRIORITY_ORDER[data["priority"]], -updated


def listing_order(data: Mapping[str, Any], updated: float, now: float) -> tuple[int, int, float]:
    """Where a message stands in a listing of every message (the API, the console): active,
    then scheduled, then expired, each in :func:`message_order`."""
    return STATUS_ORDER[message_status(data, now)], *message_order(data, updated)


class Messages(NoticeService):
    """Post, edit, expire and list key messages; record and count acknowledgements."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = Accounts(self.client, self.prefix)
        self.state_key = self.bus.state_key("message")

    def acks_key(self, message_id: str) -> str:
        return f"{self.prefix}acks:{message_id}"

    # -- writes ---------------------------------------------------------------------------------

    def post(self, fields: Mapping[str, Any], actor: str) -> Record:
        """A new message; the expiry defaults to an hour after it starts."""
        only_fields(fields, MESSAGE_FIELDS)
        now = self.clock()
        data = dict(fields)
        if data.get("expires_at") is None:
            start = data.get("starts_at")
            start = start if isinstance(start, int | float) else now
            data["expires_at"] = start + DEFAULT_LIFETIME

        def change(pipe: Pipeline) -> Envelope:
            checked = self._checked(pipe, {**data, "author": actor}, now)
            env = self.envelope("message", new_id("m"), checked, now)
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="post", before=None)
            return env

        return self._view(self.atomic([self.state_key], change), now)

    def edit(self, message_id: str, changes: Mapping[str, Any], actor: str) -> Record:
        """Change any of a message's fields; the id, author and acknowledgements stay."""
        only_fields(changes, MESSAGE_FIELDS)
        now = self.clock()

        def change(pipe: Pipeline) -> Envelope:
            old = self._get(pipe, message_id)
            checked = self._checked(pipe, {**old.data, **changes}, now)
            pipe.multi()
            if checked == old.data:
                return old
            env = self.envelope("message", message_id, checked, self.after(old, now))
            self.commit(pipe, env, actor=actor, action="edit", before=old.data)
            return env

        return self._view(self.atomic([self.state_key], change), now)

    def expire(self, message_id: str, actor: str) -> Record:
        """End a message now: screens drop it, the console keeps listing it as expired."""
        now = self.clock()

        def change(pipe: Pipeline) -> Envelope:
            old = self._get(pipe, message_id)
            if old.data["expires_at"] <= now:
                raise Conflict("id", f"message {message_id!r} has already expired")
            data = {**old.data, "expires_at": now}
            env = self.envelope("message", message_id, data, self.after(old, now))
            pipe.multi()
            self.commit(pipe, env, actor=actor, action="expire", before=old.data)
            return env

        return self._view(self.atomic([self.state_key], change), now)

    def ack(self, message_id: str, agent_id: str, actor: str) -> Record:
        """Record that ``agent_id`` has read the message; acknowledging twice keeps the first."""
        now = self.clock()
        acks_key = self.acks_key(message_id)

        def change(pipe: Pipeline) -> Record:
            env = self._get(pipe, message_id, field="message_id")
            status = message_status(env.data, now)
            if status != "active":
                raise Conflict("message_id", f"message {message_id!r} is {status}")
            if not env.data["ack_required"]:
                raise Conflict("message_id", "this message does not ask for acknowledgement")
            agents = self.agents(pipe)
            if agent_id not in agents:
                raise SchemaError("agent_id", f"unknown agent {agent_id!r}")
            if agent_id not in targets(env.data["audience"], agents):
                raise SchemaError("agent_id", "this message is not addressed to that agent")
            first = pipe.hget(acks_key, agent_id)
            pipe.multi()
            if first is not None:
                return {"message_id": message_id, "agent_id": agent_id, "at": float(first)}
            ack = self.envelope(
                "ack", f"{message_id}:{agent_id}",
                {"message_id": message_id, "agent_id": agent_id, "at": now}, now,
            )  # fmt: skip
            pipe.hsetnx(acks_key, agent_id, repr(now))
            self.commit(pipe, ack, actor=actor, action="ack", before=None)
            return ack.data

        return self.atomic([self.state_key, acks_key], change)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, message_id: str) -> Record:
        return self._view(self._get(self.client, message_id), self.clock())

    def list(self) -> list[Record]:
        """Active, then scheduled, then expired; urgent first, then newest; with ack counts.

        Messages that expired more than :data:`RETAIN_EXPIRED` ago are purged here, so the
        state does not grow with every message ever posted.
        """
        now = self.clock()
        envs = self.items(self.client, "message")
        old = {e.id for e in envs if e.data["expires_at"] < now - RETAIN_EXPIRED}
        if old:
            self._purge(old, now)
        envs = [e for e in envs if e.id not in old]
        wanting = [e for e in envs if e.data["ack_required"]]
        counts: dict[str, Record] = {}
        if wanting:
            agents = self.agents(self.client)
            pipe = self.client.pipeline(transaction=False)
            for env in wanting:
                pipe.hkeys(self.acks_key(env.id))
            for env, acked in zip(wanting, pipe.execute(), strict=True):
                targeted = targets(env.data["audience"], agents)
                done = {a.decode() for a in acked}.intersection(targeted)
                counts[env.id] = {"targeted": len(targeted), "acknowledged": len(done)}
        envs.sort(key=lambda e: listing_order(e.data, e.ts, now))
        return [self._view(e, now, counts.get(e.id)) for e in envs]

    def ack_status(self, message_id: str) -> Record:
        """Who the message targets, who acknowledged (agent → time) and who has not yet."""
        env = self._get(self.client, message_id)
        agents = self.agents(self.client)
        targeted = targets(env.data["audience"], agents)
        acked = {
            a.decode(): float(t) for a, t in self.client.hgetall(self.acks_key(message_id)).items()
        }
        return {
            "message_id": message_id,
            "ack_required": env.data["ack_required"],
            "targeted": targeted,
            "acknowledged": acked,
            "pending": [a for a in targeted if a not in acked],
            "names": {a: agents[a].name for a in [*targeted, *acked] if a in agents},
        }

    def agents(self, client: Reader) -> dict[str, Agent]:
        """Every agent the centre knows: from the bus's agent states, then the agent users.

        Users count too, so a message can target an agent who has not logged on to the
        telephony yet today (the bus has no state for them).
        """
        users = {
            user.agent_id: Agent(user.agent_id, user.name, user.team)
            for user in self.accounts.list_users()
            if user.role == "agent" and user.agent_id
        }
        return agents_known(self.items(client, "agent"), users)

    # -- helpers --------------------------------------------------------------------------------

    def _get(self, client: Reader, message_id: str, field: str = "id") -> Envelope:
        env = self.current(client, "message", message_id)
        if env is None:
            raise NotFound(field, f"no message {message_id!r}")
        return env

    def _checked(self, pipe: Reader, data: Mapping[str, Any], now: float) -> Record:
        """Schema, then the rules the schema cannot know: times, and who the audience is."""
        checked = validate("message", data)
        if not checked["text"].strip():
            raise SchemaError("text", "must not be blank")
        self.check_future("expires_at", checked["expires_at"], now)
        starts = checked["starts_at"]
        if starts is not None and checked["expires_at"] <= starts:
            raise SchemaError("expires_at", "must be after starts_at")
        check_audience(checked["audience"], lambda: self.agents(pipe), self.check_queue)
        return checked

    def feed_check(self) -> Callable[[Envelope], None]:
        """The check of a feed's items (``POST /api/v1/events``, ``floorboard publish``): a
        message must name an audience that exists, as one posted by a supervisor must, so no
        door writes a message that nobody could be shown. The agents are read once per batch."""
        known: dict[str, Agent] = {}

        def agents() -> dict[str, Agent]:
            if not known:
                known.update(self.agents(self.client))
            return known

        def check(env: Envelope) -> None:
            if env.kind == "message" and not env.deleted:
                check_audience(env.data["audience"], agents, self.check_queue, "data.")

        return check

    def _purge(self, ids: set[str], now: float) -> None:
        """Remove long-expired messages and their acknowledgements from the live state.

        Not audited: this is retention, like the capped streams, not anyone's change; the
        audit log still holds the message's post and expiry.
        """

        def change(pipe: Pipeline) -> None:
            gone = []
            for mid in ids:
                env = self.current(pipe, "message", mid)
                if env is not None and env.data["expires_at"] < now - RETAIN_EXPIRED:
                    gone.append((env, [a.decode() for a in pipe.hkeys(self.acks_key(mid))]))
            pipe.multi()
            for env, acked in gone:
                self.publish(pipe, self.deletion("message", env.id, self.after(env, now)))
                for agent_id in acked:
                    self.publish(pipe, self.deletion("ack", f"{env.id}:{agent_id}", now))
                pipe.delete(self.acks_key(env.id))

        self.atomic([self.state_key], change)

    def _view(self, env: Envelope, now: float, acks: Record | None = None) -> Record:
        return {
            "id": env.id,
            "status": message_status(env.data, now),
            **env.data,
            "updated_at": env.ts,
            "acks": acks,
        }
