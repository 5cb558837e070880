-- Moves an entry to the dead-letter stream, with why it failed, and forgets its attempts, retry and interruptions.
-- KEYS: 1 stream, 2 dead-letter stream, 3 attempts, 4 retry schedule, 5 interrupted. ARGV: 1 group, 2 id, then the
-- dead-letter entry's field/value pairs. An entry whose body is kept apart (`envelope_ref`) and that is no longer in
-- the stream was settled by another consumer that took it over: it is not dead-lettered again, since that body is no
-- longer its own (deleted with a completion, or another dead letter's). An entry with its body inline is dead-lettered
-- even then, as before: a copy can only duplicate, never lose (Redis may have lost the stream, not the worker's copy).
-- Returns the dead-letter entry's id, or false.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
local removed = redis.call('XDEL', KEYS[1], ARGV[2])
if removed == 0 then
  for i = 3, #ARGV, 2 do
    if ARGV[i] == 'envelope_ref' then return false end
  end
end
return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
