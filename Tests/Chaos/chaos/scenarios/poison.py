"""Scenario `poison`: an adapter that aborts the worker on one event (retry.max_deliveries 3), a supervising loop
restarting the worker (at most 15 times): the 199 others applied once, the poison dead-lettered as interrupted after
at most max_deliveries + 1 crashes."""
import collections, time

from ..checks import applied, drained
from ..common import keys, signal_name
from ..delivery import Load
from ..ledger import Ledger
from ..stage import Stage

NAME = "poison"


def run(hb, tmp):
    """One event aborts its worker (the test plugin, HOOKBAY_TEST_CRASH_ON); a supervising loop restarts the worker
    whenever it dies. After the first crash the worker's unsettled entries are processed one at a time, the poison is
    counted as interrupted each time, and dead-lettered once interrupted retry.max_deliveries times."""
    max_deliveries, max_restarts, generation_timeout = 3, 15, 30
    with Stage(hb, tmp, NAME, "chaos-pp", plugin="test-plugin",
               extra_yaml=f"retry: {{ max_deliveries: {max_deliveries} }}\n") as stage:
        check, redis, database, platform = stage.check, stage.redis, stage.database, stage.platform
        _, port = stage.serve()
        ledger = Ledger(NAME)
        count, poison_at = 200, 137
        Load([port], platform, ledger, threads=4, count=count,
             name=lambda i: "poison-pill" if i == poison_at else f"pp{i}").start().join()
        accepted_ids = set(ledger.accepted.values())
        poison_event = ledger.accepted.get("poison-pill")
        check.expect(poison_event is not None, "the poison event was not accepted")
        # The supervising loop: start the worker, wait (bounded) until it dies or everything is settled; restart it
        # after each death, at most `max_restarts` times.
        crashes, exits, settled = 0, [], False
        for generation in range(max_restarts + 1):
            worker = stage.worker("pp", workers=1, extra_env={"HOOKBAY_TEST_CRASH_ON": "poison-pill"})
            deadline = time.time() + generation_timeout
            while worker.poll() is None and time.time() < deadline:
                if drained(redis, database, platform, accepted_ids):
                    settled = True
                    break
                time.sleep(0.1)
            if worker.poll() is None:
                if not settled:
                    check.failures.append(f"worker generation {generation} neither died nor settled everything within {generation_timeout} s")
                break
            crashes += 1
            exits.append(signal_name(worker.returncode))
        else:
            check.failures.append(f"the worker was still dying after {max_restarts} restarts")
        check.facts["crashes"] = crashes
        check.facts["crash_exits"] = dict(collections.Counter(exits))
        check.expect(crashes >= 1, "the poison event never crashed a worker (HOOKBAY_TEST_CRASH_ON not honoured?)")
        check.expect(crashes <= max_deliveries + 1, f"{crashes} crashes, more than max_deliveries + 1 = {max_deliveries + 1}")
        check.expect(all(e == "SIGABRT" for e in exits), f"workers died by {exits}, not each by the plugin's abort()")
        stage.settle_and_check(ledger)
        dead = list(redis.stream_entries(keys(platform)["dlq"]).values())
        poisoned = [f for f in dead if f.get("event_id") == poison_event]
        check.facts["poison_error"] = poisoned[0].get("error") if poisoned else None
        check.expect(len(poisoned) == 1 and "interrupted" in (poisoned[0].get("error") or ""),
                     f"the poison event is not in {keys(platform)['dlq']} once with an error saying it was interrupted: {poisoned}")
        check.expect(len(dead) == 1, f"{len(dead)} dead-lettered events, not just the poison")
        state = applied(database, platform)
        others = accepted_ids - {poison_event}
        check.expect(state.events == others, f"{len(others - state.events)} of the {len(others)} other events not applied, "
                                              f"{len(state.events - others)} applied that should not be")
        check.expect("poison-pill" not in state.contents, "the poison event's content was applied")
        check.expect(ledger.tally["accepted"] == count, f"{ledger.tally['accepted']} of {count} deliveries accepted")
    return check
