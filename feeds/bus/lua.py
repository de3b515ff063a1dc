"""The bus's Redis script: writes (each: the ordering rule, the latest value, the raw stream,
the customer's history, the notification, and an event id's guard), one or many in one atomic
call, and its sharded form for a Redis 7 cluster. Read with :mod:`feeds.bus.bus`, which
registers and calls it: every write goes through it, a single one as a call of one."""

from __future__ import annotations

from feeds.bus.ordering import SUPERSEDES_LUA
from feeds.customers.history import CARRY_LUA

# One write, as the script below calls it for each item, reading the call's KEYS and ARGV in
# place (no tables of its own: a flat-out replay's hundred writes a call spent a tenth of
# Redis's time building them): ``b`` the KEYS index of its kind's state hash, order keys hash
# and gone zset; ``stream`` the stream it goes to (contacts' or agents'; nil: none); ``ck`` the
# KEYS index of its customer's contacts hash and contacts by time (nil: none); ``a`` the ARGV
# index of its id, then envelope JSON without seq, retain, order key[, summary JSON,
# enqueued_at, its time]. What every write of a call shares (channel, maxlen, now, forget
# before, trust until, contacts kept, the history's TTL, seconds it keeps) are the call's locals.
# The ordering rule (feeds.bus.ordering) decides first: an event that does not supersede the
# item's remembered key changes nothing and is not published (it returns 0); a superseded
# contact event still goes to the raw stream, with seq 0, for consumers that keep history.
# Keys of items that have gone (deleted, finished contacts) are remembered in the gone zset by
# the receiver's time they went and forgotten ``remember`` later, a few per write, at the end
# of each call (WRITES_LUA, once for the call's writes of each kind). A contact's
# customer history takes the contact's latest event, the same one as the live state; its
# reason and outcome carry over when the later event does not say them (CARRY_LUA).
WRITE_LUA = """
local function write(b, stream, ck, a)
  local id, order_key = ARGV[a], ARGV[a + 3]
  local state, order, gone = KEYS[b], KEYS[b + 1], KEYS[b + 2]
  local old = redis.call('HGET', order, id)
  local wins = not old or supersedes(order_key, old, trust)
  if not wins then
    if stream and old ~= order_key then
      redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e',
                 '{"seq":0,' .. string.sub(ARGV[a + 1], 2))
    end
    return 0
  end
  seq = seq + 1
  local env = '{"seq":' .. seq .. ',' .. string.sub(ARGV[a + 1], 2)
  redis.call('HSET', order, id, order_key)
  -- an item without an order key is in neither the state nor the gone items: both are written
  -- with its key, and its key is forgotten only after it went (the most of a replay's writes)
  if ARGV[a + 2] == '1' then
    redis.call('HSET', state, id, env)
    if old then
      redis.call('ZREM', gone, id)
    end
  else
    if old then
      redis.call('HDEL', state, id)
    end
    redis.call('ZADD', gone, now, id)
  end
  if stream then
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'e', env)
  end
  if ck then
    local history, by_time = KEYS[ck], KEYS[ck + 1]
    local summary = ARGV[a + 4]
    if redis.call('ZADD', by_time, ARGV[a + 5], id) == 0 then  -- the history holds it already
      summary = carry(summary, redis.call('HGET', history, id))
    end
    redis.call('HSET', history, id, summary)
    -- what was enqueued before the oldest time kept (the write's time less the seconds kept),
    -- unless the history is this contact alone (a new customer's, the most) and it was not
    local oldest = tonumber(ARGV[a + 6]) - keep
    local count, drop = redis.call('ZCARD', by_time), {}
    if count > 1 or tonumber(ARGV[a + 5]) < oldest then
      drop = redis.call('ZRANGEBYSCORE', by_time, '-inf', string.format('(%.17g', oldest))
    end
    local over = count - #drop - kept
    if over > 0 then
      for _, old_id in ipairs(redis.call('ZRANGE', by_time, #drop, #drop + over - 1)) do
        drop[#drop + 1] = old_id
      end
    end
    if #drop > 0 then
      redis.call('ZREM', by_time, unpack(drop))
      redis.call('HDEL', history, unpack(drop))
    end
    redis.call('EXPIRE', history, ttl)
    redis.call('EXPIRE', by_time, ttl)
  end
  redis.call('PUBLISH', channel, env)
  return seq
end
"""


# In a Redis 7+ cluster the notification goes to the shard that holds the keys (SPUBLISH), not
# to every node of the cluster: pub/sub traffic then grows with a shard's sites, not the cluster.
def as_sharded(script: str) -> str:
    return script.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'")


# The script: writes in one call (one, or a batch of publish_many), in order, each item exactly
# the write above; an item with an event id only if the id was not written before, marked in the
# same call as its write (a retry is dropped; a crash never marks an id whose write was lost). One
# call instead of one per envelope spares Redis and the client the per-command work; what every
# write of the call shares is sent once.
# ARGV: item count, then the channel, maxlen, now, forget before, trust until, contacts kept,
# a customer history's TTL, an event id's seconds, the number of kinds and the seconds a history
# keeps a contact (from its time); KEYS: seq, the contacts and agents streams, each kind's state,
# order and gone keys (ARGV[10] kinds), then each item's own keys in turn. Per item,
# ARGV: its shape ('c' a contact with its stream and customer history, 'a' an agent with its
# stream, 'p' plain; upper case: with an event id), the KEYS index of its kind's keys, id,
# envelope, retain, order key, and for 'c' the summary, enqueued_at and its time (ts);
# KEYS: for 'c' the customer's two keys, then with an event id its key. Returns each write's
# result: its sequence number, or 0 when it wrote nothing (an older event, a re-delivery, an event
# id written before).
WRITES_LUA = (
    SUPERSEDES_LUA
    + CARRY_LUA
    + """
local channel, maxlen, now, forget, trust = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local kept, ttl, id_ttl, keep = tonumber(ARGV[7]), ARGV[8], ARGV[9], tonumber(ARGV[11])
-- the bus's sequence number, counted here and stored once, after the call's writes
local seq = tonumber(redis.call('GET', KEYS[1]) or 0)
local first_seq = seq
"""
    + WRITE_LUA
    + """
local out, k, a = {}, 4 + 3 * tonumber(ARGV[10]), 12
local written, failure = pcall(function()
  for i = 1, tonumber(ARGV[1]) do
    local shape, b = ARGV[a], tonumber(ARGV[a + 1])
    local plain_shape = string.lower(shape)
    local stream, ck, at = nil, nil, a + 2
    if plain_shape == 'c' then
      stream, ck, k, a = KEYS[2], k, k + 2, a + 9
    else
      stream, a = plain_shape == 'a' and KEYS[3] or nil, a + 6
    end
    if plain_shape == shape then
      out[i] = write(b, stream, ck, at)
    else
      local first = redis.call('SET', KEYS[k], '1', 'NX', 'EX', id_ttl)
      k = k + 1
      out[i] = first and write(b, stream, ck, at) or 0
    end
  end
end)
-- the numbers the writes took are stored even when one failed (the writes before it stay)
if seq ~= first_seq then
  redis.call('SET', KEYS[1], seq)
end
if not written then
  error(failure)
end
-- gone keys due to be forgotten: up to 100 a write, for each kind the call wrote
for j = 0, tonumber(ARGV[10]) - 1 do
  local order, gone = KEYS[5 + 3 * j], KEYS[6 + 3 * j]
  local stale = redis.call('ZRANGEBYSCORE', gone, '-inf', '(' .. forget, 'LIMIT', 0,
                           100 * tonumber(ARGV[1]))
  for first = 1, #stale, 500 do  -- unpack takes a few thousand values at most
    local ids = {unpack(stale, first, math.min(first + 499, #stale))}
    redis.call('ZREM', gone, unpack(ids))
    redis.call('HDEL', order, unpack(ids))
  end
end
return out
"""
)
BULK = 100  # writes per script call: larger calls cost Redis more per write, not less
