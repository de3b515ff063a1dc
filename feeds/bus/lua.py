"""The bus's Redis script: writes (each: the ordering rule, the latest value, the raw stream,
the customer's history, the notification, and an event id's guard), one or many in one atomic
call, and its sharded form for a Redis 7 cluster. Read with :mod:`feeds.bus.bus`, which
registers and calls it: every write goes through it, a single one as a call of one."""

from __future__ import annotations

from feeds.bus.ordering import SUPERSEDES_LUA
from feeds.customers.history import CARRY_LUA

# One write, as the script below calls it for each item:
# KEYS: seq, state hash, order keys hash, gone zset[, stream (contacts' or agents'), customer's
#       contacts hash, customer's contacts by time]
# ARGV: id, envelope JSON without seq, channel, retain, maxlen, order key, now (the receiver's
#       clock), forget before, trust until[, summary JSON, enqueued_at, oldest enqueued_at kept,
#       contacts kept, seconds to keep]
# The ordering rule (feeds.bus.ordering) decides first: an event that does not supersede the
# item's remembered key changes nothing and is not published (it returns 0); a superseded
# contact event still goes to the raw stream, with seq 0, for consumers that keep history.
# Keys of items that have gone (deleted, finished contacts) are remembered in the gone zset by
# the receiver's time they went and forgotten ``remember`` later, a few per write, at the end
# of each call (WRITES_LUA, once for the call's writes of each kind). A contact's
# customer history takes the contact's latest event, the same one as the live state; its
# reason and outcome carry over when the later event does not say them (CARRY_LUA).
WRITE_LUA = """
local old = redis.call('HGET', KEYS[3], ARGV[1])
local wins = not old or supersedes(ARGV[6], old, tonumber(ARGV[9]))
if not wins then
  if #KEYS >= 5 and old and old ~= ARGV[6] then
    redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', 'e',
               '{"seq":0,' .. string.sub(ARGV[2], 2))
  end
  return 0
end
local seq = redis.call('INCR', KEYS[1])
local env = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[6])
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[2], ARGV[1], env)
  redis.call('ZREM', KEYS[4], ARGV[1])
else
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
end
if #KEYS >= 5 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[5], '*', 'e', env)
end
if #KEYS == 7 then
  local kept = ARGV[10]
  if redis.call('ZADD', KEYS[7], ARGV[11], ARGV[1]) == 0 then  -- the history holds it already
    kept = carry(kept, redis.call('HGET', KEYS[6], ARGV[1]))
  end
  redis.call('HSET', KEYS[6], ARGV[1], kept)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[7], '-inf', '(' .. ARGV[12])
  local over = redis.call('ZCARD', KEYS[7]) - #gone - tonumber(ARGV[13])
  if over > 0 then
    for _, id in ipairs(redis.call('ZRANGE', KEYS[7], #gone, #gone + over - 1)) do
      gone[#gone + 1] = id
    end
  end
  if #gone > 0 then
    redis.call('ZREM', KEYS[7], unpack(gone))
    redis.call('HDEL', KEYS[6], unpack(gone))
  end
  redis.call('EXPIRE', KEYS[6], ARGV[14])
  redis.call('EXPIRE', KEYS[7], ARGV[14])
end
redis.call('PUBLISH', ARGV[3], env)
return seq
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
# seconds to keep and an event id's seconds; KEYS: seq, the contacts and agents streams, each
# kind's state, order and gone keys (ARGV[10] kinds), then each item's own keys in turn. Per item,
# ARGV: its shape ('c' a contact with its stream and customer history, 'a' an agent with its
# stream, 'p' plain; upper case: with an event id), the KEYS index of its kind's keys, id,
# envelope, retain, order key, and for 'c' the summary, enqueued_at and oldest enqueued_at kept;
# KEYS: for 'c' the customer's two keys, then with an event id its key. Returns each write's
# result: its sequence number, or 0 when it wrote nothing (an older event, a re-delivery, an event
# id written before).
WRITES_LUA = (
    SUPERSEDES_LUA
    + CARRY_LUA
    + "local function write(KEYS, ARGV)\n"
    + WRITE_LUA
    + "end\n"
    + """
local channel, maxlen, now, forget, trust = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local kept, ttl, id_ttl = ARGV[7], ARGV[8], ARGV[9]
local out, k, a = {}, 4 + 3 * tonumber(ARGV[10]), 11
for i = 1, tonumber(ARGV[1]) do
  local shape, b = ARGV[a], tonumber(ARGV[a + 1])
  local keys = {KEYS[1], KEYS[b], KEYS[b + 1], KEYS[b + 2]}
  local args = {ARGV[a + 2], ARGV[a + 3], channel, ARGV[a + 4], maxlen, ARGV[a + 5], now, forget,
                trust}
  a = a + 6
  local plain_shape = string.lower(shape)
  if plain_shape == 'c' then
    keys[5], keys[6], keys[7] = KEYS[2], KEYS[k], KEYS[k + 1]
    args[10], args[11], args[12], args[13], args[14] = ARGV[a], ARGV[a + 1], ARGV[a + 2], kept, ttl
    k, a = k + 2, a + 3
  elseif plain_shape == 'a' then
    keys[5] = KEYS[3]
  end
  if plain_shape == shape then
    out[i] = write(keys, args)
  else
    local first = redis.call('SET', KEYS[k], '1', 'NX', 'EX', id_ttl)
    k = k + 1
    out[i] = first and write(keys, args) or 0
  end
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
