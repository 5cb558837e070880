"""Hookbay's chaos suite: fault injection with a ledger (see runner.py for what it proves and ../README.md for how to
run it and add a scenario). Run it with scripts/chaos."""
