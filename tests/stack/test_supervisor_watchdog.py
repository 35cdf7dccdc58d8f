"""A program that keeps crashing is not left FATAL for good: ci/stack/supervisor_watchdog.py starts
it again after its delay, as the kubelet keeps restarting a crash-looping container.

A supervisord of its own in a temporary folder (no ports), with the local stack's watchdog and a
program that exits at once until a file appears -- an outage that ends.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.stack

WATCHDOG = Path(__file__).resolve().parents[2] / "ci" / "stack" / "supervisor_watchdog.py"
BIN = Path(sys.executable).parent


@pytest.fixture
def supervisord(tmp_path):
    """Start a supervisord whose program `flaky` fails until tmp_path/healed exists."""
    conf = tmp_path / "supervisord.conf"
    flaky = f"{sys.executable} -c \"import os, sys, time; os.path.exists('{tmp_path}/healed') or sys.exit(1); time.sleep(3600)\""
    conf.write_text(f"""
[unix_http_server]
file={tmp_path}/s.sock
chmod=0700
[supervisorctl]
serverurl=unix://{tmp_path}/s.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisord]
pidfile={tmp_path}/supervisord.pid
logfile={tmp_path}/supervisord.log
childlogdir={tmp_path}
[eventlistener:watchdog]
command={sys.executable} {WATCHDOG} --delay 2
events=PROCESS_STATE_FATAL,TICK_5
stdout_logfile=NONE
stderr_logfile={tmp_path}/watchdog.log
[program:flaky]
command={flaky}
startsecs=1
startretries=1
autorestart=true
""")
    subprocess.run([str(BIN / "supervisord"), "-c", str(conf)], check=True)

    def ctl(*args: str) -> str:
        return subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), *args], capture_output=True, text=True).stdout

    yield ctl, tmp_path
    ctl("shutdown")


def wait_for_state(ctl, state: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ctl("status", "flaky").split()[1:2] == [state]:
            return
        time.sleep(0.2)
    pytest.fail(f"flaky never {state} in {timeout}s: {ctl('status')}")


def test_fatal_program_is_started_again_once_the_outage_ends(supervisord):
    ctl, folder = supervisord
    wait_for_state(ctl, "FATAL", 20)  # supervisord gave up after startretries
    (folder / "healed").touch()
    wait_for_state(ctl, "RUNNING", 20)  # the watchdog started it again, without anyone's help
    assert "flaky was FATAL: started again" in (folder / "watchdog.log").read_text()


def test_program_stopped_by_hand_stays_stopped(supervisord):
    ctl, folder = supervisord
    (folder / "healed").touch()
    wait_for_state(ctl, "RUNNING", 20)
    ctl("stop", "flaky")
    time.sleep(7)  # past the watchdog's delay and a TICK_5
    assert ctl("status", "flaky").split()[1] == "STOPPED"
