-- Moves an entry to the dead-letter stream, with why it failed, and forgets its attempts, retry and interruptions.
-- KEYS: 1 stream, 2 dead-letter stream, 3 attempts, 4 retry schedule, 5 interrupted. ARGV: 1 group, 2 id, then the
-- dead-letter entry's field/value pairs. An entry no longer in the stream was settled by another consumer that took it
-- over (completed or dead-lettered): it is not dead-lettered again, since its body kept apart is no longer its own.
-- Returns the dead-letter entry's id, or false.
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('HDEL', KEYS[5], ARGV[2])
if redis.call('XDEL', KEYS[1], ARGV[2]) == 0 then return false end
return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
