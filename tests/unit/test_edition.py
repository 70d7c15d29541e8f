"""What a student edition ships, decided from the loaded lab (grader/edition.py's rules)."""

from __future__ import annotations

from pathlib import Path

from grader.assignment import find_assignment, load_assignment
from grader.edition import Check, collect_checks, select, starts_a_solution, write_edition


def test_tests_that_run_the_solution_of_a_hand_in_file_stay_out() -> None:
    queue = load_assignment(find_assignment("queue")).in_language("en")
    chosen = select(queue, collect_checks(queue))
    assert set(chosen.left_out) == {"client echoes typed lines and exits at end of input",
                                    "client reports each failed attempt and gets in when the queue frees",
                                    "client gives up with exit code 2 when the queue never frees",
                                    "a busy server lets the kernel queue as many clients as the reference, then reject"}
    assert all("runs the course's solution of server.py" in why for why in chosen.left_out.values())
    assert chosen.points_left_out == sum(s.points for s in queue.scenarios if s.name in chosen.left_out)


def test_a_check_file_ships_whole_or_not_at_all(tmp_path: Path) -> None:
    lab = load_assignment(find_assignment("echo-concurrent"))
    (collected,) = collect_checks(lab)
    assert collected.name == "two clients take turns, 10 rounds" and collected.visibility == "visible"
    hidden = Check("a hidden one", collected.path, 1.0, "hidden", ())
    chosen = select(lab, [collected, hidden])
    assert chosen.check_files == ()
    assert chosen.left_out[collected.name] == "is in test_interleaving.py beside a test left out ('a hidden one')"
    assert select(lab, [collected]).check_files == (collected.path,)


def test_a_check_that_starts_a_program_from_the_reference_is_found(tmp_path: Path) -> None:
    check = tmp_path / "test_peer.py"
    check.write_text('def test_x(live_submission):\n    box = live_submission()\n'
                     '    box.step("start", {"program": "server", "from": "reference"})\n')
    assert starts_a_solution(check)
    check.write_text('def test_x(live_submission):\n    live_submission().step("start", "server")\n')
    assert not starts_a_solution(check)


def test_the_edition_keeps_the_labs_own_tags(tmp_path: Path) -> None:
    """A lab with its own tags (docs/examples/daytime: format, clock) publishes an edition that loads."""
    lab = load_assignment(Path(__file__).resolve().parents[2] / "docs" / "examples" / "daytime")
    write_edition(lab, select(lab, collect_checks(lab)), tmp_path)
    edition = load_assignment(tmp_path)
    assert edition.tags == lab.tags and {"format", "clock"} <= set(edition.tags)
    assert [s.tags for s in edition.scenarios] == [s.tags for s in lab.scenarios]
