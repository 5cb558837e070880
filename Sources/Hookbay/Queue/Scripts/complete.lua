local ids = {unpack(ARGV, 2)}
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
redis.call('XDEL', KEYS[1], unpack(ids))
redis.call('HDEL', KEYS[3], unpack(ids))
redis.call('ZREM', KEYS[4], unpack(ids))
redis.call('HDEL', KEYS[5], unpack(ids))
if acked > 0 then redis.call('INCRBY', KEYS[2], acked) end
return acked
