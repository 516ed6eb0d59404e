"""Octavia provider driver and provider agent for the Go ovn-octavia daemon.

The driver forwards every ProviderDriver call to ``ovn-octavia serve`` over
a unix socket; the agent runs ``ovn-octavia agent`` under
octavia-driver-agent. All the work happens in Go.
"""
