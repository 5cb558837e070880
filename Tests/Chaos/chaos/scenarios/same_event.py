"""Scenario `same-event`: 1,000 concurrent deliveries of one event: one 202, 999 duplicates, one stream entry, one
row."""
import threading, time

from ..checks import applied, check_answers, check_applications, wait_until
from ..common import keys
from ..delivery import deliver
from ..ledger import Ledger
from ..stage import Stage

NAME = "same-event"


def run(hb, tmp):
    with Stage(hb, tmp, NAME, "chaos-se") as stage:
        check, redis, database, platform = stage.check, stage.redis, stage.database, stage.platform
        _, port = stage.serve()  # no worker until every delivery is answered
        ledger = Ledger(NAME)
        barrier = threading.Barrier(50)

        def client():
            try:
                barrier.wait(30)
            except threading.BrokenBarrierError:
                pass
            c = None
            for _ in range(20):
                c, _ = deliver(port, platform, "the-one", ledger, c)
        threads = [threading.Thread(target=client, daemon=True) for _ in range(50)]
        for t in threads: t.start()
        for t in threads: t.join(120)
        stream_length = redis.command("XLEN", keys(platform)["incoming"])
        check_answers(check, ledger)
        check.facts["stream_entries"] = stream_length
        check.expect(ledger.tally["sent"] == 1000, f"sent {ledger.tally['sent']}, not 1000")
        check.expect(ledger.tally["accepted"] == 1 and ledger.tally["duplicate"] == 999,
                     f"{ledger.tally['accepted']} accepted and {ledger.tally['duplicate']} duplicates, not 1 and 999")
        event_ids = set(ledger.accepted.values()) | set(ledger.duplicate.values())
        check.expect(len(event_ids) == 1, f"answers named {len(event_ids)} event ids: {sorted(event_ids)[:5]}")
        check.expect(stream_length == 1, f"{stream_length} stream entries for one event")
        stage.worker("se")
        try:
            wait_until(lambda: len(applied(database, platform).events) == 1 and redis.pending(platform) == 0, 60, "the event is applied")
        except AssertionError as error:
            check.failures.append(str(error))
        time.sleep(1)
        state = applied(database, platform)
        check_applications(check, state, event_ids)
        check.facts["applied"] = len(state.events)
        check.expect(state.events == event_ids and state.contents == {"the-one"},
                     f"applied {sorted(state.events)[:3]} / content {sorted(state.contents)[:3]}, not the one event")
        processed = int(redis.command("GET", keys(platform)["processed"]) or 0)
        check.facts["processed_counter"] = processed
        check.expect(processed == 1, f"processed counter {processed}, not 1")
    return check
