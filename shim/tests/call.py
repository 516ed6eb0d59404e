"""Call one method of the shim driver, as Octavia's API would.

Usage: call.py <method> '<JSON object of keyword arguments>'

An argument value {"__model__": "<octavia-lib data model class>", ...}
becomes that data model (nested ones too), e.g.
  call.py loadbalancer_create '{"loadbalancer": {"__model__": "LoadBalancer",
      "loadbalancer_id": "...", "vip_address": "10.0.0.9"}}'
Prints one JSON line: {"returned": <value>} or
{"raised": "<module>.<class>", "user_fault_string": ..., "operator_fault_string": ...}.
The driver reads the socket path from $OVN_OCTAVIA_SOCKET. The suite
suites/serve runs this with the package directory on PYTHONPATH.
"""

import json
import sys

from octavia_lib.api.drivers import data_models

from ovn_octavia_shim import driver


def build(value):
    if isinstance(value, dict):
        attrs = {k: build(v) for k, v in value.items() if k != '__model__'}
        if '__model__' in value:
            return getattr(data_models, value['__model__'])(**attrs)
        return attrs
    if isinstance(value, list):
        return [build(v) for v in value]
    return value


def main(argv):
    method, kwargs = argv[1], build(json.loads(argv[2]))
    d = driver.OvnGoProviderDriver()
    try:
        out = {'returned': getattr(d, method)(**kwargs)}
    except Exception as e:  # report any exception, the test asserts it
        t = type(e)
        out = {'raised': t.__module__ + '.' + t.__name__,
               'user_fault_string': getattr(e, 'user_fault_string', None),
               'operator_fault_string': getattr(e, 'operator_fault_string',
                                                None)}
    print(json.dumps(out, sort_keys=True))


if __name__ == '__main__':
    main(sys.argv)
