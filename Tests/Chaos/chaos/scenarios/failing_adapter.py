"""Scenario `failing`: an adapter that always fails: retried with backoff, then dead-lettered; nothing left pending."""
import time

from ..checks import wait_until
from ..common import keys
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "failing"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-fa", plugin="always-fails", variant="PROCESS_RETRY",
               extra_yaml="retry: { max_attempts: 3, base_delay_ms: 100, max_delay_ms: 400 }\n") as stage:
        _, port = stage.serve()
        stage.worker("fa")
        ledger = Ledger(NAME)
        started = time.time()
        Load([port], stage.platform, ledger, threads=4, count=100).start().join()
        dlq = keys(stage.platform)["dlq"]
        wait_until(lambda: (stage.redis.command("XLEN", dlq) or 0) == 100, 60, "all 100 events are dead-lettered")
        stage.check.facts["seconds_to_dead_letter_all"] = round(time.time() - started, 2)
        entries = stage.redis.stream_entries(dlq).values()
        attempts = {f.get("attempts") for f in entries}
        errors = {f.get("error") for f in entries}
        stage.check.facts["attempts"] = sorted(attempts, key=str)
        stage.check.expect(attempts == {"3"}, f"dead-lettered after {attempts} attempts, not 3")
        stage.check.expect(all(e and "downstream is unavailable" in e for e in errors), f"errors kept: {errors}")
        stage.settle_and_check(ledger)
        stage.check.expect(stage.check.facts["dead_lettered"] == 100 and stage.check.facts["applied"] == 0,
                           "not every event was dead-lettered")
    return stage.check
