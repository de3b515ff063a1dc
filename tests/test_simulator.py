"""The simulator behaves like a contact centre, deterministically, and its runner survives Redis."""

import collections
import itertools
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from feeds.bus.fields import AGENT_STATES
from feeds.bus.schema import parse_envelope
from feeds.config import load_config
from feeds.metrics.aggregator import Aggregator
from feeds.simulator.playback import run
from feeds.simulator.simulation import Simulation

LONDON = ZoneInfo("Europe/London")
START = datetime(2025, 3, 11, 11, 0, tzinfo=LONDON).timestamp()  # a Tuesday, late morning
TWO_HOURS = 2 * 3600


@pytest.fixture(scope="module")
def config():
    return load_config("floorboard.toml")


def simulate(config, *, seed=1, start=START, seconds=TWO_HOURS, **kw):
    return Simulation(config, seed=seed, start=start, **kw).advance(start + seconds)


@pytest.fixture(scope="module")
def day(config):
    return simulate(config)


@pytest.fixture(scope="module")
def outage_day(config):
    return simulate(config, outage=True)


def dumps(envs):
    return [e.model_dump() for e in envs]


def contacts(envs, event=None):
    """Contact events (``offered``: arrivals, not the offer ringing at an agent)."""
    found = [e for e in envs if e.kind == "contact" and event in (None, e.data["event"])]
    return [e for e in found if not (event == "offered" and e.data["agent_id"])]


def offered_by_queue(envs):
    return collections.Counter(e.data["queue"] for e in contacts(envs, "offered"))


def state_seconds(envs, end):
    """Seconds spent in each agent state after the first envelope, from the agent envelopes."""
    spent = collections.Counter()
    last = {}
    for env in envs:
        if env.kind == "agent":
            if env.id in last:
                state, since = last[env.id]
                spent[state] += env.data["since"] - max(since, START)
            last[env.id] = (env.data["state"], env.data["since"])
    for state, since in last.values():
        spent[state] += end - max(since, START)
    return spent


def test_same_seed_same_centre(config, day):
    assert dumps(simulate(config)) == dumps(day)


def test_another_seed_another_centre(config, day):
    assert dumps(simulate(config, seed=2)) != dumps(day)


def test_advancing_in_steps_gives_the_same_events(config, day):
    sim = Simulation(config, seed=1, start=START)
    steps = [sim.advance(START + t) for t in [*range(0, TWO_HOURS, 7), TWO_HOURS]]
    assert dumps(itertools.chain.from_iterable(steps)) == dumps(day)
    assert sim.advance(START + TWO_HOURS) == []


def test_nothing_before_start(config):
    assert Simulation(config, start=START).advance(START - 1) == []


def test_every_envelope_is_valid_and_in_time_order(day, outage_day):
    for envs in (day, outage_day):
        for env in envs:
            assert parse_envelope(env.model_dump_json()) == env
            assert env.source == "simulator"
            assert START <= env.ts <= START + TWO_HOURS
        assert [e.ts for e in envs] == sorted(e.ts for e in envs)
        assert {e.kind for e in envs} <= {"agent", "contact", "outage", "customer"}


def test_starts_with_every_agent_and_a_busy_floor(config, day):
    first = [e for e in day if e.ts == START]
    agents = [e for e in first if e.kind == "agent"]
    assert len(agents) == 24 == len({e.data["name"] for e in agents})
    states = collections.Counter(e.data["state"] for e in agents)
    assert states["on_contact"] + states["wrap"] >= 8  # warmed up, not an empty floor
    assert {e.data["team"] for e in agents} == {"North", "South", "Digital"}
    voice = {q.id for q in config.queues if q.channel == "voice"}
    for env in agents:
        skills = set(env.data["skills"])
        if env.data["team"] == "Digital":
            assert skills == {"chat", "email"}
        else:
            assert 2 <= len(skills & voice) <= 3
    assert any("chat" in e.data["skills"] and e.data["team"] != "Digital" for e in agents)


def test_routing_takes_the_most_overdue_contact_and_the_longest_idle_agent(config, day):
    threshold = {q.id: q.sl_threshold for q in config.queues}
    waiting = {}  # contact id: (queue, enqueued_at)
    agents = {}
    picks = arrivals = 0
    for env in day:
        d = env.data
        if env.kind == "contact" and d["event"] == "offered":
            waiting[env.id] = (d["queue"], d["enqueued_at"])
        elif env.kind == "contact":
            waiting.pop(env.id, None)
        elif env.kind == "agent" and d["state"] == "on_contact" and env.ts > START + 60:
            queue, enqueued = waiting.pop(d["contact_id"])
            overdue = (env.ts - enqueued) / threshold[queue]
            for q, other in waiting.values():
                if q in d["skills"]:
                    assert (env.ts - other) / threshold[q] <= overdue + 1e-9
            picks += 1
            if enqueued == env.ts:  # routed on arrival
                idle = [a for a in agents.values() if a["state"] == "available"]
                idle = [a["since"] for a in idle if queue in a["skills"]]
                assert agents[env.id]["since"] == min(idle)
                arrivals += 1
        if env.kind == "agent":
            agents[env.id] = d
    assert picks > 200 and arrivals > 50


def test_contacts_follow_their_lifecycle(day):
    events = collections.defaultdict(list)
    for env in contacts(day):
        events[env.id].append(env)
    allowed = {  # "ringing": offered at the agent who answers it
        ("offered", "ringing", "answered", "completed"),
        ("offered", "ringing", "answered"),
        ("offered", "ringing"),
        ("offered", "abandoned"),
        ("offered",),
        ("ringing", "answered", "completed"),  # ringing at start
        ("ringing", "answered"),
        ("ringing",),
        ("answered", "completed"),  # in progress at start
        ("answered",),
    }

    def event(d: dict) -> str:
        return "ringing" if d["event"] == "offered" and d["agent_id"] else d["event"]

    for cid, envs in events.items():
        assert cid[0] == "c" and len(cid) == 7
        assert tuple(event(e.data) for e in envs) in allowed, cid
        last = envs[-1].data
        if last["event"] == "completed":
            assert last["answered_at"] <= last["ended_at"] <= envs[-1].ts
            assert envs[-1].ts == pytest.approx(last["ended_at"] + last["wrap"], abs=0.01)
            assert last["talk"] > 0 and last["agent_id"]


def test_agents_carry_their_contact_and_reason(day):
    for env in day:
        if env.kind == "agent":
            d = env.data
            assert (d["contact_id"] is not None) == (d["state"] in ("on_contact", "wrap"))
            assert (d["reason"] is not None) == (d["state"] == "away")
            if d["state"] == "away":
                assert d["reason"] in ("break", "lunch", "training", "coaching")


def test_every_agent_state_and_lunch_happen(day):
    moves = [e for e in day if e.kind == "agent" and e.ts > START]
    assert {e.data["state"] for e in moves} == set(AGENT_STATES)
    assert "lunch" in {e.data["reason"] for e in moves}


def test_the_floor_is_busy_but_not_saturated(day):
    spent = state_seconds(day, START + TWO_HOURS)
    busy = spent["on_contact"] + spent["wrap"]
    assert 0.78 <= busy / (busy + spent["available"]) <= 0.92


def test_long_waits_abandon_and_some_call_back(day):
    abandoned = contacts(day, "abandoned")
    assert len(abandoned) >= 5
    assert all(e.data["ended_at"] > e.data["enqueued_at"] for e in abandoned)
    assert any(e.data["ended_at"] - e.data["enqueued_at"] < 5 for e in abandoned)  # short ones
    assert any(e.data["ended_at"] - e.data["enqueued_at"] > 60 for e in abandoned)
    offers = collections.defaultdict(list)
    for env in contacts(day, "offered"):
        offers[env.data["customer_id"]].append(env.ts)
    back = [
        a for a in abandoned if any(a.ts < t <= a.ts + 1200 for t in offers[a.data["customer_id"]])
    ]
    assert len(back) >= 0.25 * len(abandoned)  # tried again within 20 minutes


def test_some_customers_call_repeatedly_and_some_are_vips(day):
    offered = contacts(day, "offered")
    per_customer = collections.Counter(e.data["customer_id"] for e in offered)
    assert per_customer.most_common(1)[0][1] >= 3
    assert 0.6 <= len(per_customer) / len(offered) <= 0.98  # mostly different people
    vip = sum("vip" in e.data["tags"] for e in offered) / len(offered)
    at_risk = sum("at-risk" in e.data["tags"] for e in offered) / len(offered)
    assert 0.01 <= vip <= 0.1 and 0.005 <= at_risk <= 0.08


def test_voice_handle_times_are_minutes_not_seconds(day):
    done = [e.data for e in contacts(day, "completed")]
    voice = [d["talk"] + d["hold"] + d["wrap"] for d in done if d["channel"] == "voice"]
    assert 240 <= sum(voice) / len(voice) <= 330
    assert any(d["hold"] > 0 for d in done) and any(d["hold"] == 0 for d in done)
    assert all(20 <= d["wrap"] <= 60 for d in done)


def test_the_morning_is_busier_than_the_small_hours(config, day):
    """The day has its shape (quiet nights, the lunch peak), but a night is never dead."""
    night = simulate(config, start=datetime(2025, 3, 11, 3, 0, tzinfo=LONDON).timestamp())
    assert len(contacts(night, "offered")) < 0.45 * len(contacts(day, "offered"))
    assert len(contacts(night, "offered")) > 0.15 * len(contacts(day, "offered"))


def test_an_outage_is_declared_and_floods_its_queues(day, outage_day):
    outages = [e for e in outage_day if e.kind == "outage"]
    assert len(outages) == 1
    outage = outages[0]
    assert outage.id == "out-1" and outage.ts == pytest.approx(START + 60)
    assert sorted(outage.data["queues"]) == ["billing", "faults"]
    assert outage.data["eta"] > outage.ts and outage.data["offer"]
    assert not [e for e in day if e.kind == "outage"]
    with_outage, without = offered_by_queue(outage_day), offered_by_queue(day)
    for queue in ("billing", "faults"):
        assert with_outage[queue] > 1.3 * without[queue]  # surge 1.6 less random noise


def test_the_aggregator_sees_the_same_queue_as_the_simulator(config, day):
    agg = Aggregator(config)
    for env in day:
        agg.apply(env)
    end = START + TWO_HOURS
    for queue in config.queues:
        mine = [e for e in contacts(day) if e.data["queue"] == queue.id]
        latest = {e.id: e.data["event"] for e in mine}
        s = agg.stats(queue.id, end)
        assert s["waiting"] == sum(event == "offered" for event in latest.values())
        assert s["answered"] == sum(e.data["event"] == "answered" for e in mine)
        if queue.channel != "email":
            assert s["service_level"] is not None


class FlakyBus:
    """Refuses the first publish like a restarting Redis, then records; stops the run later.
    Its ``client`` (a real Redis) keeps the intervals and forecasts of the day."""

    def __init__(self, stop, calls, client):
        self.stop, self.calls, self.batches = stop, calls, []
        self.client, self.prefix = client.client, client.prefix

    def publish_many(self, envs, now=None):
        self.batches.append(list(envs))
        if len(self.batches) == 1:
            raise redis.ConnectionError("Connection refused")
        if len(self.batches) >= self.calls:
            self.stop.set()
        return list(range(len(self.batches[-1])))


def test_run_publishes_the_floor_and_survives_a_redis_error(config, bus):
    stop = threading.Event()
    config = config.model_copy(update={"redis": config.redis.model_copy(
        update={"prefix": bus.prefix})})  # fmt: skip
    bus = FlakyBus(stop, calls=40, client=bus)
    ticks = itertools.count()
    clock = lambda: START + next(ticks) * 0.5  # noqa: E731 — half a second per tick
    run(bus, config, seed=1, speed=10, stop=stop, tick=0.001, clock=clock)

    refused, retried = bus.batches[0], bus.batches[1]
    assert retried == refused  # nothing lost: the refused batch is published whole
    # The first publish is the centre's day so far: every agent, from six hours back.
    assert len({e.id for e in refused if e.kind == "agent"}) == 24
    assert min(e.ts for e in refused) == pytest.approx(START - 6 * 3600, abs=60)
    published = [e for batch in bus.batches[1:] for e in batch]
    first_stats = {e.id: e for e in published if e.kind == "queue"}
    assert set(first_stats) == {q.id for q in config.queues}
    assert first_stats["billing"].data["offered"] > 100  # today's totals, not a cold start
    assert any(e.kind == "contact" for e in published)
    heartbeats = [e for e in published if e.kind == "heartbeat"]
    assert heartbeats and heartbeats[0].id == "simulator"
    assert 3 <= len(heartbeats) <= 5  # every 5 s over about 20 s
    queue_batches = sum(any(e.kind == "queue" for e in b) for b in bus.batches[1:])
    assert 15 <= queue_batches <= 25  # once a second, not every tick
    assert max(e.ts for e in published) <= START + 30 * 10  # about 25 s at speed 10
    assert not any(e.kind == "outage" for e in published)  # no outage unless asked for


def test_customers_are_people_published_before_their_first_contact(day):
    published, profiles = set(), {}
    for env in day:
        if env.kind == "customer":
            published.add(env.id)
            profiles[env.id] = env.data
        elif env.kind == "contact":
            assert env.data["customer_id"] in published
    assert len(profiles) > 100
    names = {p["name"] for p in profiles.values()}
    assert len(names) > 0.5 * len(profiles)  # names vary
    assert all(p["name"] and p["preferred_name"] and p["region"] and p["products"]
               for p in profiles.values())  # fmt: skip
    for key in ("segment", "region"):
        assert len({p[key] for p in profiles.values()}) >= 4
    with_cases = [p for p in profiles.values() if p["cases"]]
    assert with_cases and all(c["reason"] and c["id"].startswith("C-")
                              for p in with_cases for c in p["cases"])  # fmt: skip
    assert any(p["callbacks"] for p in with_cases)


def test_a_contact_rings_at_its_agent_before_it_is_answered_and_says_why(day):
    events = collections.defaultdict(list)
    for env in contacts(day):
        events[env.id].append(env.data)
    answered = [evs for evs in events.values() if evs[-1]["event"] == "completed"]
    assert len(answered) > 50
    for evs in answered:
        kinds = [(d["event"], d["agent_id"]) for d in evs]
        agent = evs[-1]["agent_id"]
        if kinds[0] == ("offered", None):
            assert ("offered", agent) in kinds  # it rang at the agent who answered it
            assert kinds.index(("offered", agent)) < kinds.index(("answered", agent))
        assert all(d["reason"] for d in evs)
        assert evs[-1]["outcome"]


def test_the_outage_names_who_it_hits_and_they_are_who_calls(outage_day):
    (outage,) = [e for e in outage_day if e.kind == "outage"]
    assert outage.data["regions"] == ["North East"] and outage.data["services"] == ["Electricity"]
    assert outage.data["offer_amount"] == 25
    profiles = {e.id: e.data for e in outage_day if e.kind == "customer"}
    after = [e.data for e in contacts(outage_day, "offered") if e.ts > outage.ts
             and e.data["queue"] in ("billing", "faults")]  # fmt: skip
    north_east = [d for d in after if profiles[d["customer_id"]]["region"] == "North East"]
    assert len(north_east) > 0.3 * len(after)  # the surge comes from the affected region
    assert any(d["reason"] == "power cut" for d in north_east)


def test_the_featured_agent_is_on_a_contact_within_a_minute_and_stays_on_the_floor(config):
    """The demo suggests one agent's tab: they must have a card to show, and keep having one."""
    envs = simulate(config, seconds=3600, featured="a01", outage=True)
    answered = [e for e in contacts(envs, "answered") if e.data.get("agent_id") == "a01"]
    first = min(e.ts for e in answered) if answered else None
    start_state = next(e for e in envs if e.kind == "agent" and e.id == "a01")
    on_contact_at_start = start_state.data["contact_id"] is not None
    assert on_contact_at_start or (first is not None and first <= START + 60)
    states = [e.data["state"] for e in envs if e.kind == "agent" and e.id == "a01"]
    assert "away" not in states and "offline" not in states
    assert sorted(start_state.data["skills"]) == ["billing", "faults"]  # what the outage floods
    assert len(answered) >= 6  # an hour of work: contact after contact


def test_run_declares_the_scenario_outage_through_the_audited_service(config, bus):
    """The demo's own outage is in the audit log and on its timeline, as a supervisor's is."""
    from feeds.notices.audit import AuditLog
    from feeds.notices.outages import Outages

    stop = threading.Event()
    ticks = itertools.count()
    clock = lambda: START + next(ticks) * 1.0  # noqa: E731 — a second per tick
    started = threading.Thread(
        target=run, args=(bus, config),
        kwargs={"seed": 1, "speed": 10, "outage": True, "stop": stop, "tick": 0.001,
                "clock": clock},
    )  # fmt: skip
    started.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not AuditLog(bus.client, bus.prefix).read():
        time.sleep(0.2)
    stop.set()
    started.join(30)
    (entry,) = AuditLog(bus.client, bus.prefix).read()
    assert (entry["actor"], entry["action"], entry["kind"]) == ("simulator", "declare", "outage")
    (active,) = Outages(bus, config).list()["active"]
    assert active["service"].startswith("Power network") and active["id"] == entry["id"]
    assert Outages(bus, config).get(active["id"])["timeline"][0]["actor"] == "simulator"


def email_waits(envs):
    answered = [e.data for e in contacts(envs, "answered") if e.data["channel"] == "email"]
    return sum(d["answered_at"] - d["enqueued_at"] for d in answered) / len(answered)


def test_blended_routing_answers_email_sooner_than_queue_by_queue(config) -> None:
    """The same arrivals, routed two ways: in arrival order with skills, an email waits only
    for what came before it; queue by queue, it waits for every call and chat."""
    morning = datetime(2025, 3, 11, 8, 0, tzinfo=LONDON).timestamp()
    day = {"start": morning, "agents": 40, "seconds": 12 * 3600}
    blended = simulate(config, **day, routing="blended")
    by_queue = simulate(config, **day, routing="queue_priority")
    assert email_waits(blended) < email_waits(by_queue) * 0.8
    with pytest.raises(ValueError, match="routing must be one of overdue, blended"):
        Simulation(config, start=START, routing="random")
