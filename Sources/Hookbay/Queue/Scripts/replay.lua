local added = {error = true, attempts = true, original_id = true, failed_at = true}
local replayed = 0
local result = {0}
for i = 2, #ARGV do
  local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #found == 0 or found[1][1] ~= ARGV[i] then
    table.insert(result, ARGV[i])
  else
    local fields = {}
    local flat = found[1][2]
    for j = 1, #flat, 2 do
      if not added[flat[j]] then
        table.insert(fields, flat[j])
        table.insert(fields, flat[j + 1])
      end
    end
    if redis.call('EXISTS', KEYS[2]) == 0 then
      redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
    end
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    redis.call('XDEL', KEYS[1], ARGV[i])
    replayed = replayed + 1
  end
end
result[1] = replayed
return result
