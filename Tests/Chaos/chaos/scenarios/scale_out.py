"""Scenario `scale-out`: two gateways and two workers on one Redis: each accepted event applied exactly once."""
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "scale-out"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-so") as stage:
        _, port_a = stage.serve()
        _, port_b = stage.serve()
        stage.worker("so-a")
        stage.worker("so-b")
        ledger = Ledger(NAME)
        Load([port_a, port_b], stage.platform, ledger, threads=8, count=3000).start().join()
        stage.settle_and_check(ledger)
        stage.check.expect(stage.check.facts["applied"] == 3000, f"{stage.check.facts['applied']} applied, not 3000")
    return stage.check
