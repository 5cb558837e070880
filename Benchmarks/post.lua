-- wrk script: posts pre-generated, distinct, correctly signed webhooks (one "signature<TAB>body" per line of
-- BENCH_BODIES), each thread its own slice; counts non-2xx answers and prints p50/p99/p99.9 in microseconds.
-- Every request is formatted once, before the run: formatting one per request (wrk.format builds the request line
-- and headers in Lua) cost the load generator ~4 µs of CPU per request, on the same two cores as the servers.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  path = os.getenv("BENCH_PATH") or "/api/v1/webhooks/bench"
  requests = {}
  local n = 0
  local f = assert(io.open(os.getenv("BENCH_BODIES"), "r"))
  for line in f:lines() do
    if n % nthreads == id then
      local tab = line:find("\t", 1, true)
      local headers = { ["Content-Type"] = "application/json", ["X-Webhook-Signature"] = line:sub(1, tab - 1) }
      table.insert(requests, wrk.format("POST", path, headers, line:sub(tab + 1)))
    end
    n = n + 1
  end
  f:close()
  count, i, non2xx, dup = #requests, 0, 0, 0
end

function request()
  i = i + 1
  if i > count then i = 1 end
  return requests[i]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if status == 200 then dup = dup + 1 end
end

function done(summary, latency, requests)
  local bad, dups = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
    dups = dups + (t:get("dup") or 0)
  end
  io.write(string.format("BENCH requests=%d duration_us=%d non2xx=%d http200=%d p50=%d p99=%d p999=%d socket_errors=%d\n",
    summary.requests, summary.duration, bad, dups, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
