"""Scenario `server-kill`: kill -9 `hookbay serve` under load; answered events present, clients saw errors for the
rest, a fresh delivery answered 2xx within 10 s of the restart."""
import signal, time

from ..checks import probe
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "server-kill"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-sk") as stage:
        server, port = stage.serve()
        stage.worker("sk")
        ledger = Ledger(NAME, no_answer=True)  # deliveries in flight or sent while it is down get no answer
        load = Load([port], stage.platform, ledger, threads=8).start()
        time.sleep(2)
        server.send_signal(signal.SIGKILL); server.wait()
        time.sleep(0.5)
        failed_while_down = ledger.tally["no_answer"]
        restarted_at = time.time()
        stage.serve(port=port, wait=False)
        # Service must come back: a fresh delivery answered 202 within 10 s of starting the new process.
        probe(stage.check, ledger, port, stage.platform, "sk-probe-", restarted_at, 10, "2xx_after_restart")
        time.sleep(1.5)
        load.stop()
        stage.check.facts["failed_while_down"] = failed_while_down
        stage.check.expect(failed_while_down > 0, "no client noticed the server dying")
        stage.settle_and_check(ledger)
    return stage.check
