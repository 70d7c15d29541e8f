"""The sandbox conformance suite, run against every backend (the `sandbox` fixture: local, then docker):
what a student's process can see, reach and leave behind.

Each test runs a small hostile-ish program as the student's "server" through the real driver
and checks the outcome, or the host afterwards. Where backends differ by design (the root
directory of a container is its image; the pids cgroup of a container also holds the driver),
the test says so.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from grader.driver.ports import bindable
from grader.sandbox import Sandbox
from grader.sandbox.docker import PIDS_RESERVE
from grader.sandbox.local import CHILD_EHASH
from grader.sandbox.process import SCENARIO_UIDS
from grader.sandbox.zygote import DriverServer

REPO = Path(__file__).resolve().parents[2]
PROBE_TAIL = """
import socket as _s, sys as _sys
_l = _s.socket(); _l.setsockopt(_s.SOL_SOCKET, _s.SO_REUSEADDR, 1); _l.bind(("", int(_sys.argv[1]))); _l.listen(5)
while True:
    _c, _ = _l.accept(); _c.close()
"""
PROCESSES = 32  # limits.processes in run_server's plan


def run_server(box: Sandbox, tmp: Path, code: str, steps: list[dict[str, Any]] | None = None,
               **plan: Any) -> dict[str, Any]:
    """Run `code` (then a trivial listener) as the student's server.py; return the outcome."""
    sub = tmp / f"sub-{uuid.uuid4().hex[:6]}"
    sub.mkdir()
    sub.chmod(0o755)
    (sub / "server.py").write_text(textwrap.dedent(code) + PROBE_TAIL)
    full = {"type": "plan", "steps": steps or [{"start": "server"}], "timeout": 20, "port": 24680, "seed": 1,
            "programs": {"server": {"argv": ["server.py", "{port}"], "kind": "server"}},
            "student": {"dir": str(sub)}, "reference": {"dir": str(sub)},
            "limits": {"cpu_seconds": 10, "memory_mb": 512, "address_space_mb": 4096, "file_size_mb": 4,
                       "open_files": 64, "processes": PROCESSES},
            **plan}
    return box.run(full)


def report(outcome: dict[str, Any]) -> dict[str, Any]:
    """The JSON line the probe program printed on stderr."""
    stderr = outcome["programs"]["server"]["stderr"]
    lines = [line for line in stderr.splitlines() if line.startswith("{")]
    assert lines, f"the probe printed nothing useful: {outcome}"
    return json.loads(lines[-1])


def test_student_runs_unprivileged_in_its_own_root(sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(sandbox, tmp_path, """
        import json, os, sys
        status = open("/proc/self/status").read()
        caps = [l.split()[1] for l in status.splitlines() if l.startswith(("CapEff", "CapPrm", "CapBnd"))]
        try:
            grader = os.listdir("/grader")
        except OSError as e:
            grader = type(e).__name__
        print(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
                          "root": sorted(os.listdir("/")), "cwd": os.getcwd(), "grader": grader,
                          "parent_mode": os.stat("..").st_mode & 0o777,
                          "caps": caps, "nnp": "NoNewPrivs:\\t1" in status,
                          "env": sorted(os.environ)}), file=sys.stderr)
    """)
    assert out["status"] == "passed", out
    seen = report(out)
    if sandbox.name == "process":  # a uid of the scenario's own, in the machine's root: no namespace to hold it
        assert seen["uid"] == seen["gid"] and seen["uid"] in SCENARIO_UIDS and seen["groups"] == []
    elif sandbox.name == "docker" or os.geteuid() == 0:
        assert (seen["uid"], seen["gid"], seen["groups"]) == (65534, 65534, [])
    assert seen["caps"] == ["0000000000000000"] * 3
    assert seen["nnp"] is True
    if sandbox.name == "process":  # its own copy of the submission, in a folder only its uid may enter
        assert seen["cwd"].endswith("/submission") and seen["parent_mode"] & 0o077 == 0
        assert seen["grader"] in ("FileNotFoundError", "PermissionError")  # the grading image has a closed /grader
    else:
        assert seen["cwd"] == "/submission"
    if sandbox.name == "process":
        pass  # the machine's own root (README, "Sandbox backends": what the process backend cannot hide)
    elif sandbox.name == "local" or getattr(sandbox, "warm", None):  # a chroot holding only what the student needs
        # (docker's warm container builds the same, in each scenario's mount namespace)
        assert set(seen["root"]) <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin",
                                     "submission", "tmp", "usr"}
        assert seen["grader"] == "FileNotFoundError"
    else:  # the image's root; the grader's own directory is there, closed to the student
        assert {"submission", "tmp", "usr", "grader"} <= set(seen["root"])
        assert seen["grader"] == "PermissionError"
    assert "PYTHONUNBUFFERED" in seen["env"] and "HOME" in seen["env"]
    assert not any(k.startswith(("PYTEST", "VIRTUAL_ENV", "LABGRADE")) for k in seen["env"])  # built from scratch


def test_programs_start_with_no_signal_blocked_whatever_thread_runs_the_sandbox(sandbox: Sandbox,
                                                                              tmp_path: Path) -> None:
    """Scenarios graded side by side run in threads that block SIGINT and SIGTERM (grader/plugin/sidebyside.py);
    a program inheriting that would outlive the grader's SIGTERM, and be judged for it."""
    code = """
        import json, sys
        status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines())
        print(json.dumps({"blocked": status["SigBlk"]}), file=sys.stderr)
    """
    outcomes = []

    def blocking_thread() -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM, signal.SIGUSR1})
        outcomes.append(run_server(sandbox, tmp_path, code))

    worker = threading.Thread(target=blocking_thread)
    worker.start()
    worker.join()
    assert outcomes and outcomes[0]["status"] == "passed", outcomes
    assert report(outcomes[0])["blocked"] == "0000000000000000"


def test_host_files_and_other_submissions_are_invisible(sandbox: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "other-student" / "server.py"
    secret.parent.mkdir()
    secret.write_text("# another student's work\n")
    secret.chmod(0o644)
    host_only = [str(secret), str(REPO / "assignments"), str(REPO / "reference"), str(REPO / "grader")]
    out = run_server(sandbox, tmp_path, f"""
        import json, os, sys
        def can_read(p):
            try:
                open(p, "rb").read(1); return True
            except OSError:
                return False
        host_only = {host_only!r}
        paths = host_only + ["/etc/shadow", "../../../../etc/shadow", "/proc/1/environ", "/proc/1/root/etc/shadow",
                             "/grader/reference/server.py", "/grader/lib/grader/__init__.py"]
        writes = {{}}
        for p in ("/submission/x", "/tmp/x", "/x", "/usr/x", "/etc/x"):
            try:
                open(p, "w").write("x"); writes[p] = True
            except OSError:
                writes[p] = False
        print(json.dumps({{"read": {{p: can_read(p) for p in paths}}, "write": writes,
                          "exist": {{p: os.path.exists(p) for p in host_only}}}}), file=sys.stderr)
    """)
    seen = report(out)
    if sandbox.name == "process":  # no private root: what the machine leaves readable by every user is readable
        # (README, "Sandbox backends"); what is root's stays root's, and nothing outside /tmp is writable
        assert not any(v for p, v in seen["read"].items() if p not in host_only), seen["read"]
        assert seen["write"] == {"/submission/x": False, "/tmp/x": True, "/x": False, "/usr/x": False,
                                 "/etc/x": False}
        assert not Path("/tmp/x").exists() or Path("/tmp/x").stat().st_uid not in SCENARIO_UIDS  # removed after
        return
    assert not any(seen["read"].values()), seen["read"]
    assert not any(seen["exist"].values()), seen["exist"]
    assert seen["write"] == {"/submission/x": False, "/tmp/x": True, "/x": False, "/usr/x": False, "/etc/x": False}


def test_reference_is_out_of_the_students_reach(sandbox: Sandbox, tmp_path: Path) -> None:
    reference = REPO / "reference" / "echo-iterative"
    # the process backend has no root of its own: where it keeps its files, and the lab's folder
    tops = ("/tmp/",) if sandbox.name == "process" else ("/", "/grader", "/grader/reference")
    out = run_server(sandbox, tmp_path, f"""
        import json, os, sys
        found = []
        for top in ({", ".join(map(repr, tops))}, {str(reference)!r}):
            try:
                for root, dirs, files in os.walk(top, onerror=None):
                    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/dev", "/usr")
                               and (top != "/tmp/" or root != "/tmp/" or d.startswith("labgrade-"))]
                    found += [os.path.join(root, f) for f in files if f == "server.py"]
            except OSError:
                pass
        print(json.dumps({{"found": sorted(set(found))}}), file=sys.stderr)
    """, reference={"dir": str(reference)})
    assert out["status"] == "passed", out
    found = report(out)["found"]
    if sandbox.name == "process":  # the reference runs from a root-only copy; the lab's own folder is readable
        # where the machine leaves it so (here, this checkout): run_autograder's set-up makes it root-only
        assert not [f for f in found if "labgrade-process-" in f and not f.endswith("/submission/server.py")], found
        open_to_others = all(os.stat(d).st_mode & 0o001 for d in reference.parents)  # a clone under a 0700 dir is not
        assert (str(reference / "server.py") in found) == open_to_others, found
        return
    assert found == ["/submission/server.py"]


def test_no_network_but_its_own_loopback(sandbox: Sandbox, tmp_path: Path) -> None:
    with socket.socket() as host_listener:  # a service on the host's loopback: must stay unreachable
        host_listener.bind(("127.0.0.1", 0))
        host_listener.listen(1)
        port = host_listener.getsockname()[1]
        out = run_server(sandbox, tmp_path, f"""
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
        if sandbox.name == "process":  # the machine's own network, shared (README, "Sandbox backends")
            assert report(out)["host"] == "connected"
            return
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


def test_nothing_survives_the_scenario(sandbox: Sandbox, tmp_path: Path) -> None:
    marker = f"labgrade-daemon-{uuid.uuid4().hex}"
    out = run_server(sandbox, tmp_path, f"""
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


def test_every_server_of_a_scenario_binds_its_port_whatever_else_holds_one(sandbox: Sandbox,
                                                                          tmp_path: Path) -> None:
    """Two servers that set no SO_REUSEADDR, while something else of the machine holds the port
    after the plan's (the second server's): in a network of the scenario's own, nothing can; on
    the process backend's shared network, each server gets a port free as it binds it, not only
    the first (grader/driver/ports.py)."""
    port = next(p for p in range(24000, 25000) if all(map(bindable, range(p, p + 3))))  # not an earlier test's
    holder = socket.socket()
    holder.bind(("", port + 1))
    try:
        out = run_server(sandbox, tmp_path, """
            import socket, sys
            s = socket.socket()
            s.bind(("", int(sys.argv[1])))
            s.listen(5)
            while True:
                s.accept()[0].close()
        """, steps=[{"start": "server"}, {"start": {"program": "server", "as": "second"}},
                    {"connect": {"as": "c1", "to": "server"}}, {"connect": {"as": "c2", "to": "second"}}], port=port)
    finally:
        holder.close()
    assert out["status"] == "passed", out


def test_no_ipc_object_or_temp_file_outlives_the_scenario(sandbox: Sandbox, tmp_path: Path) -> None:
    """The process backend has no IPC namespace or private /tmp to take them away: it removes them."""
    key, name = 0x1ABE7, f"/tmp/labgrade-left-{uuid.uuid4().hex}"
    out = run_server(sandbox, tmp_path, f"""
        import ctypes, sys
        libc = ctypes.CDLL(None, use_errno=True)
        shm = libc.shmget({key}, 4096, 0o1600)          # IPC_CREAT | 0600
        open({name!r}, "w").write("left behind")
        print('{{"shm": %d}}' % shm, file=sys.stderr)
    """)
    assert out["status"] == "passed", out
    assert report(out)["shm"] >= 0
    keys = [int(line.split()[0]) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    assert key not in keys
    assert not Path(name).exists()


def test_the_driver_observes_the_students_processes(sandbox: Sandbox, tmp_path: Path) -> None:
    """What probes read in /proc about another uid's process: fds and the blocking call need
    more than root's uid in a container (docs/kernel.md, "Processes")."""
    out = run_server(sandbox, tmp_path, """
        import os, time
        if os.fork() == 0:
            time.sleep(60)
    """, steps=[{"start": "server"},
                {"probe": {"measure": "children", "of": "server", "equals": 1, "within": 5}},
                {"probe": {"measure": "fds", "of": "server", "at_least": 4}},
                {"probe": {"measure": "threads", "of": "server", "equals": 1}},
                {"probe": {"measure": "processes", "equals": 2}},
                {"expect_blocked": {"of": "server", "in": ["accept"], "samples": 3, "within": 5}}])
    assert out["status"] == "passed", out


def test_fork_bomb_is_capped(sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(sandbox, tmp_path, """
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
    # local: a pids cgroup of the student's own; docker: the container's, shared with the driver
    cap = PROCESSES + (PIDS_RESERVE if sandbox.name == "docker" else 0)
    assert 0 < report(out)["forked"] < cap


def test_memory_is_capped(sandbox: Sandbox, tmp_path: Path) -> None:
    if sandbox.name == "local" and os.geteuid() != 0:
        pytest.skip("as a normal user the local backend has RLIMIT_AS only, no memory cgroup")
    if sandbox.name == "process":  # no cgroup: RLIMIT_AS only, per process (README, "Sandbox backends")
        out = run_server(sandbox, tmp_path, """
            hog = b"x" * (1 << 30)                   # 1 GiB: beyond RLIMIT_AS (2 x memory_mb here)
        """)
        assert out["status"] == "failed" and "MemoryError" in out["programs"]["server"]["stderr"], out
        return
    out = run_server(sandbox, tmp_path, """
        hog = b"x" * (1 << 30)                   # 1 GiB, touched: within RLIMIT_AS, beyond memory_mb=512
    """)
    assert out["status"] == "failed", out
    reason = out["verdict"]["reason"]
    assert "SIGKILL" in reason, reason  # the cgroup's OOM killer...
    assert "out of memory" in reason and "512 MB" in reason, reason  # ...said as such


def test_missing_program_is_the_students_failure(sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(sandbox, tmp_path, "", programs={"server": {"argv": ["nope.py", "{port}"],
                                                                 "kind": "server"}})
    assert out["status"] == "failed"
    assert "nope.py is missing from the submission" in out["verdict"]["reason"]


def test_crash_before_listening_is_reported_with_stderr(sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(sandbox, tmp_path, "raise SystemExit('cannot start: bad config')\n")
    assert out["status"] == "failed"
    assert "exited with code 1 before listening" in out["verdict"]["reason"]
    assert "cannot start: bad config" in out["programs"]["server"]["stderr"]


def test_the_driver_runs_from_a_private_copy(sandbox: Sandbox) -> None:
    """Editing the checkout while a class is graded cannot break the run: each backend copies the
    driver when it opens (compared by name only: the checkout may be edited while this test runs)."""
    lib = Path(sandbox.lib)  # type: ignore[attr-defined]
    assert REPO not in lib.parents
    copied = {p.name for p in (lib / "grader" / "driver").glob("*.py")}
    assert copied == {p.name for p in (REPO / "grader" / "driver").glob("*.py")}
    assert "__main__.py" in copied


def test_an_interpreter_under_tmp_is_not_hidden_by_the_scratch_tmp(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """LABGRADE_PYTHON may point under /tmp (a Python unpacked there): the local sandbox binds it
    inside the student's own /tmp, not under it (where it would vanish and every test fail)."""
    import shutil
    import sys
    import tempfile

    from grader.sandbox import open_backend
    from grader.sandbox.local import sandbox_python

    system = sandbox_python()
    if system is None or not system.startswith("/usr/"):
        pytest.skip("needs a system Python under /usr to copy")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if not Path(system).name.startswith(version) or not Path(f"/usr/lib/{version}").is_dir():
        pytest.skip(f"needs /usr/lib/{version} beside {system}")
    prefix = Path(tempfile.mkdtemp(prefix="labgrade-python-", dir="/tmp"))
    try:
        prefix.chmod(0o755)
        (prefix / "bin").mkdir()
        shutil.copy2(system, prefix / "bin" / version)
        shutil.copytree(f"/usr/lib/{version}", prefix / "lib" / version, symlinks=True,
                        ignore=shutil.ignore_patterns("test", "__pycache__", "idlelib", "tkinter", "*-packages"))
        monkeypatch.setenv("LABGRADE_PYTHON", str(prefix / "bin" / version))
        sandbox_python.cache_clear()
        assert sandbox_python() == str(prefix / "bin" / version)
        box = open_backend("local")
        try:
            out = run_server(box, tmp_path, "import sys, json; print(json.dumps({'exe': sys.executable}), "
                                             "file=sys.stderr, flush=True)\n")
        finally:
            box.close()
        assert out["status"] == "passed", out
        assert report(out)["exe"] == str(prefix / "bin" / version)
    finally:
        sandbox_python.cache_clear()
        shutil.rmtree(prefix, ignore_errors=True)


@pytest.mark.parametrize("backend", ["local", "local_lent", pytest.param("docker", marks=pytest.mark.docker)])
def test_a_scenarios_network_has_a_tcp_table_of_its_own(backend: str, request: pytest.FixtureRequest,
                                                         tmp_path: Path) -> None:
    """As root, the local backend (and the docker backend's warm container) makes each scenario's
    network namespace where it gets its own small TCP hash table (CHILD_EHASH): the driver's
    sock_diag dumps walk it, not the host's (grader/sandbox/local.py). A negative figure is a
    namespace sharing the host's table."""
    if os.geteuid() != 0:
        pytest.skip("the run's parent network namespace is made as root only")
    box: Sandbox = request.getfixturevalue(f"{backend}_sandbox")
    out = run_server(box, tmp_path, """
        import json, sys
        print(json.dumps({"ehash": open("/proc/sys/net/ipv4/tcp_ehash_entries").read().strip()}), file=sys.stderr)
    """)
    assert report(out)["ehash"] == str(CHILD_EHASH)


def test_a_pytest_run_that_dies_takes_its_scenarios_with_it_and_the_class_goes_on(local_sandbox: Sandbox,
                                                                                   tmp_path: Path) -> None:
    """A class run lends its local driver server to each submission's pytest run (Sandbox.lend):
    when a run's channel closes (the run died), the server kills what it forked for that run, and
    serves the class on."""
    lent = local_sandbox.lend()
    assert lent is not None
    joined = DriverServer(lent[1], "test channel")
    driver = joined.fork()  # a driver in its namespaces, waiting for a plan
    try:
        assert not driver.ended()
        lent[1].close()  # as the kernel does when the process holding it dies
        assert driver.ended(timeout=30)
    finally:
        driver.kill()
    out = run_server(local_sandbox, tmp_path, """
        import sys
        print('{"alive": 1}', file=sys.stderr)
    """)
    assert out["status"] == "passed" and report(out) == {"alive": 1}
