-- Deletes dead-letter entries and the bodies they carry apart (`envelope_ref`).
-- KEYS: 1 the dead-letter stream. ARGV: 1 the platform's body key prefix, then entry ids. Returns how many it deleted.
local purged = 0
for i = 2, #ARGV do
  local found = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
  if #found > 0 then
    local flat = found[1][2]
    for j = 1, #flat, 2 do
      if flat[j] == 'envelope_ref' then redis.call('DEL', ARGV[1] .. flat[j + 1]) end
    end
    purged = purged + redis.call('XDEL', KEYS[1], ARGV[i])
  end
end
return purged
