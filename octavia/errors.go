package octavia

import (
	"errors"
	"fmt"
)

// Exception types of octavia_lib.api.drivers.exceptions that a provider call
// can raise. The Python shim raises the class named by Type.
const (
	TypeUnsupportedOption = "UnsupportedOptionError" // HTTP 501 "does not support a requested option"
	TypeNotImplemented    = "NotImplementedError"    // HTTP 501 "does not support a requested action"
	TypeDriverError       = "DriverError"            // HTTP 500 "reports error"
)

// MsgUnknownDriverError is octavia-lib's default DriverError text.
const MsgUnknownDriverError = "An unknown driver error occurred."

// ProviderError is the synchronous answer of a provider call that Octavia
// turns into an HTTP error. The reference always sets both fault strings to
// the same text.
type ProviderError struct {
	Type          string
	UserFault     string // shown to the API user
	OperatorFault string // logged by the Octavia API
}

func (e *ProviderError) Error() string {
	return e.Type + ": " + e.UserFault
}

// Is matches another *ProviderError with the same type and user text, so
// that errors.Is works on freshly constructed errors.
func (e *ProviderError) Is(target error) bool {
	t, ok := target.(*ProviderError)
	return ok && t.Type == e.Type && t.UserFault == e.UserFault
}

func newProviderError(typ, msg string) *ProviderError {
	return &ProviderError{Type: typ, UserFault: msg, OperatorFault: msg}
}

// NewUnsupportedOption returns an UnsupportedOptionError with msg as both
// fault strings.
func NewUnsupportedOption(msg string) *ProviderError {
	return newProviderError(TypeUnsupportedOption, msg)
}

// NewNotImplemented returns a NotImplementedError with msg as both fault
// strings.
func NewNotImplemented(msg string) *ProviderError {
	return newProviderError(TypeNotImplemented, msg)
}

// NewDriverError returns a DriverError with msg as both fault strings (the
// octavia-lib default text when msg is empty).
func NewDriverError(msg string) *ProviderError {
	if msg == "" {
		msg = MsgUnknownDriverError
	}
	return newProviderError(TypeDriverError, msg)
}

// AsProviderError returns the ProviderError in err's chain, or wraps any
// other error as a DriverError carrying its text (Octavia reports an
// unexpected exception the same way: HTTP 500 with str(e)). nil stays nil.
func AsProviderError(err error) *ProviderError {
	if err == nil {
		return nil
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	return NewDriverError(err.Error())
}

// Exact texts of the reference's synchronous validation (operations.md §1).
const (
	// V4
	MsgAllowedCIDRs = "OVN provider does not support allowed_cidrs option"
	// V5
	MsgMemberMonitorOptions = "OVN Load Balancer does not support different member monitor address or port."
	// V6
	MsgBatchMonitorOptions = "OVN provider does not support monitor options"
	// V7
	MsgIPVersionsMixing = "OVN provider does not support mixing IPv4/IPv6 configuration within the same Load Balancer."
	// V8
	MsgSubnetRequiredCreate = "Subnet is required, or Loadbalancer associated with Pool must have a subnet, " +
		"for Member creation with OVN Provider Driver if it is not the same as LB VIP subnet"
	// V9. The spec's text; the Python literal lacks the space in "is with"
	// ("if it iswith"), an evident typo we do not reproduce.
	MsgSubnetRequiredDelete = "Subnet is required, or Loadbalancer associated with Pool must have a subnet, " +
		"for Member deletion if it is with OVN Provider Driver if it is not the same as LB VIP subnet"
	// V10
	MsgSubnetRequiredBatch = "Subnet is required, or Loadbalancer associated with Pool must have a subnet, " +
		"for Member batch update with OVN Provider Driver if it is not the same as LB VIP subnet"
	// V11
	MsgHealthCheckUnsupported = "OVN Load Balancer supports Health Check provider from version 2.12. " +
		"Upgrade OVN in order to use it."
	// V12
	MsgHMTypeNotSpecified = "OVN provider health monitor type not specified."
	// V14
	MsgFailover = "OVN provider does not support loadbalancer failover"
)

// supportedHMTypesText lists the health monitor types the provider supports
// in the reference's order, as V13 prints them.
const supportedHMTypesText = HealthMonitorUDPConnect + ", " + HealthMonitorTCP

// ErrUnsupportedProtocol is V1. protocol is formatted as Python's "%s"
// would ("Unset"/"None" for a missing value, see PyString).
func ErrUnsupportedProtocol(protocol string) *ProviderError {
	return NewUnsupportedOption(fmt.Sprintf("OVN provider does not support %s protocol", protocol))
}

// ErrUnsupportedAlgorithm is V2.
func ErrUnsupportedAlgorithm(algorithm string) *ProviderError {
	return NewUnsupportedOption(fmt.Sprintf("OVN provider does not support %s algorithm", algorithm))
}

// ErrUnsupportedSessionPersistence is V3. The reference crashes while
// formatting this text (HTTP 500, "'dict' object has no attribute 'type'");
// we raise the intended error, as the spec recommends.
func ErrUnsupportedSessionPersistence(typ string) *ProviderError {
	return NewUnsupportedOption(fmt.Sprintf(
		"OVN provider does not support %s session persistence. Only SOURCE_IP type is supported.", typ))
}

// ErrAllowedCIDRs is V4.
func ErrAllowedCIDRs() *ProviderError { return NewUnsupportedOption(MsgAllowedCIDRs) }

// ErrMemberMonitorOptions is V5.
func ErrMemberMonitorOptions() *ProviderError { return NewUnsupportedOption(MsgMemberMonitorOptions) }

// ErrBatchMonitorOptions is V6.
func ErrBatchMonitorOptions() *ProviderError { return NewUnsupportedOption(MsgBatchMonitorOptions) }

// ErrIPVersionsMixing is V7 (IPVersionsMixingNotSupportedError, a subclass
// of UnsupportedOptionError; Octavia maps it like its parent).
func ErrIPVersionsMixing() *ProviderError { return NewUnsupportedOption(MsgIPVersionsMixing) }

// ErrSubnetRequiredCreate is V8.
func ErrSubnetRequiredCreate() *ProviderError { return NewUnsupportedOption(MsgSubnetRequiredCreate) }

// ErrSubnetRequiredDelete is V9.
func ErrSubnetRequiredDelete() *ProviderError { return NewUnsupportedOption(MsgSubnetRequiredDelete) }

// ErrSubnetRequiredBatch is V10.
func ErrSubnetRequiredBatch() *ProviderError { return NewUnsupportedOption(MsgSubnetRequiredBatch) }

// ErrHealthCheckUnsupported is V11.
func ErrHealthCheckUnsupported() *ProviderError {
	return NewUnsupportedOption(MsgHealthCheckUnsupported)
}

// ErrHMTypeNotSpecified is V12.
func ErrHMTypeNotSpecified() *ProviderError { return NewUnsupportedOption(MsgHMTypeNotSpecified) }

// ErrUnsupportedHMType is V13.
func ErrUnsupportedHMType(typ string) *ProviderError {
	return NewUnsupportedOption(fmt.Sprintf(
		"OVN provider does not support %s health monitor type. Supported types: %s",
		typ, supportedHMTypesText))
}

// ErrFailover is V14.
func ErrFailover() *ProviderError { return NewUnsupportedOption(MsgFailover) }

// ErrPoolNotInNB is V15: member_batch_update for a pool no NB row holds.
// The reference crashes (HTTP 500 with a Python attribute error); we answer
// a DriverError with a clear text, as the spec recommends.
func ErrPoolNotInNB(poolID string) *ProviderError {
	return NewDriverError(fmt.Sprintf("pool %s not found in any OVN load balancer", poolID))
}

// Provider methods the reference does not implement: octavia-lib's
// ProviderDriver defaults raise NotImplementedError with these texts
// (operations.md §7).
const (
	MethodL7PolicyCreate                       = "l7policy_create"
	MethodL7PolicyUpdate                       = "l7policy_update"
	MethodL7PolicyDelete                       = "l7policy_delete"
	MethodL7RuleCreate                         = "l7rule_create"
	MethodL7RuleUpdate                         = "l7rule_update"
	MethodL7RuleDelete                         = "l7rule_delete"
	MethodGetSupportedFlavorMetadata           = "get_supported_flavor_metadata"
	MethodValidateFlavor                       = "validate_flavor"
	MethodGetSupportedAvailabilityZoneMetadata = "get_supported_availability_zone_metadata"
	MethodValidateAvailabilityZone             = "validate_availability_zone"
)

// NotImplementedMessage returns octavia-lib's NotImplementedError text for a
// provider method the reference leaves unimplemented.
func NotImplementedMessage(method string) (string, bool) {
	switch method {
	case MethodL7PolicyCreate:
		return "This provider does not support creating l7policies.", true
	case MethodL7PolicyUpdate:
		return "This provider does not support updating l7policies.", true
	case MethodL7PolicyDelete:
		return "This provider does not support deleting l7policies.", true
	case MethodL7RuleCreate:
		return "This provider does not support creating l7rules.", true
	case MethodL7RuleUpdate:
		return "This provider does not support updating l7rules.", true
	case MethodL7RuleDelete:
		return "This provider does not support deleting l7rules.", true
	case MethodGetSupportedFlavorMetadata:
		return "This provider does not support getting the supported flavor metadata.", true
	case MethodValidateFlavor:
		return "This provider does not support validating flavors.", true
	case MethodGetSupportedAvailabilityZoneMetadata:
		return "This provider does not support getting the supported availability zone metadata.", true
	case MethodValidateAvailabilityZone:
		return "This provider does not support validating availability zones.", true
	}
	return "", false
}

// ErrNotImplemented returns the NotImplementedError for one of the Method*
// names above, and false for any other method.
func ErrNotImplemented(method string) (*ProviderError, bool) {
	msg, ok := NotImplementedMessage(method)
	if !ok {
		return nil, false
	}
	return NewNotImplemented(msg), true
}
