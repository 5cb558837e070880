"""Scenario `scale-out`: two gateways and two workers on one Redis: each accepted event applied exactly once."""
import os

from ..checks import Check, settle_and_check
from ..delivery import Load
from ..hookbay import config_dir, platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "scale-out"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    try:
        platform = "chaos-so"
        conf = config_dir(tmp, {"p.yaml": platform_yaml(platform)})
        database = os.path.join(tmp, "scale-out.sqlite")
        _, port_a = hb.serve(conf, redis, database)
        _, port_b = hb.serve(conf, redis, database)
        hb.worker(conf, redis, database, "so-a", workers=2)
        hb.worker(conf, redis, database, "so-b", workers=2)
        ledger = Ledger(check.name)
        Load([port_a, port_b], platform, ledger, threads=8, count=3000).start().join()
        settle_and_check(check, ledger, redis, database, platform)
        check.expect(check.facts["applied"] == 3000, f"{check.facts['applied']} applied, not 3000")
    finally:
        redis.kill()
    return check
