package provider

import (
	"context"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// The calls below are not implemented by the reference: octavia-lib's
// NotImplementedError answers them with fixed texts (operations.md §7).

func notImplemented(method string) error {
	if e, ok := octavia.ErrNotImplemented(method); ok {
		return e
	}
	return octavia.NewNotImplemented("This provider does not support " + method + ".")
}

// L7PolicyCreate is l7policy_create: not supported.
func (d *Driver) L7PolicyCreate(context.Context) error {
	return notImplemented(octavia.MethodL7PolicyCreate)
}

// L7PolicyUpdate is l7policy_update: not supported.
func (d *Driver) L7PolicyUpdate(context.Context) error {
	return notImplemented(octavia.MethodL7PolicyUpdate)
}

// L7PolicyDelete is l7policy_delete: not supported.
func (d *Driver) L7PolicyDelete(context.Context) error {
	return notImplemented(octavia.MethodL7PolicyDelete)
}

// L7RuleCreate is l7rule_create: not supported.
func (d *Driver) L7RuleCreate(context.Context) error {
	return notImplemented(octavia.MethodL7RuleCreate)
}

// L7RuleUpdate is l7rule_update: not supported.
func (d *Driver) L7RuleUpdate(context.Context) error {
	return notImplemented(octavia.MethodL7RuleUpdate)
}

// L7RuleDelete is l7rule_delete: not supported.
func (d *Driver) L7RuleDelete(context.Context) error {
	return notImplemented(octavia.MethodL7RuleDelete)
}

// GetSupportedFlavorMetadata is get_supported_flavor_metadata: not supported.
func (d *Driver) GetSupportedFlavorMetadata(context.Context) error {
	return notImplemented(octavia.MethodGetSupportedFlavorMetadata)
}

// ValidateFlavor is validate_flavor: not supported.
func (d *Driver) ValidateFlavor(context.Context) error {
	return notImplemented(octavia.MethodValidateFlavor)
}

// GetSupportedAvailabilityZoneMetadata is
// get_supported_availability_zone_metadata: not supported.
func (d *Driver) GetSupportedAvailabilityZoneMetadata(context.Context) error {
	return notImplemented(octavia.MethodGetSupportedAvailabilityZoneMetadata)
}

// ValidateAvailabilityZone is validate_availability_zone: not supported.
func (d *Driver) ValidateAvailabilityZone(context.Context) error {
	return notImplemented(octavia.MethodValidateAvailabilityZone)
}
