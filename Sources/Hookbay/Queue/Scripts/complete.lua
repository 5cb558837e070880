-- Settles completed entries and, for each one this call acknowledged, adds its forwarding deliveries (the fan-out):
-- an entry settled by another consumer after a takeover is neither counted nor fanned out again.
-- KEYS: 1 stream, 2 processed counter, 3 attempts, 4 retry schedule, 5 interrupted, 6.. destination lanes' streams.
-- ARGV: 1 group, 2 n, 3..2+n ids, then per delivery: the index of its entry (1..n), its lane's key index (6..), the
-- number m of field/value values, and those m values.
local n = tonumber(ARGV[2])
local ids = {unpack(ARGV, 3, 2 + n)}
local acked = 0
local settled = {}
if #KEYS == 5 then
  acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
else
  for i = 1, n do
    if redis.call('XACK', KEYS[1], ARGV[1], ids[i]) == 1 then
      settled[i] = true
      acked = acked + 1
    end
  end
  local a = 3 + n
  while a <= #ARGV do
    local m = tonumber(ARGV[a + 2])
    if settled[tonumber(ARGV[a])] then
      redis.call('XADD', KEYS[tonumber(ARGV[a + 1])], '*', unpack(ARGV, a + 3, a + 2 + m))
    end
    a = a + 3 + m
  end
end
redis.call('XDEL', KEYS[1], unpack(ids))
redis.call('HDEL', KEYS[3], unpack(ids))
redis.call('ZREM', KEYS[4], unpack(ids))
redis.call('HDEL', KEYS[5], unpack(ids))
if acked > 0 then redis.call('INCRBY', KEYS[2], acked) end
return acked
