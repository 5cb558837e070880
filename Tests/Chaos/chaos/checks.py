"""The ledger's verdicts: what SQLite and Redis hold once the backlog has drained, checked against the answers."""
import collections, os, sqlite3, time

from .common import keys, log
from .delivery import OUTCOMES, deliver


def probe(check, ledger, port, platform, prefix, since, within, what, want=lambda o: o.kind == "accepted"):
    """Delivers fresh events (content ids `{prefix}{n}`, recorded in `ledger`) until one's outcome satisfies `want`
    (default: answered 202), failing the check unless that happens within `within` s of `since`."""
    n, outcome = 0, None
    while True:
        c, outcome = deliver(port, platform, f"{prefix}{n}", ledger, timeout=2)
        if c is not None:
            c.close()
        n += 1
        if want(outcome):
            check.facts[f"seconds_to_{what}"] = round(time.time() - since, 2)
            return True
        if time.time() - since >= within:
            check.failures.append(f"no {what.replace('_', ' ')} within {within} s ({n} fresh deliveries; the last: {outcome.kind} {outcome.detail})")
            return False
        time.sleep(0.05)


class Applied:
    """What SQLite holds for one platform: every applied_events row as (event id, applications), and the content ids.
    `applications_column`: False for a database from before that column existed (each row then counts as one
    application, and an event applied twice shows as two rows with its event id)."""

    def __init__(self, rows=(), contents=(), applications_column=None):
        self.rows = list(rows)
        self.contents = set(contents)
        self.applications_column = applications_column

    @property
    def events(self):
        return {event_id for event_id, _ in self.rows}


def applied(database, platform):
    """The applied events and content of `platform` (SQLite read-only, or a chaos.postgres.Postgres)."""
    if not isinstance(database, str):
        try:
            rows = [(event_id, int(n)) for event_id, n in
                    database.query("SELECT event_id, applications FROM applied_events WHERE platform = :'p1'", platform)]
            contents = {row[0] for row in database.query("SELECT content_id FROM content WHERE platform = :'p1'", platform)}
        except RuntimeError as error:  # not migrated yet, or the server is down
            if "does not exist" in str(error) or "connection" in str(error).lower():
                return Applied()
            raise
        return Applied(rows, contents, True)
    if not os.path.exists(database):
        return Applied()
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        columns = {row[1] for row in db.execute("PRAGMA table_info(applied_events)")}
        if not columns:  # not migrated yet
            return Applied()
        if "applications" in columns:
            rows = db.execute("SELECT event_id, applications FROM applied_events WHERE platform = ?", (platform,)).fetchall()
        else:
            rows = [(row[0], 1) for row in db.execute("SELECT event_id FROM applied_events WHERE platform = ?", (platform,))]
        contents = {row[0] for row in db.execute("SELECT content_id FROM content WHERE platform = ?", (platform,))}
        return Applied(rows, contents, "applications" in columns)
    except sqlite3.OperationalError:  # no tables yet
        return Applied()
    finally:
        db.close()


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting until {what}")


class Check:
    """The ledger's verdicts for one scenario."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.facts = {}

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition


def check_answers(check, ledger):
    """Every delivery has exactly one outcome, and none is unexpected (each unexpected one is listed)."""
    counts = ledger.counts
    check.facts.update(counts)
    if ledger.refused:
        check.facts["refused_as"] = dict(ledger.refused)
    outcomes = sum(counts[kind] for kind in OUTCOMES)
    check.expect(counts["sent"] == outcomes and not ledger.in_flight,
                 f"the ledger does not balance: sent {counts['sent']} != {' + '.join(f'{counts[k]} {k}' for k in OUTCOMES)}; "
                 f"without an outcome: {sorted(ledger.in_flight)[:5]}")
    if ledger.unexpected:
        by_kind = collections.Counter(kind for _, kind, _ in ledger.unexpected)
        check.facts["unexpected_by_kind"] = dict(by_kind)
        allowed = ["202 accepted", "200 duplicate"] + [f"{s} {c}" for s, c in sorted(ledger.refusals)]
        allowed += ["no answer"] if ledger.no_answer_expected else []
        check.failures.append(f"{len(ledger.unexpected)} unexpected outcomes (allowed here: {', '.join(allowed)}): {dict(by_kind)}")
        for content_id, kind, detail in ledger.unexpected[:10]:
            check.failures.append(f"    {content_id}: {kind}: {detail}")
        if len(ledger.unexpected) > 10:
            check.failures.append(f"    ... and {len(ledger.unexpected) - 10} more")


def check_applications(check, state, accepted_ids):
    """Each applied_events row was applied exactly once, and no event id has more than one row."""
    check.facts["applications_column"] = state.applications_column
    if state.applications_column is False and not getattr(check, "said_fallback", False):
        log(f"   ({check.name}: applied_events has no `applications` column (schema before it): counting rows per event_id "
            f"instead, each row one application)")
        check.said_fallback = True
    wrong = [(event_id, n) for event_id, n in state.rows if n != 1]
    check.expect(not wrong, f"{len(wrong)} applied_events rows with applications != 1 (updates written more or less than "
                            f"once): {sorted(wrong, key=str)[:5]}")
    rows_per_event = collections.Counter(event_id for event_id, _ in state.rows)
    twice = {event_id: n for event_id, n in rows_per_event.items() if n > 1}
    check.expect(not twice, f"{len(twice)} event ids in more than one applied_events row ({len(set(twice) & accepted_ids)} "
                            f"of them answered 2xx): {sorted(twice.items())[:5]}")
    check.facts["applied_rows"] = len(state.rows)


def drained(redis, database, platform, accepted_ids):
    k = keys(platform)
    events = applied(database, platform).events
    dead = set(redis.stream_event_ids(k["dlq"]))
    return accepted_ids <= (events | dead) and redis.pending(platform) == 0 and (redis.command("XLEN", k["incoming"]) or 0) == 0


def settle_and_check(check, ledger, redis, database, platform, drain_timeout=120):
    """Waits for the backlog to drain, then checks the ledger against SQLite and the dead-letter stream."""
    check_answers(check, ledger)
    accepted_ids = set(ledger.accepted.values()) | set(ledger.duplicate.values())
    k = keys(platform)
    try:
        wait_until(lambda: drained(redis, database, platform, accepted_ids), drain_timeout,
                   "every accepted event is applied or dead-lettered and nothing is pending")
    except AssertionError as error:
        check.failures.append(str(error))

    state = applied(database, platform)
    events, contents = state.events, state.contents
    dead_list = redis.stream_event_ids(k["dlq"])
    dead = set(dead_list)
    missing = accepted_ids - events - dead
    processed = int(redis.command("GET", k["processed"]) or 0)
    pending = redis.pending(platform)
    stream = redis.command("XLEN", k["incoming"]) or 0
    bookkeeping = redis.bookkeeping(platform)
    check.facts.update({"applied": len(events), "dead_lettered": len(dead_list), "processed_counter": processed,
                        "missing": len(missing), "answered_2xx_ids": len(accepted_ids),
                        "applied_without_2xx": len(events - accepted_ids)})
    check_applications(check, state, accepted_ids)
    check.expect(not missing, f"{len(missing)} accepted events are neither applied nor dead-lettered: {sorted(missing)[:5]}")
    check.expect(not (events & dead), f"{len(events & dead)} events are both applied and dead-lettered")
    check.expect(len(dead_list) == len(dead), "an event is in the dead-letter queue twice")
    check.expect(processed == len(events), f"processed counter {processed} != distinct events applied {len(events)}: an event was "
                                           f"acknowledged twice or not at all")
    check.expect(pending == 0 and stream == 0, f"left over: {pending} pending, {stream} entries in the stream")
    check.expect(not any(bookkeeping.values()), f"bookkeeping left over after settling: {bookkeeping}")
    # Bodies kept apart from their entries (1 KiB or more): those kept for good are exactly the ones the entries left
    # (dead letters; stream entries, when the drain did not finish; forwarding deliveries still in a destination's
    # lane or its dead letters) name. One still staged (its TTL running: the enqueue or the completion never ran, e.g.
    # Redis or a process died in between) goes on its own.
    prefix = f"webhooks:body:{{{platform}}}:"
    kept = {key for key in (redis.command("KEYS", prefix + "*") or []) if redis.command("TTL", key) == -1}
    streams = [k["dlq"], k["incoming"]]
    for pattern in (f"webhooks:forward:{{{platform}}}:*", f"webhooks:forward-dlq:{{{platform}}}:*"):
        streams += sorted(redis.command("KEYS", pattern) or [])
    entries = [fields for key in streams for fields in redis.stream_entries(key).values()]
    named = {prefix + fields["envelope_ref"] for fields in entries if "envelope_ref" in fields}
    # A forwarder may still be working through a lane: a delivery completed between the two reads took its body with
    # it (in the same script as its entry), and one added meanwhile has its body kept. Read those keys once more.
    kept -= {key for key in kept - named if not redis.command("EXISTS", key)}
    kept |= {key for key in named - kept if redis.command("TTL", key) == -1}
    check.facts["bodies_kept_apart"] = len(kept)
    check.expect(kept <= named, f"{len(kept - named)} bodies left behind with no entry: {sorted(kept - named)[:3]}")
    check.expect(named <= kept, f"{len(named - kept)} dead letters whose body is gone: {sorted(named - kept)[:3]}")
    strangers = contents - ledger.content_ids
    check.expect(not strangers, f"content that was never sent got in: {sorted(strangers)[:5]}")
    # Applied without a 2xx: only a delivery whose answer was lost, or refused with a 5xx that told the platform to
    # retry (Redis died after storing it), may be; the retry is then answered 200 duplicate. A 4xx is never applied.
    without_2xx = contents - set(ledger.accepted) - set(ledger.duplicate)
    check.facts["applied_after_lost_answer_or_5xx"] = len(without_2xx)
    refused_4xx = without_2xx - ledger.failed - ledger.retryable - ledger.uncertain
    check.expect(not refused_4xx, f"{len(refused_4xx)} deliveries refused with a 4xx were applied anyway: {sorted(refused_4xx)[:5]}")
