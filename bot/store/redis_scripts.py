"""Lua scripts of the Redis store, each atomic, and how the store calls them.

Every key a script touches shares one hash tag with the keys it is given
(message hashes are built from the ``{out}`` prefix passed in ARGV), so each
runs on one Cluster slot, except the three said to be for one Redis
(QUEUE_INBOUND, CLAIM_AND_TAKE_TIMERS, APPLY), which the per-slot mode does
not use.
"""
from redis.client import Pipeline, Redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

# Shared pieces, put together into the scripts below (each script is still
# one atomic unit): record an inbound message; take a contact's lock and load
# what its holder reads first. They take keys and arguments one by one, not
# in tables: a script runs once per message, and each table it builds is work
# for Redis (the webhook's script cost half again as much with them).
_RECORD = """
local function record(seen, seqkey, inbound, pending, ttl, json)
  if not redis.call('SET', seen, '1', 'NX', 'EX', tonumber(ttl)) then return false end
  local seq = redis.call('INCR', seqkey)
  redis.call('HSET', inbound, seq, json)
  redis.call('ZADD', pending, seq, seq)
  return seq
end
"""

_LOCK_AND_LOAD = """
local function lock_and_load(lock, token, ttl_ms, pending, inbound, contact, session)
  if not redis.call('SET', lock, token, 'NX', 'PX', ttl_ms) then return false end
  local seqs = redis.call('ZRANGE', pending, 0, -1)
  local rows = {}
  if #seqs > 0 then rows = redis.call('HMGET', inbound, unpack(seqs)) end
  return {seqs, rows, redis.call('GET', contact), redis.call('GET', session)}
end
"""

# KEYS: seen, seq, inbound hash, pending zset. ARGV: ttl seconds, JSON of the message.
# A (channel, provider_id) seen before returns nil and takes no number.
RECORD_INBOUND = _RECORD + """
return record(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2])
"""

# A webhook that answers before the step (Store.queue_inbound): record the
# message and set the contact's drain timer, on the contact's slot; then put
# the timer on the schedule and wake a waiting worker, on {sched}.
# queue_contact KEYS: seen, seq, inbound hash, pending zset, timers hash.
# ARGV: seen ttl, message JSON, timer id, timer JSON. Returns seq, or 0 for a repeat.
_QUEUE_CONTACT = """
local function queue_contact(seen, seqkey, inbound, pending, timers, ttl, json, tid, timer)
  local seq = record(seen, seqkey, inbound, pending, ttl, json) or 0
  redis.call('HSET', timers, tid, timer)
  return seq
end
"""
# schedule_drain KEYS: schedule zset, owner hash, wake list. ARGV: timer id, due epoch, contact.
# The wake list is a doorbell, not a queue: a few rings (16 at most) wake a
# few workers, and each drains whatever is due.
_SCHEDULE_DRAIN = """
local function schedule_drain(schedule, owner, wake, tid, due, contact)
  redis.call('ZADD', schedule, due, tid)
  redis.call('HSET', owner, tid, contact)
  if redis.call('LLEN', wake) < 16 then redis.call('LPUSH', wake, '1') end
end
"""
QUEUE_CONTACT = _RECORD + _QUEUE_CONTACT + """
return queue_contact(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
"""
SCHEDULE_DRAIN = _SCHEDULE_DRAIN + """
return schedule_drain(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
"""
# Both at once on one Redis (not Cluster: the keys span two slots). KEYS: the
# five of queue_contact, then the three of schedule_drain; ARGV: the four of
# queue_contact, then due epoch, contact.
QUEUE_INBOUND = _RECORD + _QUEUE_CONTACT + _SCHEDULE_DRAIN + """
local seq = queue_contact(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
schedule_drain(KEYS[6], KEYS[7], KEYS[8], ARGV[3], ARGV[5], ARGV[6])
return seq
"""

# claim: removes due timer ids from the schedule (and their owner); returns
# id, contact, id, contact..., with what ``taken(id, contact)`` gives after
# each contact when it is given. take: a timer's data, get-and-delete:
# whoever deletes it owns it.
_CLAIM = """
local function claim(schedule, owner, now, limit, taken)
  local ids = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0, tonumber(limit))
  local out = {}
  for _, id in ipairs(ids) do
    redis.call('ZREM', schedule, id)
    local c = redis.call('HGET', owner, id)
    if c then
      redis.call('HDEL', owner, id)
      table.insert(out, id)
      table.insert(out, c)
      if taken then table.insert(out, taken(id, c)) end
    end
  end
  return out
end
"""
_TAKE = """
local function take(timers, id)
  local v = redis.call('HGET', timers, id)
  if v then redis.call('HDEL', timers, id) end
  return v
end
"""
# KEYS: schedule zset, owner hash. ARGV: now epoch, limit.
CLAIM_TIMERS = _CLAIM + """
return claim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], nil)
"""
# KEYS: a contact's timers hash. ARGV: timer id.
TAKE_TIMER = _TAKE + """
return take(KEYS[1], ARGV[1])
"""
# Both in one on one Redis (not Cluster: each timer's data is on its
# contact's slot, its key named here from ARGV). KEYS: schedule zset, owner
# hash. ARGV: now epoch, limit, and what comes before and after the contact
# in a timers hash's key. Returns id, contact, data ('' when gone), ...
CLAIM_AND_TAKE_TIMERS = _CLAIM + _TAKE + """
return claim(KEYS[1], KEYS[2], ARGV[1], ARGV[2], function(id, c) return take(ARGV[3] .. c .. ARGV[4], id) or '' end)
"""

# KEYS: seq, queue, all, to, message hash. ARGV: id, queue score ('' = not queued), field, value...
_ADD_OUTBOUND = """
local function add_outbound(K, A)
  local seq = redis.call('INCR', K[1])
  local member = string.format('%016d', seq) .. '|' .. A[1]
  local old = redis.call('HGET', K[5], '_q')
  if old then redis.call('ZREM', K[2], old) end
  redis.call('DEL', K[5])
  redis.call('HSET', K[5], '_q', member, '_seq', seq, unpack(A, 3))
  if A[2] ~= '' then redis.call('ZADD', K[2], A[2], member) end
  redis.call('ZADD', K[3], seq, A[1])
  redis.call('ZADD', K[4], seq, A[1])
  return seq
end
"""
ADD_OUTBOUND = _ADD_OUTBOUND + """
return add_outbound(KEYS, ARGV)
"""

# KEYS: queue. ARGV: now epoch, limit, lease-until epoch, lease-until JSON, message key prefix.
# Due queue members (queued, or 'sending' with a lapsed lease) move to the
# lease's end and become 'sending'; returns their ids.
LEASE_OUTBOUND = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local ids = {}
for _, m in ipairs(members) do
  local id = string.match(m, '^[^|]*|(.*)$')
  local key = ARGV[5] .. id
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[3], m)
    redis.call('HSET', key, 'status', '"sending"', 'lease_until', ARGV[4])
    table.insert(ids, id)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return ids
"""

# KEYS: message hash, queue. ARGV: mode ('queue' | 'dequeue' | 'keep'), score, field, value...
MARK_OUTBOUND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local member = redis.call('HGET', KEYS[1], '_q')
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if ARGV[1] == 'queue' then
  redis.call('HDEL', KEYS[1], 'lease_until')
  redis.call('ZADD', KEYS[2], ARGV[2], member)
elseif ARGV[1] == 'dequeue' then
  redis.call('ZREM', KEYS[2], member)
end
return 1
"""

# KEYS: a person's outbox index. ARGV: a message id, how many of the person's
# newest messages to look through, the message key prefix. Those written
# before that message and still queued or being sent, newest first, each as
# {id, status, channel, attempts, retry_at, lease_until} (JSON values; nil
# when unset); none when the message is not among the newest.
UNSENT_BEFORE = """
local out, found = {}, false
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)) do
  if found then
    local f = redis.call('HMGET', ARGV[3] .. id, 'status', 'channel', 'attempts', 'retry_at', 'lease_until')
    if f[1] == '"queued"' or f[1] == '"sending"' then
      table.insert(out, {id, f[1], f[2], f[3], f[4], f[5]})
    end
  elseif id == ARGV[1] then
    found = true
  end
end
return out
"""

# KEYS: the contact's lock, pending zset, inbound hash, contact, session.
# ARGV: token, ttl ms. Takes the lock (or returns nil) and, in the same round
# trip, loads what the step holding it reads first: its pending messages, the
# contact record and the session.
LOCK_AND_LOAD = _LOCK_AND_LOAD + """
return lock_and_load(KEYS[1], ARGV[1], ARGV[2], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
"""

# RECORD_INBOUND then LOCK_AND_LOAD in one round trip (RedisStore.receive).
# KEYS: seen, seq, inbound hash, pending zset, lock, contact, session.
# ARGV: seen ttl, message JSON, token, lock ttl ms.
# Returns {seq or 0 (a repeat), locked 0/1, seqs, rows, contact, session}.
RECEIVE = _RECORD + _LOCK_AND_LOAD + """
local seq = record(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2]) or 0
local got = lock_and_load(KEYS[5], ARGV[3], ARGV[4], KEYS[4], KEYS[3], KEYS[6], KEYS[7])
if not got then return {seq, 0} end
return {seq, 1, got[1], got[2], got[3], got[4]}
"""

# KEYS: lock. ARGV: token. Delete only our own lock.
_RELEASE = """
local function release(K, A)
  if redis.call('GET', K[1]) == A[1] then return redis.call('DEL', K[1]) end
  return 0
end
"""
RELEASE_LOCK = _RELEASE + """
return release(KEYS, ARGV)
"""

# One step's writes on one Redis (not Cluster: its keys span slots), in one
# round trip with one reply (RedisTx.commit): what a MULTI/EXEC of them would
# do. ARGV: for each command its name, how many of the next KEYS are its
# keys, how many ARGV follow as its arguments, then those. ADD_OUTBOUND and
# RELEASE_LOCK run as the functions above; any other name is a Redis command
# (one key, then its arguments). Written before any real write, nothing
# fails half-way but a wrong type, which our own keys never have. CHECKs come
# first (one key, one argument: the value the step read, '' for none) and
# write nothing: when any CHECK's key holds something else now, nothing at all
# is written and the reply is -1 (a contact record changed under the step:
# RedisTx, RedisBatching). Otherwise the reply is how many writes ran.
APPLY = _ADD_OUTBOUND + _RELEASE + """
local scripts = {ADD_OUTBOUND = add_outbound, RELEASE_LOCK = release}
local n, k, a = #ARGV, 1, 1
while a <= n and ARGV[a] == 'CHECK' do
  if (redis.call('GET', KEYS[k]) or '') ~= ARGV[a + 3] then return -1 end
  k, a = k + 1, a + 4
end
local done = 0
while a <= n do
  local name, nk, na = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local fn = scripts[name]
  if fn then
    fn({unpack(KEYS, k, k + nk - 1)}, {unpack(ARGV, a + 3, a + 2 + na)})
  else
    redis.call(name, KEYS[k], unpack(ARGV, a + 3, a + 2 + na))
  end
  k, a, done = k + nk, a + 3 + na, done + 1
end
return done
"""

# KEYS: the limiter's key. ARGV: now epoch, interval seconds, burst.
# GCRA as in bot/store/rates.py; returns the wait as a string (0 = go, counted).
RATE_WAIT = """
local now, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local early = tat - now - (burst - 1) * interval
if early > 0.000001 then return tostring(early) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((tat + interval - now) * 1000) + 1000)
return '0'
"""


class LuaScript(Script):
    """redis-py's registered script, called by EVALSHA straight through the
    client (``_evalsha``): redis-py's own ``Script`` call cost 13-14 µs more a
    call here than the same EVALSHA sent through ``execute_command``, on every
    message. Loaded again when Redis lost it (a restart, SCRIPT FLUSH); in a
    pipeline it works as redis-py's does."""

    def __call__(self, keys=None, args=None, client=None):
        client = self.registered_client if client is None else client
        # the exact type first: isinstance against redis-py's classes goes
        # through typing's Protocol check (~0.6 µs, on every message)
        if type(client) is not Redis and isinstance(client, Pipeline):
            return super().__call__(keys, args, client)
        keys, args = keys or [], args or []
        try:
            return self._evalsha(client, keys, args)
        except NoScriptError:
            self.sha = client.script_load(self.script)
            return self._evalsha(client, keys, args)

    def _evalsha(self, client, keys, args):
        conn = client.connection
        if conn is None:
            return client.execute_command("EVALSHA", self.sha, len(keys), *keys, *args)
        # A thread's own single-connection client (RedisStore.r): straight to
        # its connection, without redis-py's retry wrapper, lock and reply
        # callbacks (EVALSHA has none): 5-7 µs of a ~30 µs call here. Nothing
        # is lost with them: the store's clients never retry, and the
        # connection disconnects itself on any error of a write or a read, so
        # no half-read reply is left on it for the thread's next command.
        conn.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
        return conn.read_response()
