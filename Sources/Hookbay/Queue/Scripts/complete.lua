-- Settles completed entries and, for each one this call acknowledged, adds its forwarding deliveries (the fan-out):
-- an entry settled by another consumer after a takeover is neither counted nor fanned out again.
-- A lane holding its destination's backlog limit already gets nothing more: the delivery goes to the lane's dead
-- letters instead, saying so (replayable once the destination drains).
-- An entry's body written apart (`envelope_ref`) is deleted with it, when this call deletes the entry: one that another
-- consumer dead-lettered meanwhile keeps its body for its dead-letter entry.
-- A delivery's body of 1 KiB or more is kept apart too (`envelope_ref`): written just before this script, with a short
-- TTL, by a plain SET (Lua would copy and hash every byte of it); kept (PERSIST) with the delivery's entry, deleted when
-- the delivery is not added. A body missing (its SET refused by a full Redis, or evicted) fails the call with
-- BODYMISSING before any write; the caller sends it again with every body among its delivery's fields.
-- KEYS: 1 stream, 2 processed counter, 3 attempts, 4 retry schedule, 5 interrupted, then the entries' body keys, then,
-- as the deliveries first name them, each lane's stream followed by its dead-letter stream, and each delivery's body
-- key.
-- ARGV: 1 group, 2 n, 3..2+n ids, 3+n..2+2n each id's body key (its index in KEYS, 0 for none), then per delivery: the
-- index of its entry (1..n), its lane's key index, its dead-letter stream's key index, the lane's backlog limit, its
-- body key's index (0: its body is among its fields), the number m of field/value values, and those m values.
local n = tonumber(ARGV[2])
local ids = {unpack(ARGV, 3, 2 + n)}
local acked = 0
local settled = {}
if #ARGV == 2 + 2 * n then
  acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
else
  local a = 3 + 2 * n
  while a <= #ARGV do
    local body = tonumber(ARGV[a + 4])
    if body > 0 and redis.call('EXISTS', KEYS[body]) == 0 then
      return redis.error_reply('BODYMISSING a forwarding delivery\'s body is missing (' .. KEYS[body] ..
        '): its SET was refused (out of memory? read-only?) or the key evicted; nothing was settled')
    end
    a = a + 6 + tonumber(ARGV[a + 5])
  end
  for i = 1, n do
    if redis.call('XACK', KEYS[1], ARGV[1], ids[i]) == 1 then
      settled[i] = true
      acked = acked + 1
    end
  end
  a = 3 + 2 * n
  local now
  while a <= #ARGV do
    local body = tonumber(ARGV[a + 4])
    local m = tonumber(ARGV[a + 5])
    if settled[tonumber(ARGV[a])] then
      local lane = KEYS[tonumber(ARGV[a + 1])]
      local waiting = redis.call('XLEN', lane)
      if waiting < tonumber(ARGV[a + 3]) then
        redis.call('XADD', lane, '*', unpack(ARGV, a + 6, a + 5 + m))
      else
        if not now then
          local t = redis.call('TIME')
          now = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
        end
        local fields = {unpack(ARGV, a + 6, a + 5 + m)}
        for _, v in ipairs({'error', 'the destination\'s backlog is full (' .. waiting .. ' deliveries waiting): not queued',
            'attempts', '0', 'original_id', ids[tonumber(ARGV[a])], 'failed_at', now}) do
          fields[#fields + 1] = v
        end
        redis.call('XADD', KEYS[tonumber(ARGV[a + 2])], '*', unpack(fields))
      end
      if body > 0 then redis.call('PERSIST', KEYS[body]) end
    elseif body > 0 then
      redis.call('DEL', KEYS[body])
    end
    a = a + 6 + m
  end
end
for i = 1, n do
  local body = tonumber(ARGV[2 + n + i])
  if redis.call('XDEL', KEYS[1], ids[i]) == 1 and body > 0 then redis.call('DEL', KEYS[body]) end
end
redis.call('HDEL', KEYS[3], unpack(ids))
redis.call('ZREM', KEYS[4], unpack(ids))
redis.call('HDEL', KEYS[5], unpack(ids))
if acked > 0 then redis.call('INCRBY', KEYS[2], acked) end
return acked
