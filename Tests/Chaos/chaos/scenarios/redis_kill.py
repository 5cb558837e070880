"""Scenario `redis-kill`: kill -9 Redis (appendfsync always) under load: 503 queue_unavailable and /readyz 503 while
down, service back within 5 s of Redis returning, no answered event lost."""
import time

from ..checks import probe
from ..delivery import Load, deliver
from ..hookbay import get_status
from ..ledger import Ledger
from ..stage import Stage

NAME = "redis-kill"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-rk", appendfsync="always") as stage:
        _, port = stage.serve()
        stage.worker("rk")
        ledger = Ledger(NAME, refusals={(503, "queue_unavailable")})
        load = Load([port], stage.platform, ledger, threads=8, pause=0.002).start()
        time.sleep(2)
        accepted_before = len(ledger.accepted)
        stage.redis.kill()
        killed_at = time.time()
        time.sleep(0.3)
        # While Redis is down: every answer a refusal, /readyz 503.
        down = ledger.sub("while-down")
        for i in range(20):
            c, _ = deliver(port, stage.platform, f"down{i}", down)
            if c is not None:
                c.close()
        stage.check.expect(down.tally["accepted"] + down.tally["duplicate"] == 0, f"{down.counts} while Redis was down: a 2xx")
        stage.check.expect(dict(down.refused) == {"503 queue_unavailable": 20},
                           f"while Redis was down the answers were {dict(down.refused)} and {down.tally['unexpected']} "
                           f"unexpected, not 20 x 503 queue_unavailable")
        stage.check.expect(get_status(port, "/readyz") == 503, "/readyz did not answer 503 while Redis was down")
        ledger.merge(down)
        time.sleep(max(0.0, 1.0 - (time.time() - killed_at)))
        stage.redis.start()  # the same directory: the append-only file is replayed
        back_at = time.time()
        probe(stage.check, ledger, port, stage.platform, "probe", back_at, 5, "2xx_after_redis_returned")
        time.sleep(1.5)
        load.stop()
        stage.check.facts["accepted_before_kill"] = accepted_before
        stage.settle_and_check(ledger)
    return stage.check
