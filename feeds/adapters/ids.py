"""Ids from outside systems made Floorboard ids, the same way for every adapter.

An id on the bus may hold letters, digits and ``_ . : @ -`` (the schema's ``Ident``); an
ACD's interface names, user names and phone numbers hold more. One rule makes them fit, so
an agent or a customer seen by two adapters (AMI and a CSV export of the same ACD) is one.
Length is left to the schema, which refuses an id that is too long rather than have two
long ids cut to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_.:@\-]")
_NO_NUMBER = {"", "unknown", "<unknown>", "anonymous", "restricted", "private", "withheld"}


def ident(text: str) -> str:
    """``text`` with what an id may not hold replaced (``PJSIP/1001`` -> ``PJSIP-1001``)."""
    return _NOT_IDENT.sub("-", text.strip())


def customer_id(number: str, contact_id: str) -> str:
    """A caller's number (or a customer reference) as a customer id: ``+44 7700 900123`` is
    ``447700900123``. A withheld number makes a customer seen once (``anon-<contact id>``),
    never one customer for every withheld caller."""
    cleaned = _NOT_IDENT.sub("", number)
    if cleaned and number.strip().lower() not in _NO_NUMBER:
        return cleaned
    return f"anon-{contact_id}"


def idents(texts: list[str]) -> list[str]:
    """:func:`ident` of each: the texts themselves when none holds what an id may not (one
    search of the column joined, for most files' columns), else one by one."""
    return texts if _NOT_IDENT.search("".join(texts)) is None else [ident(t) for t in texts]


def customer_ids(numbers: list[str], contact_ids: Iterable[str]) -> list[str]:
    """:func:`customer_id` of each number with its contact's id (read only if needed): the
    numbers themselves when every one is already an id and none is withheld (a file of
    customer references), else one by one."""
    if _NOT_IDENT.search("".join(numbers)) is None and all(numbers):
        lowered = "\x00" + "\x00".join(numbers).lower() + "\x00"
        if not any(f"\x00{word}\x00" in lowered for word in _NO_NUMBER if word):
            return numbers
    return [customer_id(n, c) for n, c in zip(numbers, contact_ids, strict=True)]
