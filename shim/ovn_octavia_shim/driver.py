"""ProviderDriver that forwards every call to ``ovn-octavia serve``.

Octavia's API instantiates the driver per request (stevedore entry point
``octavia.api.drivers: ovn-go``) and calls one method. The method is sent
as ``{"call": <method name>, <argument name>: <value>, ...}``, data-model
objects as ``to_dict(recurse=True)`` (Unset attributes omitted), over the
unix socket named by ``$OVN_OCTAVIA_SOCKET`` with octavia-lib's driver-agent
framing (``<byte length>\\n<JSON>``, one request per connection). The daemon
validates the call, answers, and does the work afterwards, reporting to
Octavia's status socket itself.

The answer is ``{"ok": true}``, ``{"ok": true, "result": ...}``
(create_vip_port) or ``{"ok": false, "error": {"type", "user_fault_string",
"operator_fault_string"}}``, which is raised as the octavia-lib exception
named by ``type``.
"""

import json
import logging
import os
import socket

from octavia_lib.api.drivers import data_models
from octavia_lib.api.drivers import exceptions
from octavia_lib.api.drivers import provider_base

LOG = logging.getLogger(__name__)

SOCKET_ENV = 'OVN_OCTAVIA_SOCKET'
DEFAULT_SOCKET = '/var/run/ovn-octavia/provider.sock'
TIMEOUT_ENV = 'OVN_OCTAVIA_TIMEOUT'
# octavia-lib's DRIVER_AGENT_TIMEOUT; the daemon answers after validation
# (create_vip_port after the Neutron port exists), well within it.
DEFAULT_TIMEOUT = 30.0
MAX_REPLY = 64 << 20

_EXCEPTIONS = {
    'UnsupportedOptionError': exceptions.UnsupportedOptionError,
    'NotImplementedError': exceptions.NotImplementedError,
    'DriverError': exceptions.DriverError,
}


def _plain(value):
    """Turn call arguments into JSON-ready values.

    Data models become their ``to_dict(recurse=True)``; Unset values are
    left out of dicts and lists, as ``to_dict`` leaves out Unset
    attributes.
    """
    if isinstance(value, data_models.BaseDataModel):
        value = value.to_dict(recurse=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()
                if not isinstance(v, data_models.UnsetType)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value
                if not isinstance(v, data_models.UnsetType)]
    return value


def _json_fallback(value):
    # TLS container data may be bytes; the daemon ignores it (OVN load
    # balancers do not terminate TLS) but the request must still encode.
    if isinstance(value, bytes):
        return value.decode('utf-8', errors='replace')
    return str(value)


def _recv_exactly(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 65536))
        if not chunk:
            raise ConnectionError('connection closed after %d of %d reply '
                                  'bytes' % (len(buf), n))
        buf += chunk
    return bytes(buf)


def _recv_frame(sock):
    header = bytearray()
    while True:
        c = sock.recv(1)
        if not c:
            raise ConnectionError('connection closed before the reply')
        if c == b'\n':
            break
        header += c
        if len(header) > 32:
            raise ConnectionError('reply length line too long')
    n = int(header)
    if n < 0 or n > MAX_REPLY:
        raise ConnectionError('reply length %d out of range' % n)
    return _recv_exactly(sock, n)


class OvnGoProviderDriver(provider_base.ProviderDriver):
    """Octavia provider driver backed by the ovn-octavia Go daemon."""

    def __init__(self):
        super().__init__()
        self.socket_path = os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET
        self.timeout = float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT)

    def _call(self, call, **kwargs):
        request = {'call': call}
        request.update(_plain(kwargs))
        payload = json.dumps(request, default=_json_fallback).encode('utf-8')
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.socket_path)
                sock.sendall(b'%d\n' % len(payload) + payload)
                reply = json.loads(_recv_frame(sock).decode('utf-8'))
        except (OSError, ValueError) as e:
            msg = 'ovn-octavia %s: no answer from %s: %s' % (
                call, self.socket_path, e)
            LOG.error(msg)
            raise exceptions.DriverError(
                user_fault_string='The OVN provider is not available.',
                operator_fault_string=msg)
        if reply.get('ok'):
            return reply.get('result')
        err = reply.get('error') or {}
        exc = _EXCEPTIONS.get(err.get('type'), exceptions.DriverError)
        # A missing string keeps the exception class's default text.
        raise exc(**{k: err[k] for k in ('user_fault_string',
                                         'operator_fault_string')
                     if err.get(k)})

    # Load balancer
    def create_vip_port(self, loadbalancer_id, project_id, vip_dictionary,
                        additional_vip_dicts=None):
        vip, additional = self._call(
            'create_vip_port', loadbalancer_id=loadbalancer_id,
            project_id=project_id, vip_dictionary=vip_dictionary,
            additional_vip_dicts=additional_vip_dicts or [])
        return vip, additional

    def loadbalancer_create(self, loadbalancer):
        self._call('loadbalancer_create', loadbalancer=loadbalancer)

    def loadbalancer_delete(self, loadbalancer, cascade=False):
        self._call('loadbalancer_delete', loadbalancer=loadbalancer,
                   cascade=cascade)

    def loadbalancer_failover(self, loadbalancer_id):
        self._call('loadbalancer_failover', loadbalancer_id=loadbalancer_id)

    def loadbalancer_update(self, old_loadbalancer, new_loadbalancer):
        self._call('loadbalancer_update', old_loadbalancer=old_loadbalancer,
                   new_loadbalancer=new_loadbalancer)

    # Listener
    def listener_create(self, listener):
        self._call('listener_create', listener=listener)

    def listener_delete(self, listener):
        self._call('listener_delete', listener=listener)

    def listener_update(self, old_listener, new_listener):
        self._call('listener_update', old_listener=old_listener,
                   new_listener=new_listener)

    # Pool
    def pool_create(self, pool):
        self._call('pool_create', pool=pool)

    def pool_delete(self, pool):
        self._call('pool_delete', pool=pool)

    def pool_update(self, old_pool, new_pool):
        self._call('pool_update', old_pool=old_pool, new_pool=new_pool)

    # Member
    def member_create(self, member):
        self._call('member_create', member=member)

    def member_delete(self, member):
        self._call('member_delete', member=member)

    def member_update(self, old_member, new_member):
        self._call('member_update', old_member=old_member,
                   new_member=new_member)

    def member_batch_update(self, pool_id, members):
        self._call('member_batch_update', pool_id=pool_id, members=members)

    # Health monitor
    def health_monitor_create(self, healthmonitor):
        self._call('health_monitor_create', healthmonitor=healthmonitor)

    def health_monitor_delete(self, healthmonitor):
        self._call('health_monitor_delete', healthmonitor=healthmonitor)

    def health_monitor_update(self, old_healthmonitor, new_healthmonitor):
        self._call('health_monitor_update',
                   old_healthmonitor=old_healthmonitor,
                   new_healthmonitor=new_healthmonitor)

    # L7 policies, L7 rules, flavors and availability zones: the daemon
    # answers them (NotImplementedError, as the OVN provider), so one place
    # decides.
    def l7policy_create(self, l7policy):
        self._call('l7policy_create', l7policy=l7policy)

    def l7policy_delete(self, l7policy):
        self._call('l7policy_delete', l7policy=l7policy)

    def l7policy_update(self, old_l7policy, new_l7policy):
        self._call('l7policy_update', old_l7policy=old_l7policy,
                   new_l7policy=new_l7policy)

    def l7rule_create(self, l7rule):
        self._call('l7rule_create', l7rule=l7rule)

    def l7rule_delete(self, l7rule):
        self._call('l7rule_delete', l7rule=l7rule)

    def l7rule_update(self, old_l7rule, new_l7rule):
        self._call('l7rule_update', old_l7rule=old_l7rule,
                   new_l7rule=new_l7rule)

    def get_supported_flavor_metadata(self):
        return self._call('get_supported_flavor_metadata')

    def validate_flavor(self, flavor_metadata):
        self._call('validate_flavor', flavor_metadata=flavor_metadata)

    def get_supported_availability_zone_metadata(self):
        return self._call('get_supported_availability_zone_metadata')

    def validate_availability_zone(self, availability_zone_metadata):
        self._call('validate_availability_zone',
                   availability_zone_metadata=availability_zone_metadata)
