-- Deletes dead-letter entries, and the bodies they keep apart (`envelope_ref`) with them.
-- KEYS: 1 the dead-letter stream, then the entries' body keys. ARGV: n ids (whole `ms-seq` ids), then each one's body
-- key (its index in KEYS, 0 for none). A body goes only with its entry: one already gone (replayed or purged
-- meanwhile) leaves it to whoever holds it now. Returns how many entries it deleted.
local n = #ARGV / 2
local purged = 0
for i = 1, n do
  if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then
    purged = purged + 1
    local body = tonumber(ARGV[n + i])
    if body > 0 then redis.call('DEL', KEYS[body]) end
  end
end
return purged
