"""Scenario `reload`: a platform disabled, edited and re-enabled by hot reload under load: 503 platform_disabled
within 10 s of disabling, 2xx within 10 s of re-enabling, nothing accepted is lost."""
import os, time

from ..checks import probe
from ..delivery import Load
from ..hookbay import platform_yaml
from ..ledger import Ledger
from ..stage import Stage

NAME = "reload"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-rl") as stage:
        path = os.path.join(stage.conf, "p.yaml")
        _, port = stage.serve()
        stage.worker("rl")
        ledger = Ledger(NAME, refusals={(503, "platform_disabled")})
        load = Load([port], stage.platform, ledger, threads=6, pause=0.002).start()

        def rewrite(text):
            with open(path + ".tmp", "w") as f:
                f.write(text)
            os.replace(path + ".tmp", path)
            return time.time()
        time.sleep(1)
        disabled_at = rewrite(platform_yaml(stage.platform, "enabled: false\n"))
        probe(stage.check, ledger, port, stage.platform, "rl-off-", disabled_at, 10, "platform_disabled_after_disabling",
              want=lambda o: o.kind == "refused" and o.detail[1] == "platform_disabled")
        time.sleep(0.5)
        rewrite(platform_yaml(stage.platform, "enabled: false\ndedup_ttl_hours: 48\n"))
        time.sleep(0.5)
        enabled_at = rewrite(platform_yaml(stage.platform, "dedup_ttl_hours: 48\n"))
        # Service must come back: a fresh delivery answered 202 within 10 s of re-enabling.
        probe(stage.check, ledger, port, stage.platform, "rl-on-", enabled_at, 10, "2xx_after_reenabling")
        time.sleep(1.5)
        load.stop()
        stage.check.expect(ledger.refused.get("503 platform_disabled", 0) > 0, "the platform never answered disabled")
        stage.settle_and_check(ledger)
    return stage.check
