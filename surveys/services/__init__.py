"""Writes for surveys: instruments, windows, cards, paper imports and the outbox relay.
Each module holds keyword-only, typed, atomic ``<entity>_<action>`` functions."""
