-- Dedup + enqueue of one platform's events, and (when asked) a token from its shared rate-limit bucket for each.
-- KEYS: 1 the stream, 2 the rate-limit bucket (a hash, read only when ARGV[2] > 0), then two per event: its dedup key
-- and its body's key (for a body kept apart: written just before this script, with a short TTL, by a plain SET, since
-- a large body passed here would be copied and hashed byte by byte by Lua; unused for a body passed inline).
-- ARGV: 1 dedup TTL (s), 2 bucket size (0: no shared limit), 3 refill per minute, then 9 values per event: 7 entry
-- fields, the body or its ref, and the field it goes in: `envelope` (inline) or `envelope_ref` (kept apart).
-- Answers two values per event: 1, entry id (accepted; its body kept for as long as the entry needs it); 0, first
-- copy's id (duplicate); 2, ms until a token is back (rate-limited); 3, 0 (its body is not there: the SET was refused
-- or the key evicted). Only an accepted event leaves anything written: the body kept apart of any other is deleted.
-- With a shared limit a duplicate is answered as such without taking a token.
local out = {}
local burst = tonumber(ARGV[2])
local perMs = tonumber(ARGV[3]) / 60000
local tokens, now
if burst > 0 then
  -- Milliseconds: 13 digits, exact in a Lua number and in its text form (14 significant digits).
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local b = redis.pcall('HMGET', KEYS[2], 'tokens', 'at')
  if type(b) ~= 'table' or b.err then
    -- Not a hash (written by hand): start afresh rather than refuse the platform for ever.
    redis.call('DEL', KEYS[2])
    b = {}
  end
  tokens = tonumber(b[1])
  local at = tonumber(b[2])
  -- Missing, or not a number the bucket could hold (NaN, infinities, out of range): a full bucket.
  if tokens == nil or at == nil or tokens ~= tokens or at ~= at or tokens < 0 or tokens > burst or at > now + 60000 then
    tokens = burst
  else
    -- A smaller bucket (the file changed) clamps what is left; a server's clock may step back.
    tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
  end
end
for e = 1, (#KEYS - 2) / 2 do
  local dedup, body = KEYS[1 + 2 * e], KEYS[2 + 2 * e]
  local a = (e - 1) * 9 + 3
  local apart = ARGV[a + 9] == 'envelope_ref'
  local seen = burst > 0 and redis.call('GET', dedup)
  if seen then
    if apart then redis.call('DEL', body) end
    out[#out + 1] = 0
    out[#out + 1] = seen
  elseif burst > 0 and tokens < 1 then
    if apart then redis.call('DEL', body) end
    out[#out + 1] = 2
    -- At most the time one token takes from empty.
    out[#out + 1] = math.min(math.ceil((1 - tokens) / perMs), math.ceil(1 / perMs))
  elseif apart and redis.call('EXISTS', body) == 0 then
    out[#out + 1] = 3
    out[#out + 1] = 0
  else
    if burst > 0 then tokens = tokens - 1 end
    local id = redis.call('XADD', KEYS[1], '*', 'event_id', ARGV[a + 1], 'platform', ARGV[a + 2], 'event_type', ARGV[a + 3],
      'source_event_type', ARGV[a + 4], 'received_at', ARGV[a + 5], 'payload_pointer', ARGV[a + 6], 'timestamp', ARGV[a + 7],
      apart and 'envelope_ref' or 'envelope', ARGV[a + 8])
    local first = redis.call('SET', dedup, id, 'NX', 'GET', 'EX', ARGV[1])
    if first then
      redis.call('XDEL', KEYS[1], id)
      if apart then redis.call('DEL', body) end
      out[#out + 1] = 0
      out[#out + 1] = first
    else
      -- Kept last: a command failing above leaves the body to expire.
      if apart then redis.call('PERSIST', body) end
      out[#out + 1] = 1
      out[#out + 1] = id
    end
  end
end
if burst > 0 then
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens), 'at', tostring(now))
  -- Gone once it would be full again anyway.
  redis.call('PEXPIRE', KEYS[2], math.ceil(burst / perMs) + 1000)
end
return out
