// Package octavia holds the Octavia side of the provider:
//
//   - the provider-call data models of octavia-lib in their to_dict() JSON
//     shape (types.go), with Opt keeping Unset (absent key) apart from null;
//     Unmarshal decodes them and names the field of a wrongly typed value;
//   - ProviderError, the synchronous answer of a provider call
//     (UnsupportedOptionError, NotImplementedError, DriverError), with the
//     reference's exact validation texts and the validations that need no
//     NB or Neutron data (errors.go, validate.go);
//   - Status, the dict sent to the driver agent's status socket, with its
//     Python json.dumps wire encoding (status.go);
//   - clients for the driver agent's status and get sockets speaking the
//     octavia-lib framing (framing.go, agentclient.go).
//
// The package does no NB I/O; the CRUD layer (package provider) combines it
// with nbtxn. Package driveragent provides an in-process driver agent for
// tests and the demo.
package octavia
