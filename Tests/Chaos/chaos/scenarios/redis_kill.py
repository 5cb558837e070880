"""Scenario `redis-kill`: kill -9 Redis (appendfsync always) under load: 503 queue_unavailable and /readyz 503 while
down, service back within 5 s of Redis returning, no answered event lost."""
import os, time

from ..checks import Check, probe, settle_and_check
from ..delivery import Load, deliver
from ..hookbay import config_dir, get_status, platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "redis-kill"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp, appendfsync="always"); redis.start()
    try:
        platform = "chaos-rk"
        conf = config_dir(tmp, {"p.yaml": platform_yaml(platform)})
        database = os.path.join(tmp, "redis-kill.sqlite")
        _, port = hb.serve(conf, redis, database)
        hb.worker(conf, redis, database, "rk", workers=2)
        ledger = Ledger(check.name, refusals={(503, "queue_unavailable")})
        load = Load([port], platform, ledger, threads=8, pause=0.002).start()
        time.sleep(2)
        accepted_before = len(ledger.accepted)
        redis.kill()
        killed_at = time.time()
        time.sleep(0.3)
        # While Redis is down: every answer a refusal, /readyz 503.
        down = ledger.sub("while-down")
        for i in range(20):
            c, _ = deliver(port, platform, f"down{i}", down)
            if c is not None:
                c.close()
        check.expect(down.tally["accepted"] + down.tally["duplicate"] == 0, f"{down.counts} while Redis was down: a 2xx")
        check.expect(dict(down.refused) == {"503 queue_unavailable": 20},
                     f"while Redis was down the answers were {dict(down.refused)} and {down.tally['unexpected']} unexpected, "
                     f"not 20 x 503 queue_unavailable")
        check.expect(get_status(port, "/readyz") == 503, "/readyz did not answer 503 while Redis was down")
        ledger.merge(down)
        time.sleep(max(0.0, 1.0 - (time.time() - killed_at)))
        redis.start()  # the same directory: the append-only file is replayed
        back_at = time.time()
        probe(check, ledger, port, platform, "probe", back_at, 5, "2xx_after_redis_returned")
        time.sleep(1.5)
        load.stop()
        check.facts["accepted_before_kill"] = accepted_before
        settle_and_check(check, ledger, redis, database, platform)
    finally:
        redis.kill()
    return check
