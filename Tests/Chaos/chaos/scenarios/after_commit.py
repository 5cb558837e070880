"""Scenario `after-commit`: a worker dies (HOOKBAY_FAILPOINT=after_commit: SIGKILL between its batch's commit and its
XACK), twice more on restart, under load; then restarted until drained: each event applied exactly once, processed
counter == accepted."""
import os, subprocess

from ..checks import Check, applied, settle_and_check, wait_until
from ..common import keys, signal_name
from ..delivery import Load
from ..hookbay import config_dir, platform_yaml
from ..ledger import Ledger
from ..redis import Redis

NAME = "after-commit"


def run(hb, tmp):
    """A worker SIGKILLs itself between a batch's database commit and its acknowledgement (the failpoint), under load;
    restarted with the same consumer name it resumes those entries, finds them applied and only acknowledges them."""
    check = Check(NAME)
    redis = Redis(tmp); redis.start()
    armed_generations = 3  # the first worker, then two restarts armed again: each dies at its first commit
    try:
        platform = "chaos-ac"
        conf = config_dir(tmp, {"p.yaml": platform_yaml(platform)})
        database = os.path.join(tmp, "after-commit.sqlite")
        k = keys(platform)
        _, port = hb.serve(conf, redis, database)
        ledger = Ledger(check.name)
        count = 3000
        load = Load([port], platform, ledger, threads=6, count=count, pause=0.001).start()
        wait_until(lambda: ledger.tally["accepted"] >= 300, 30, "the load is flowing")
        exits = []
        survivor = None
        for generation in range(armed_generations + 1):  # bounded: the armed ones, then one unarmed worker
            armed = generation < armed_generations
            worker = hb.worker(conf, redis, database, "ac", workers=2,
                               extra_env={"HOOKBAY_FAILPOINT": "after_commit"} if armed else None)
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
        settle_and_check(check, ledger, redis, database, platform)
        check.expect(survivor is None or survivor.poll() is None, f"the unarmed worker died ({signal_name(survivor.returncode if survivor else None)})")
        check.expect(ledger.tally["accepted"] == count, f"{ledger.tally['accepted']} of {count} deliveries accepted")
        check.expect(check.facts["processed_counter"] == ledger.tally["accepted"],
                     f"processed counter {check.facts['processed_counter']} != {ledger.tally['accepted']} accepted")
        check.expect(check.facts["applied"] == ledger.tally["accepted"],
                     f"{check.facts['applied']} events applied, not the {ledger.tally['accepted']} accepted")
    finally:
        redis.kill()
    return check
