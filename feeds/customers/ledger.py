"""What agents gave and promised each customer: recorded from the card, counted, remembered.

An agent records a grant (a credit under a standing rule, a waived fee, an outage's offer) or a
promise (a call back by 17:00, a case's date) from the card of the contact they are on. A grant
is checked against what they may give (:func:`feeds.customers.authority.allowed`, the rule the
card shows) inside the transaction that writes it, so two agents cannot both spend the last of
a customer's allowance. The entry goes to the customer's ledger (hash ``<prefix>ledger:<id>``,
kept ``customers.ledger_days``: a yearly allowance needs a year of it), the audit log (who gave
what), and the bus as a ``commitment`` event, which wakes the card of whoever has that customer
on screen; the next agent reads it in the customer's history.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline

from feeds.bus.schema import Envelope, parse_envelope
from feeds.customers.authority import allowed, check_grant, fmt_money
from feeds.customers.moments import affecting
from feeds.customers.profiles import ledger_key
from feeds.errors import SchemaError
from feeds.notices.service import NoticeService, Reader, Record, new_id, only_fields, validate

LEDGER_FIELDS = frozenset({"type", "rule_id", "outage_id", "amount", "text", "due"})


class Ledger(NoticeService):
    """Record and read what agents gave and promised customers."""

    def entries(self, customer_id: str, client: Reader | None = None) -> list[dict[str, Any]]:
        """The customer's ledger, oldest first."""
        raw = (client or self.client).hvals(ledger_key(self.prefix, customer_id))
        return sorted((json.loads(r) for r in raw), key=lambda e: (e["at"], e["id"]))

    def record(
        self, agent_id: str, contact_id: str, fields: Mapping[str, Any], actor: str
    ) -> Record:
        """Record what ``agent_id`` gave or promised on their live contact ``contact_id``."""
        only_fields(fields, LEDGER_FIELDS)
        now = self.clock()
        keep = self.config.customers.ledger_days * 86400

        def change(pipe: Pipeline) -> Envelope:
            contact = self.current(pipe, "contact", contact_id)
            if contact is None or contact.data.get("agent_id") != agent_id:
                raise SchemaError("contact", "is not a contact you are on")
            customer_id = contact.data["customer_id"]
            key = ledger_key(self.prefix, customer_id)
            pipe.watch(key)  # the allowance read here is the one the write spends
            entries = self.entries(customer_id, pipe)
            data = self._checked(pipe, fields, contact, agent_id, entries, now)
            env = self.envelope("commitment", new_id("k"), data, now)
            pipe.multi()
            action = "give" if data["type"] == "gave" else "promise"
            self.commit(pipe, env, actor=actor, action=action, before=None)
            pipe.hset(key, env.id, json.dumps({"id": env.id, **data}))
            old = [e["id"] for e in entries if e["at"] < now - keep]
            if old:
                pipe.hdel(key, *old)
            pipe.expire(key, max(1, round(keep)))
            return env

        env = self.atomic([self.bus.state_key("rule"), self.bus.state_key("outage")], change)
        return {"id": env.id, **env.data}

    def _checked(
        self, pipe: Pipeline, fields: Mapping[str, Any], contact: Envelope, agent_id: str,
        entries: list[dict[str, Any]], now: float,
    ) -> Record:  # fmt: skip
        d = contact.data
        data: dict[str, Any] = {
            "customer_id": d["customer_id"], "contact_id": contact.id, "agent_id": agent_id,
            "type": fields.get("type"), "text": (fields.get("text") or "").strip(), "at": now,
        }  # fmt: skip
        if data["type"] == "promised":
            self.check_future("due", fields.get("due"), now)
            data["due"] = fields.get("due")
        elif data["type"] == "gave":
            data.update(self._grant(pipe, fields, contact, agent_id, entries, now))
        return validate("commitment", data)

    def _grant(
        self, pipe: Pipeline, fields: Mapping[str, Any], contact: Envelope, agent_id: str,
        entries: list[dict[str, Any]], now: float,
    ) -> dict[str, Any]:  # fmt: skip
        """A grant's rule or outage and amount, checked against what the agent may give now."""
        d, currency = contact.data, self.config.customers.currency
        raw = pipe.hget(self.bus.state_key("customer"), d["customer_id"])
        profile = parse_envelope(raw).data if raw is not None else None
        agent = self.current(pipe, "agent", agent_id)
        hit = affecting(d["queue"], self.items(pipe, "outage"), profile)
        stands, offers = allowed(
            [(e.id, e.data) for e in self.items(pipe, "rule")], entries,
            [(o.id, o.data) for o, _ in hit], queue_id=d["queue"],
            team=agent.data["team"] if agent else None,
            segment=(profile or {}).get("segment") or None, contact_id=contact.id, ref=now,
            tz=self.config.tz, currency=currency,
        )  # fmt: skip
        amount, text = fields.get("amount"), (fields.get("text") or "").strip()
        if fields.get("outage_id"):
            offer = next((o for o in offers if o.outage_id == fields["outage_id"]), None)
            if offer is None:
                raise SchemaError("outage_id", "no outage affecting this customer offers that")
            check_grant(amount, currency=currency, offer=offer)
            amount = amount if amount is not None else offer.amount
            said = f"Outage offer ({offer.service})"
            grant = {"outage_id": offer.outage_id}
        elif fields.get("rule_id"):
            stand = next((s for s in stands if s.id == fields["rule_id"]), None)
            check_grant(amount, currency=currency, stand=stand)
            said, grant = stand.rule["title"], {"rule_id": fields["rule_id"]}  # type: ignore[union-attr]
        else:
            raise SchemaError("rule_id", "choose what you gave")
        if amount is not None:
            said += f": {fmt_money(amount, currency)}"
        return {**grant, "amount": amount, "text": text or said}
