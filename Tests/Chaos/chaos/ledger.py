"""The ledger: every delivery and its outcome."""
import collections, threading

from .delivery import OUTCOMES, Outcome, classify


class Ledger:
    """Every delivery and its outcome, thread-safe.

    `refusals`: the (status, error code) answers the scenario expects; `no_answer`: whether a delivery may go without
    an answer (the server is killed). Anything else is unexpected and fails the scenario.
    """

    def __init__(self, name, refusals=(), no_answer=False):
        self.name = name
        self.refusals = frozenset(refusals)
        self.no_answer_expected = no_answer
        self.lock = threading.Lock()
        self.tally = {"sent": 0, **{kind: 0 for kind in OUTCOMES}}
        self.accepted = {}        # content id -> event id, answered 202
        self.duplicate = {}       # content id -> event id, answered 200 duplicate
        self.refused = collections.Counter()  # "status code" -> count
        self.retryable = set()    # content ids refused with a 5xx (the platform retries; may have been enqueued)
        self.failed = set()       # content ids whose delivery got no answer
        self.unexpected = []      # (content id, kind, detail)
        self.uncertain = set()    # content ids with an unexpected outcome that may have been enqueued (no 4xx)
        self.content_ids = set()
        self.in_flight = collections.Counter()  # content id -> deliveries begun, not yet given an outcome

    def sub(self, name):
        """An empty ledger with the same expectations (merge it back)."""
        return Ledger(name, self.refusals, self.no_answer_expected)

    def begin(self, content_id):
        with self.lock:
            self.tally["sent"] += 1
            self.content_ids.add(content_id)
            self.in_flight[content_id] += 1

    def _end(self, content_id):
        self.in_flight[content_id] -= 1
        if self.in_flight[content_id] <= 0:
            del self.in_flight[content_id]

    def record(self, content_id, status, body, error=None):
        """Classifies one answer (`status` None: no answer, `error` why) and returns its Outcome."""
        if status is None:
            outcome = Outcome("no_answer", error) if self.no_answer_expected else Outcome("unexpected", ("no answer", error))
        else:
            outcome = classify(status, body, self.refusals)
        with self.lock:
            self._end(content_id)
            self.tally[outcome.kind] += 1
            if outcome.kind == "accepted":
                self.accepted[content_id] = outcome.detail
            elif outcome.kind == "duplicate":
                self.duplicate[content_id] = outcome.detail
            elif outcome.kind == "refused":
                status_code, code = outcome.detail
                self.refused[f"{status_code} {code}"] += 1
                if status_code >= 500:
                    self.retryable.add(content_id)
            elif outcome.kind == "no_answer":
                self.failed.add(content_id)
            else:
                self.unexpected.append((content_id, outcome.detail[0], outcome.detail[1]))
                if status is None or status >= 500 or status < 300:
                    self.uncertain.add(content_id)
        return outcome

    def record_unexpected(self, content_id, kind, detail):
        """An outcome that is no answer at all (an exception): unexpected. Counts the delivery if it was not begun."""
        with self.lock:
            if self.in_flight.get(content_id):
                self._end(content_id)
            else:
                self.tally["sent"] += 1
                self.content_ids.add(content_id)
            self.tally["unexpected"] += 1
            self.unexpected.append((content_id, kind, detail))
            self.uncertain.add(content_id)
        return Outcome("unexpected", (kind, detail))

    def merge(self, other):
        """Adds another ledger's deliveries to this one."""
        with self.lock:
            for key, value in other.tally.items():
                self.tally[key] += value
            self.accepted.update(other.accepted)
            self.duplicate.update(other.duplicate)
            self.refused.update(other.refused)
            self.retryable |= other.retryable
            self.failed |= other.failed
            self.unexpected += other.unexpected
            self.uncertain |= other.uncertain
            self.content_ids |= other.content_ids
            self.in_flight.update(other.in_flight)

    @property
    def counts(self):
        with self.lock:
            return dict(self.tally)
