"""Scenario `postgres-restart`: the PostgreSQL content database crashes (pg_ctl stop -m immediate) under load and comes
back 3 s later: receiving goes on (202 throughout), workers wait it out, nothing is dead-lettered, nothing is lost, and
each event is applied once."""
import time

from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "postgres-restart"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-pr", postgres=True) as stage:
        _, port = stage.serve()
        stage.worker("pr-a")
        stage.worker("pr-b")
        ledger = Ledger(NAME)
        load = Load([port], stage.platform, ledger, threads=8, pause=0.002).start()
        time.sleep(2)
        stage.postgres.stop("immediate")
        down_at = time.time()
        accepted_at_crash = len(ledger.accepted)
        time.sleep(3)
        stage.check.facts["accepted_while_down"] = len(ledger.accepted) - accepted_at_crash
        stage.postgres.start()
        stage.check.facts["seconds_down"] = round(time.time() - down_at, 2)
        time.sleep(2)
        load.stop()
        stage.settle_and_check(ledger)
        stage.check.expect(stage.check.facts["accepted_while_down"] > 0, "nothing was accepted while PostgreSQL was down")
        stage.check.expect(stage.check.facts["dead_lettered"] == 0,
                           f"{stage.check.facts['dead_lettered']} events dead-lettered: an outage must only delay them")
    return stage.check
