local out = {}
for i = 2, #KEYS do
  local a = (i - 2) * 8 + 1
  local id = redis.call('XADD', KEYS[1], '*', 'event_id', ARGV[a + 1], 'platform', ARGV[a + 2], 'event_type', ARGV[a + 3],
    'source_event_type', ARGV[a + 4], 'received_at', ARGV[a + 5], 'payload_pointer', ARGV[a + 6], 'timestamp', ARGV[a + 7],
    'envelope', ARGV[a + 8])
  local first = redis.call('SET', KEYS[i], id, 'NX', 'GET', 'EX', ARGV[1])
  if first then
    redis.call('XDEL', KEYS[1], id)
    out[#out + 1] = 0
    out[#out + 1] = first
  else
    out[#out + 1] = 1
    out[#out + 1] = id
  end
end
return out
