"""Scenario `after-commit`: a worker dies (HOOKBAY_FAILPOINT=after_commit: SIGKILL between its batch's commit and its
XACK), twice more on restart, under load; then restarted until drained: each event applied exactly once, processed
counter == accepted."""
import subprocess

from ..checks import applied, wait_until
from ..common import keys, signal_name
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "after-commit"


def run(hb, tmp):
    """A worker SIGKILLs itself between a batch's database commit and its acknowledgement (the failpoint), under load;
    restarted with the same consumer name it resumes those entries, finds them applied and only acknowledges them."""
    armed_generations = 3  # the first worker, then two restarts armed again: each dies at its first commit
    with Stage(hb, tmp, NAME, "chaos-ac") as stage:
        check, redis, database, platform = stage.check, stage.redis, stage.database, stage.platform
        k = keys(platform)
        _, port = stage.serve()
        ledger = Ledger(NAME)
        count = 3000
        load = Load([port], platform, ledger, threads=6, count=count, pause=0.001).start()
        wait_until(lambda: ledger.tally["accepted"] >= 300, 30, "the load is flowing")
        exits = []
        survivor = None
        for generation in range(armed_generations + 1):  # bounded: the armed ones, then one unarmed worker
            armed = generation < armed_generations
            worker = stage.worker("ac", extra_env={"HOOKBAY_FAILPOINT": "after_commit"} if armed else None)
            if not armed:
                survivor = worker
                break
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill(); worker.wait()
                check.failures.append(f"worker {generation}, armed with HOOKBAY_FAILPOINT=after_commit, was still running after "
                                      f"30 s (a binary without the failpoint?)")
                break
            exits.append(signal_name(worker.returncode))
            if generation == 0:
                # What it left behind: read, unacknowledged entries, some of them already committed to the database.
                pending = redis.pending_entries(platform)
                fields = redis.stream_entries(k["incoming"])
                pending_events = {fields[i].get("event_id") for i in pending if i in fields}
                committed = pending_events & applied(database, platform).events
                check.facts["pending_at_first_kill"] = len(pending)
                check.facts["committed_unacknowledged_at_first_kill"] = len(committed)
                check.expect(len(committed) > 0, "the first kill left no committed, unacknowledged entry: the failpoint did not "
                                                 "fire between commit and acknowledgement")
        check.facts["armed_worker_exits"] = exits
        check.expect(exits and all(e == "SIGKILL" for e in exits), f"armed workers ended {exits}, not each by its failpoint's SIGKILL")
        load.join()
        stage.settle_and_check(ledger)
        check.expect(survivor is None or survivor.poll() is None, f"the unarmed worker died ({signal_name(survivor.returncode if survivor else None)})")
        check.expect(ledger.tally["accepted"] == count, f"{ledger.tally['accepted']} of {count} deliveries accepted")
        check.expect(check.facts["processed_counter"] == ledger.tally["accepted"],
                     f"processed counter {check.facts['processed_counter']} != {ledger.tally['accepted']} accepted")
        check.expect(check.facts["applied"] == ledger.tally["accepted"],
                     f"{check.facts['applied']} events applied, not the {ledger.tally['accepted']} accepted")
    return check
