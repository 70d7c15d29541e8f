"""The values that cross the sandbox boundary (grader/driver/wire.py): tagged JSON, checked on the way in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.driver.wire import (
    HINTS,
    Event,
    Outcome,
    Plan,
    ProgramOutcome,
    ProgramSpec,
    Ready,
    Reply,
    Side,
    Transcript,
    Verdict,
    WireError,
    warm,
)
from grader.i18n import use
from grader.run import PORTS, port_for

PLAN = Plan(steps=({"start": "server"},), timeout=5.0, port=24680,
            programs={"server": ProgramSpec(("server.py", "{port}"), "server")},
            student=Side("/s", files={"server.py": "src/server.py"}), reference=Side("/r"), lang="fr")
OUTCOME = Outcome("failed", Transcript((Event(0.0123, "server", "listening", "port 1"),), dropped=2),
                  {"server": ProgramOutcome(True, "student", "server.py", "exited with code 1", 1, "boom\n", 0, 5,
                                            False, "server.py stops at once")},
                  {"server_backlog": 5}, 0.5, Verdict(1, "connect alice", "refused", "a connection", "refused"))


VERDICT = Verdict(2, "expect alice", "nothing came", "a line", "nothing")
REPLIES = [Reply(True, {"server_backlog": 5}, {"alice": "hi\\xff\n"}), Reply(False, {}, {}, verdict=VERDICT),
           Reply(False, grader_error="ValueError: unknown step 'conect'")]


@pytest.mark.parametrize("value", [PLAN, OUTCOME, Outcome("error", error="Traceback..."), Ready(), *REPLIES])
def test_a_value_survives_json(value: Plan | Outcome | Ready | Reply) -> None:
    sent = json.loads(json.dumps(value.to_json()))
    assert sent["type"] == value.TAG
    assert type(value).from_json(sent) == value


def test_the_tag_is_required_at_the_top_only() -> None:
    with pytest.raises(WireError, match="expected a 'outcome' value, got 'plan'"):
        Outcome.from_json(PLAN.to_json())
    untagged = {k: v for k, v in PLAN.to_json().items() if k != "type"}
    with pytest.raises(WireError, match="expected a 'plan' value"):
        Plan.from_json(untagged)
    by_hand = {"type": "plan", "steps": [], "timeout": 1, "port": 1, "programs": {"s": {"argv": ["s.py"], "kind": "x"}},
               "student": {"dir": "/s"}, "reference": {"dir": "/r"}}  # nested values untagged, as tests write them
    assert Plan.from_json(by_hand).programs["s"] == ProgramSpec(("s.py",), "x")


def test_unknown_missing_and_mistyped_fields_are_refused() -> None:
    with pytest.raises(WireError, match="plan: unknown fields spawn"):
        Plan.from_json({**PLAN.to_json(), "spawn": "x"})
    with pytest.raises(WireError, match="plan: unknown fields TAG"):  # a class variable is not a field
        Plan.from_json({**PLAN.to_json(), "TAG": "plan"})
    with pytest.raises(WireError, match="plan: missing fields port"):
        Plan.from_json({k: v for k, v in PLAN.to_json().items() if k != "port"})
    with pytest.raises(WireError, match=r"plan\.port: expected int, got .24680."):
        Plan.from_json({**PLAN.to_json(), "port": "24680"})
    with pytest.raises(WireError, match=r"event: expected \[time, actor, what, detail\]"):
        Outcome.from_json({**OUTCOME.to_json(), "transcript": {"events": [[0.1, "a", "b"]]}})
    with pytest.raises(WireError, match="status 'crashed' is none of passed, failed, error"):
        Outcome.from_json({**OUTCOME.to_json(), "status": "crashed"})


def test_a_reply_is_ok_or_has_one_fault() -> None:
    """A check reads `ok`, else the verdict (the student's fault) or the grader error: never both, never neither."""
    sent = REPLIES[1].to_json()
    for bad in ({**sent, "ok": True}, {**sent, "grader_error": "boom"}, {**sent, "verdict": None},
                {**REPLIES[0].to_json(), "grader_error": "boom"}):
        with pytest.raises(WireError, match="reply: ok is"):
            Reply.from_json(bad)
    with pytest.raises(WireError, match=r"reply\.received\.alice: expected str, got 3"):
        Reply.from_json({**REPLIES[0].to_json(), "received": {"alice": 3}})
    with pytest.raises(WireError, match="reply: unknown fields bogus"):
        Reply.from_json({**REPLIES[0].to_json(), "bogus": 1})
    with pytest.raises(WireError, match="expected a 'reply' value, got None"):
        Reply.from_json({"ok": True})  # an untagged object, as the driver sent before replies were values
    with pytest.raises(WireError, match="expected a 'ready' value, got 'reply'"):
        Ready.from_json(REPLIES[0].to_json())
    assert Reply.from_json(sent).verdict == VERDICT


def test_a_reply_reads_as_the_dict_it_was() -> None:
    """Checks written when a reply was a dict keep working: `reply["saved"]`; a name it lacks is a KeyError."""
    reply = REPLIES[0]
    assert (reply["ok"], reply["saved"]["server_backlog"], reply["received"]) == (True, 5, {"alice": "hi\\xff\n"})
    with pytest.raises(KeyError):
        reply["TAG"]


def test_a_wire_error_speaks_the_runs_language() -> None:
    """A WireError is read by the instructor (a test's grader error): in the language of the run."""
    use("fr")
    with pytest.raises(WireError, match="plan : champs manquants port"):
        Plan.from_json({k: v for k, v in PLAN.to_json().items() if k != "port"})
    with pytest.raises(WireError, match="reply : ok vaut True"):
        Reply(True, verdict=VERDICT)


def test_warm_evaluates_every_wire_types_annotations() -> None:
    """The driver server warms the wire types before it forks the drivers (grader/driver/zygote.py):
    each driver then decodes its plan without evaluating annotations again."""
    HINTS.clear()
    warm()
    assert {Plan, Outcome, Ready, Reply, Verdict, Transcript, Event, ProgramSpec, ProgramOutcome, Side} <= set(HINTS)
    assert HINTS[Plan]["programs"] == dict[str, ProgramSpec]


REPO = Path(__file__).resolve().parents[2]
RANGE = "/proc/sys/net/ipv4/ip_local_port_range"


def test_scenario_ports_are_never_a_connections_source_port() -> None:
    """The kernel gives a connect() a source port from ip_local_port_range: a scenario's ports (and
    the ports of its further servers, + 1, ...) lie below it, so that no client of the scenario, nor
    an earlier one's TIME_WAIT, holds the port a student's server binds. The range is read where a
    scenario runs, in a network namespace of its own: a new one starts from the kernel's default,
    whatever the machine's own (the process sandbox, on the container's network, looks at that one
    itself: grader/driver/ports.py)."""
    done = subprocess.run(["unshare", "--map-root-user", "--net", "cat", RANGE], capture_output=True, text=True,
                          timeout=30)  # where namespaces are refused, the machine's own range says as much
    assert PORTS.stop + 8 <= int((done.stdout if done.returncode == 0 else Path(RANGE).read_text()).split()[0])
    for lab in sorted((REPO / "assignments").iterdir()):
        for scenario in load_assignment(lab).scenarios:
            assert port_for(scenario) in PORTS
