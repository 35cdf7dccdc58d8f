"""supervisord event listener of the local stack: start a FATAL program again after a delay.

supervisord retries a program that dies within `startsecs` only `startretries` times (waiting
1, 2, 3... seconds), then marks it FATAL and leaves it down for good. During a long outage (the
database stopped, say) a program can crash that often; in Kubernetes the kubelet would keep
restarting it with CrashLoopBackOff. This listener gives the local stack the same: on
PROCESS_STATE_FATAL it notes the program, and on a later TICK_5 event past --delay seconds it asks
supervisord (XML-RPC over its unix socket) to start it again, which begins a fresh series of
retries. A program someone stopped by hand is STOPPED, not FATAL, and stays stopped.

Run by supervisord ([eventlistener:watchdog] in the config ci/stack/services writes): the event
protocol is on stdin/stdout, so this only logs to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import xmlrpc.client

from supervisor import childutils


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} watchdog: {message}", file=sys.stderr, flush=True)


def restart_due(rpc, due: dict[str, float], now: float) -> None:
    """Start each noted program whose delay has passed, if it is still FATAL."""
    for name, when in list(due.items()):
        if when > now:
            continue
        del due[name]
        try:
            state = rpc.supervisor.getProcessInfo(name)["statename"]
            if state != "FATAL":
                log(f"{name} is {state} now: left alone")
                continue
            # wait=False: the listener must answer supervisord, not wait for startsecs.
            rpc.supervisor.startProcess(name, False)
            log(f"{name} was FATAL: started again")
        except xmlrpc.client.Fault as fault:
            log(f"{name}: could not start: {fault.faultString}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=30.0, help="seconds a program stays FATAL before a restart")
    args = parser.parse_args()
    rpc = childutils.getRPCInterface(os.environ)
    due: dict[str, float] = {}
    log(f"watching for FATAL programs (restart after {args.delay:g}s)")
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"] == "PROCESS_STATE_FATAL":
            fields, _ = childutils.eventdata(payload + "\n")
            name = fields["processname"]
            if fields["groupname"] != name:
                name = f"{fields['groupname']}:{name}"
            due[name] = time.monotonic() + args.delay
            log(f"{name} is FATAL (it kept exiting within startsecs): starting it again in {args.delay:g}s")
        else:
            restart_due(rpc, due, time.monotonic())
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
