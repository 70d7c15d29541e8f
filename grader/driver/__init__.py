"""The in-sandbox driver (standard library only).

Its modules, by concern:
  * the run: __main__.py (one scenario, plan in, outcome out), wire.py (those values), zygote.py
    (the local backend's driver server), loop.py, transcript.py, i18n.py;
  * the language: stepspec.py (every step, once), steps.py (the Runner), runner.py (the rules every
    step shares), watch.py, conn_steps.py, send_steps.py, expect_steps.py, payload.py,
    program_steps.py, measure_steps.py, matching.py;
  * what a scenario talks to: endpoints.py (scripted connections and listeners), program.py;
  * confinement: jail.py (the student's process), rootfs.py (its filesystem);
  * observation: probes.py (/proc), sockdiag.py (TCP sockets), syscalls.py, tasks.py, settle.py.
"""
