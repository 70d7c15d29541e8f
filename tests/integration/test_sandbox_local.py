"""The local sandbox, tested with real programs: what a student's process can see, reach and leave behind.

Each test runs a small hostile-ish program as the student's "server" through the real driver
and checks the outcome, or the host afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from grader.sandbox import Sandbox

PROBE_TAIL = """
import socket as _s, sys as _sys
_l = _s.socket(); _l.setsockopt(_s.SOL_SOCKET, _s.SO_REUSEADDR, 1); _l.bind(("", int(_sys.argv[1]))); _l.listen(5)
while True:
    _c, _ = _l.accept(); _c.close()
"""


def run_server(box: Sandbox, tmp: Path, code: str, steps: list[dict[str, Any]] | None = None,
               **plan: Any) -> dict[str, Any]:
    """Run `code` (then a trivial listener) as the student's server.py; return the outcome."""
    sub = tmp / f"sub-{uuid.uuid4().hex[:6]}"
    sub.mkdir()
    (sub / "server.py").write_text(textwrap.dedent(code) + PROBE_TAIL)
    full = {"steps": steps or [{"start": "server"}], "timeout": 20, "port": 24680, "seed": 1,
            "programs": {"server": {"argv": ["server.py", "{port}"], "kind": "server"}},
            "student": {"dir": str(sub)}, "reference": {"dir": str(sub)},
            "limits": {"cpu_seconds": 10, "memory_mb": 512, "address_space_mb": 4096, "file_size_mb": 4,
                       "open_files": 64, "processes": 32},
            **plan}
    return box.run(full)


def report(outcome: dict[str, Any]) -> dict[str, Any]:
    """The JSON line the probe program printed on stderr."""
    stderr = outcome["programs"]["server"]["stderr"]
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert lines, f"the probe printed nothing useful: {outcome}"
    return json.loads(lines[-1])


def test_student_runs_unprivileged_in_its_own_root(local_sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(local_sandbox, tmp_path, """
        import json, os, sys
        status = open("/proc/self/status").read()
        caps = [l.split()[1] for l in status.splitlines() if l.startswith(("CapEff", "CapBnd"))]
        print(json.dumps({"uid": os.getuid(), "root": sorted(os.listdir("/")), "cwd": os.getcwd(),
                          "caps": caps, "nnp": "NoNewPrivs:\\t1" in status,
                          "env": sorted(os.environ)}), file=sys.stderr)
    """)
    assert out["status"] == "passed", out
    seen = report(out)
    if os.geteuid() == 0:
        assert seen["uid"] == 65534
    assert seen["caps"] == ["0000000000000000", "0000000000000000"]
    assert seen["nnp"] is True
    assert seen["cwd"] == "/submission"
    assert set(seen["root"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin",
                                 "submission", "tmp", "usr"}
    assert "PYTHONUNBUFFERED" in seen["env"] and "HOME" in seen["env"]
    assert not any(k.startswith(("PYTEST", "VIRTUAL_ENV")) for k in seen["env"])  # built from scratch


def test_host_files_and_other_submissions_are_invisible(local_sandbox: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "other-student" / "server.py"
    secret.parent.mkdir()
    secret.write_text("# another student's work\n")
    secret.chmod(0o644)
    repo = Path(__file__).resolve().parents[2]
    out = run_server(local_sandbox, tmp_path, f"""
        import json, os, sys
        def can_read(p):
            try:
                open(p, "rb").read(1); return True
            except OSError:
                return False
        paths = [{str(secret)!r}, "/etc/shadow", {str(repo / 'assignments')!r}, {str(repo / 'reference')!r},
                 "../../../../etc/shadow", "/proc/1/environ", "/proc/1/cmdline"]
        writes = {{}}
        for p in ("/submission/x", "/tmp/x", "/x", "/usr/x"):
            try:
                open(p, "w").write("x"); writes[p] = True
            except OSError:
                writes[p] = False
        print(json.dumps({{"read": {{p: can_read(p) or os.path.exists(p) for p in paths}}, "write": writes}}),
              file=sys.stderr)
    """)
    seen = report(out)
    assert not any(seen["read"].values()), seen["read"]
    assert seen["write"] == {"/submission/x": False, "/tmp/x": True, "/x": False, "/usr/x": False}


def test_no_network_but_its_own_loopback(local_sandbox: Sandbox, tmp_path: Path) -> None:
    with socket.socket() as host_listener:  # a service on the host's loopback: must stay unreachable
        host_listener.bind(("127.0.0.1", 0))
        host_listener.listen(1)
        port = host_listener.getsockname()[1]
        out = run_server(local_sandbox, tmp_path, f"""
            import json, socket, sys
            def reach(addr):
                s = socket.socket(); s.settimeout(1)
                try:
                    s.connect(addr); return "connected"
                except OSError as e:
                    return type(e).__name__
            print(json.dumps({{"ifaces": [n for _, n in socket.if_nameindex()],
                              "host": reach(("127.0.0.1", {port})), "out": reach(("192.0.2.1", 80))}}),
                  file=sys.stderr)
        """)
        host_listener.settimeout(0)
        with pytest.raises(BlockingIOError):
            host_listener.accept()  # nothing came in
    seen = report(out)
    assert seen["ifaces"] == ["lo"]
    assert seen["host"] == "ConnectionRefusedError"
    assert seen["out"] == "OSError"  # ENETUNREACH: no route at all


def host_pids_with(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_nothing_survives_the_scenario(local_sandbox: Sandbox, tmp_path: Path) -> None:
    marker = f"labgrade-daemon-{uuid.uuid4().hex}"
    out = run_server(local_sandbox, tmp_path, f"""
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:                       # a double-forked daemon that ignores SIGTERM
            os.setsid()
            if os.fork() == 0:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", {marker!r}])
            os._exit(0)
    """, steps=[{"start": "server"}, {"probe": {"measure": "processes", "at_least": 2, "within": 5}}])
    assert out["status"] == "passed", out
    assert host_pids_with(marker) == []


def test_fork_bomb_is_capped(local_sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(local_sandbox, tmp_path, """
        import json, os, sys, time
        n = 0
        for _ in range(500):                     # bounded: at most 500 forks, children just sleep
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30); os._exit(0)
            n += 1
        print(json.dumps({"forked": n}), file=sys.stderr)
    """)
    assert report(out)["forked"] < 32  # limits.processes in run_server's plan


def test_missing_program_is_the_students_failure(local_sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(local_sandbox, tmp_path, "", programs={"server": {"argv": ["nope.py", "{port}"],
                                                                       "kind": "server"}})
    assert out["status"] == "failed"
    assert "nope.py is missing from the submission" in out["message"]


def test_crash_before_listening_is_reported_with_stderr(local_sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(local_sandbox, tmp_path, "raise SystemExit('cannot start: bad config')\n")
    assert out["status"] == "failed"
    assert "exited with code 1 before listening" in out["message"]
    assert "cannot start: bad config" in out["programs"]["server"]["stderr"]
