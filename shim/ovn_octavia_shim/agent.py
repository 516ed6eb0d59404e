"""Provider agent callable for octavia-driver-agent.

``octavia.driver_agent.provider_agents: ovn-go`` points here.
octavia-driver-agent runs ``agent(exit_event)`` in a child process of its
own (and restarts it a second after it raises); this runs
``ovn-octavia agent`` and stops it when ``exit_event`` is set.

Environment:
  OVN_OCTAVIA_BINARY      the ovn-octavia executable (default: found on PATH)
  OVN_OCTAVIA_AGENT_ARGS  extra command-line flags, shell-quoted
The agent reads its connection settings from the environment as well
(OVN_NB_CONNECTION, OVN_SB_CONNECTION, ...; see ``ovn-octavia agent --help``).
"""

import logging
import os
import shlex
import subprocess

LOG = logging.getLogger(__name__)

BINARY_ENV = 'OVN_OCTAVIA_BINARY'
ARGS_ENV = 'OVN_OCTAVIA_AGENT_ARGS'
DEFAULT_BINARY = 'ovn-octavia'
# The agent exits within seconds of SIGTERM; octavia-driver-agent's own
# provider_agent_shutdown_timeout (60 s) is the outer bound.
STOP_TIMEOUT = 30.0
POLL_INTERVAL = 1.0


def command():
    """The agent's command line, from the environment."""
    binary = os.environ.get(BINARY_ENV) or DEFAULT_BINARY
    return [binary, 'agent'] + shlex.split(os.environ.get(ARGS_ENV, ''))


def agent(exit_event):
    """Run ``ovn-octavia agent`` until exit_event is set.

    Raises RuntimeError when the agent exits by itself, so that
    octavia-driver-agent restarts it.
    """
    cmd = command()
    LOG.info('starting %s', ' '.join(shlex.quote(c) for c in cmd))
    proc = subprocess.Popen(cmd)
    try:
        while not exit_event.wait(POLL_INTERVAL):
            code = proc.poll()
            if code is not None:
                raise RuntimeError('ovn-octavia agent exited with status %d'
                                   % code)
    finally:
        if proc.poll() is None:
            LOG.info('stopping ovn-octavia agent (pid %d)', proc.pid)
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                LOG.warning('ovn-octavia agent did not stop in %ds; killing',
                            STOP_TIMEOUT)
                proc.kill()
                proc.wait()
    LOG.info('ovn-octavia agent stopped (status %d)', proc.returncode)
