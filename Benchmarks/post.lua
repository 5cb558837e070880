-- wrk script: posts pre-generated, distinct, correctly signed webhooks (one per line of BENCH_BODIES: its headers and
-- body, separated by tabs), each thread its own slice; prints the answers of 400 and above and p50/p99/p99.9 in microseconds.
-- Every request is formatted once, before the run: formatting one per request (wrk.format builds the request line
-- and headers in Lua) cost the load generator ~4 µs of CPU per request, on the same two cores as the servers.
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  path = os.getenv("BENCH_PATH") or "/api/v1/webhooks/bench"
  requests = {}
  local n = 0
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "r"))
  for line in f:lines() do
    -- A body that is not text (a gzip body) follows its line as "raw:<length>" bytes and a newline.
    local raw = tonumber(line:match("\traw:(%d+)$"))
    local bytes = raw and f:read(raw)
    if raw then f:read(1) end
    if n % nthreads == id then
      -- Fields separated by tabs: optionally the path ("/..."; else BENCH_PATH), the headers ("Name: value"; a bare
      -- value is an X-Webhook-Signature), then the body (or "raw:<length>", the bytes after the line).
      local headers = { ["Content-Type"] = "application/json" }
      local fields = {}
      for field in line:gmatch("[^\t]+") do table.insert(fields, field) end
      local target = path
      for k = 1, #fields - 1 do
        local colon = fields[k]:find(": ", 1, true)
        if fields[k]:sub(1, 1) == "/" then
          target = fields[k]
        elseif colon then
          headers[fields[k]:sub(1, colon - 1)] = fields[k]:sub(colon + 2)
        else
          headers["X-Webhook-Signature"] = fields[k]
        end
      end
      local body = fields[#fields]
      if raw then body = bytes end
      table.insert(requests, wrk.format("POST", target, headers, body))
    end
    n = n + 1
  end
  f:close()
  count, i = #requests, 0
end

function request()
  i = i + 1
  if i > count then i = 1 end
  return requests[i]
end

-- No response() callback: with one, wrk builds a Lua table of every answer's headers, and the collector, walking this
-- script's million pre-formatted requests, stalled the load generator (p99 4 ms -> 160 ms, on wrk's side alone).
-- Answers of 400 and above are counted by wrk itself (summary.errors.status); the benchmark counts duplicates (200)
-- from the gateway's metrics and the queue.
function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_us=%d non2xx=%d p50=%d p99=%d p999=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.errors.status, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
