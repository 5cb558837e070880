"""The peer baseline: the same receive work (HMAC over the raw body, envelope checks, dedup + XADD in one Lua script)
in FastAPI + redis-py. Run by scripts/bench when fastapi, uvicorn and redis are installed."""
import hashlib, hmac, json, os

import redis.asyncio as redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SECRET = os.environ.get("BENCH_SECRET", "").encode()
SCRIPT = """
local existing = redis.call('GET', KEYS[1])
if existing then return {0, existing} end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[1], id, 'EX', ARGV[1])
return {1, id}
"""
app = FastAPI()
pool = redis.Redis(host="127.0.0.1", port=int(os.environ.get("REDIS_PORT", "6379")))
enqueue = pool.register_script(SCRIPT)


@app.get("/")
async def root():
    return {"status": "alive"}


@app.post("/api/v1/webhooks/{platform}")
async def receive(platform: str, request: Request):
    body = await request.body()
    sig = request.headers.get("x-webhook-signature", "")
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, expected):
        return JSONResponse({"error": "invalid_signature"}, status_code=401)
    env = json.loads(body)
    if env.get("platform") != platform or "payload" not in env:
        return JSONResponse({"error": "invalid_payload"}, status_code=400)
    canonical = json.dumps(env["payload"], sort_keys=True, separators=(",", ":"))
    event_id = hashlib.sha256(f"{platform}\n{env['event_type']}\n{canonical}".encode()).hexdigest()
    flag, _ = await enqueue(keys=[f"webhook:hash:{{{platform}}}:{event_id}", f"webhooks:incoming:{{{platform}}}"],
                            args=[86400, "event_id", event_id, "envelope", body])
    return JSONResponse({"event_id": event_id, "status": "accepted" if flag == 1 else "duplicate"},
                        status_code=202 if flag == 1 else 200)
