"""Scenario `server-kill`: kill -9 `hookbay serve` under load; answered events present, clients saw errors for the
rest, a fresh delivery answered 2xx within 10 s of the restart."""
import os, signal, time

from ..checks import Check, probe, settle_and_check
from ..delivery import Load
from ..hookbay import config_dir, platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "server-kill"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    try:
        platform = "chaos-sk"
        conf = config_dir(tmp, {"p.yaml": platform_yaml(platform)})
        database = os.path.join(tmp, "server-kill.sqlite")
        server, port = hb.serve(conf, redis, database)
        hb.worker(conf, redis, database, "sk", workers=2)
        ledger = Ledger(check.name, no_answer=True)  # deliveries in flight or sent while it is down get no answer
        load = Load([port], platform, ledger, threads=8).start()
        time.sleep(2)
        server.send_signal(signal.SIGKILL); server.wait()
        time.sleep(0.5)
        failed_while_down = ledger.tally["no_answer"]
        restarted_at = time.time()
        hb.serve(conf, redis, database, port=port, wait=False)
        # Service must come back: a fresh delivery answered 202 within 10 s of starting the new process.
        probe(check, ledger, port, platform, "sk-probe-", restarted_at, 10, "2xx_after_restart")
        time.sleep(1.5)
        load.stop()
        check.facts["failed_while_down"] = failed_while_down
        check.expect(failed_while_down > 0, "no client noticed the server dying")
        settle_and_check(check, ledger, redis, database, platform)
    finally:
        redis.kill()
    return check
