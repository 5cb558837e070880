"""Scenario `global-limit`: two gateways share one `rate_limit.scope: global` bucket (100, refilled at 600 a minute):
under load on both for 3 s, the deliveries accepted stay within the bucket plus its refill, not twice that; every other
answer is 429 rate_limit_exceeded."""
import time

from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "global-limit"
BURST, PER_MINUTE = 100, 600


def run(hb, tmp):
    extra = f"rate_limit: {{ per_minute: {PER_MINUTE}, burst: {BURST}, scope: global }}"
    with Stage(hb, tmp, NAME, "chaos-gl", extra_yaml=extra) as stage:
        _, port_a = stage.serve()
        _, port_b = stage.serve()
        stage.worker("gl")
        ledger = Ledger(NAME, refusals={(429, "rate_limit_exceeded")})
        started = time.time()
        load = Load([port_a, port_b], stage.platform, ledger, threads=8).start()
        time.sleep(3)
        load.stop()
        elapsed = time.time() - started
        accepted = len(ledger.accepted)
        allowed = BURST + PER_MINUTE / 60 * elapsed
        stage.check.facts.update({"seconds": round(elapsed, 2), "bucket_plus_refill": round(allowed, 1)})
        stage.check.expect(accepted <= allowed + 1, f"{accepted} accepted in {elapsed:.1f} s: more than the bucket plus its "
                                                    f"refill ({allowed:.0f}); the gateways do not share it")
        stage.check.expect(accepted >= BURST, f"only {accepted} accepted: the bucket of {BURST} was not used up")
        stage.check.expect(ledger.refused.get("429 rate_limit_exceeded", 0) > 0, "nothing was refused 429")
        stage.settle_and_check(ledger)
    return stage.check
