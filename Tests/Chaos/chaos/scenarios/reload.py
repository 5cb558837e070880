"""Scenario `reload`: a platform disabled, edited and re-enabled by hot reload under load: 503 platform_disabled
within 10 s of disabling, 2xx within 10 s of re-enabling, nothing accepted is lost."""
import os, time

from ..checks import Check, probe, settle_and_check
from ..delivery import Load
from ..hookbay import config_dir, platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "reload"


def run(hb, tmp):
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    try:
        platform = "chaos-rl"
        conf = config_dir(tmp, {"p.yaml": platform_yaml(platform)})
        path = os.path.join(conf, "p.yaml")
        database = os.path.join(tmp, "reload.sqlite")
        _, port = hb.serve(conf, redis, database)
        hb.worker(conf, redis, database, "rl", workers=2)
        ledger = Ledger(check.name, refusals={(503, "platform_disabled")})
        load = Load([port], platform, ledger, threads=6, pause=0.002).start()

        def rewrite(text):
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
            return time.time()
        time.sleep(1)
        disabled_at = rewrite(platform_yaml(platform, "enabled: false\n"))
        probe(check, ledger, port, platform, "rl-off-", disabled_at, 10, "platform_disabled_after_disabling",
              want=lambda o: o.kind == "refused" and o.detail[1] == "platform_disabled")
        time.sleep(0.5)
        rewrite(platform_yaml(platform, "enabled: false\ndedup_ttl_hours: 48\n"))
        time.sleep(0.5)
        enabled_at = rewrite(platform_yaml(platform, "dedup_ttl_hours: 48\n"))
        # Service must come back: a fresh delivery answered 202 within 10 s of re-enabling.
        probe(check, ledger, port, platform, "rl-on-", enabled_at, 10, "2xx_after_reenabling")
        time.sleep(1.5)
        load.stop()
        check.expect(ledger.refused.get("503 platform_disabled", 0) > 0, "the platform never answered disabled")
        settle_and_check(check, ledger, redis, database, platform)
    finally:
        redis.kill()
    return check
