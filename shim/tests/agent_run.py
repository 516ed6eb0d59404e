"""Run the shim's provider agent callable as octavia-driver-agent would.

Usage: agent_run.py <marker file> [--until-return]

Starts ovn_octavia_shim.agent.agent(exit_event) in a thread, waits until
the agent program has written a line to the marker file (with
--until-return: until the callable returns by itself), sets exit_event and prints one JSON line: {"returned": null} or
{"raised": "<class>", "message": "<str(e)>"}. The program and its flags
come from $OVN_OCTAVIA_BINARY and $OVN_OCTAVIA_AGENT_ARGS.
"""

import json
import os
import sys
import threading
import time

from ovn_octavia_shim import agent


def main(argv):
    marker = argv[1]
    until_return = '--until-return' in argv[2:]
    exit_event = threading.Event()
    out = {}

    def run():
        try:
            agent.agent(exit_event)
            out['returned'] = None
        except Exception as e:  # reported, the test asserts it
            out['raised'] = type(e).__name__
            out['message'] = str(e)

    t = threading.Thread(target=run)
    t.start()
    deadline = time.monotonic() + 30
    while t.is_alive() and time.monotonic() < deadline:
        if (not until_return and os.path.exists(marker) and
                os.path.getsize(marker) > 0):
            break
        time.sleep(0.05)
    exit_event.set()
    t.join(60)
    if t.is_alive():
        out = {'raised': 'Timeout', 'message': 'agent() did not return'}
    print(json.dumps(out, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv)
