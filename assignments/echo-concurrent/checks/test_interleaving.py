"""A check written in Python, for what a YAML scenario cannot say (here: a loop with computed data).

Runs beside the scenarios: `pytest assignments/echo-concurrent --submission DIR`, and in `grade`.
`live_submission()` opens a sandbox with the student's files; `box.step(verb, args)` runs one
step of the scenario language (the same verbs as in YAML) and raises with student-facing
feedback when the step fails. Its texts are in French and English, as the scenarios': the
marker's `name=` a mapping, the assertion's message picked with the `lang` fixture (the
language of the run).
"""

from __future__ import annotations

import pytest


@pytest.mark.labgrade(points=2, tags=["concurrency"],
                      name={"fr": "deux clients parlent à tour de rôle, 10 tours",
                            "en": "two clients take turns, 10 rounds"},
                      requires=["a connection is served by a child process"])
def test_two_clients_take_turns(live_submission, lang):  # type: ignore[no-untyped-def]
    """alice and bob stay connected and alternate lines; each gets exactly its own lines back."""
    box = live_submission()
    box.step("start", "server")
    box.step("connect", {"as": "alice"})
    box.step("connect", {"as": "bob"})
    for i in range(10):
        for who in ("alice", "bob"):
            line = f"{who} says {i} {'x' * i}\n"
            box.step("send", {"as": who, "data": line})
            box.step("expect", {"as": who, "data": line})
    assert "bob" not in box.received("alice"), {
        "fr": "alice a reçu les lignes de bob : les fils partagent une socket",
        "en": "alice received bob's lines: the children share a socket"}[lang]
