"""Scenario `worker-kill`: kill -9 a worker holding read-but-unacknowledged entries; another worker claims and
applies them."""
import signal, time

from ..checks import wait_until
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "worker-kill"


def run(hb, tmp):
    # The test plugin upserts each event's content id; HOOKBAY_TEST_PROCESS_SLEEP holds a worker inside process(), so
    # the victim is certain to hold read, unacknowledged entries when it is killed.
    with Stage(hb, tmp, NAME, "chaos-wk", plugin="slow-upsert") as stage:
        _, port = stage.serve()
        ledger = Ledger(NAME)
        Load([port], stage.platform, ledger, threads=4, count=1500).start().join()
        victim = stage.worker("victim", extra_env={"HOOKBAY_TEST_PROCESS_SLEEP": "600"})
        held = lambda: stage.redis.pending(stage.platform, "victim-0") + stage.redis.pending(stage.platform, "victim-1")
        wait_until(lambda: held() > 0, 60, "the victim holds read, unacknowledged entries")
        time.sleep(0.3)
        victim.send_signal(signal.SIGKILL); victim.wait()
        stage.check.facts["held_by_killed_worker"] = held()
        stage.worker("rescuer")
        stage.settle_and_check(ledger)
        stage.check.expect(held() == 0, "the killed worker's entries were not claimed")
        stage.check.expect(ledger.tally["accepted"] == 1500, "not every delivery was accepted")
    return stage.check
