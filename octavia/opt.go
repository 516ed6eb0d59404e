package octavia

import (
	"bytes"
	"encoding/json"
)

// Opt is one field of an octavia-lib data model. octavia-lib distinguishes a
// field that was not supplied (Unset, the key is absent from to_dict()) from
// one supplied as None (JSON null); update calls rely on it: the "new" object
// of an *_update call carries only the fields of the request.
//
// The zero value is Unset. Decoding sets Set for every key present in the
// object and Null when its value is null. Marshalling renders Unset and null
// as null; struct fields use the `omitzero` option so that Unset fields are
// left out, as to_dict() does.
type Opt[T any] struct {
	Set  bool // the key was present
	Null bool // the key was present with value null; V is the zero value
	V    T
}

// Some returns a supplied, non-null value.
func Some[T any](v T) Opt[T] { return Opt[T]{Set: true, V: v} }

// Null returns a supplied null (Python None).
func Null[T any]() Opt[T] { return Opt[T]{Set: true, Null: true} }

// Valid reports whether the field carries a value (supplied and not null).
func (o Opt[T]) Valid() bool { return o.Set && !o.Null }

// Get returns the value and whether there is one (supplied and not null).
func (o Opt[T]) Get() (T, bool) {
	if !o.Valid() {
		var zero T
		return zero, false
	}
	return o.V, true
}

// Or returns the value, or def when the field is Unset or null.
func (o Opt[T]) Or(def T) T {
	if !o.Valid() {
		return def
	}
	return o.V
}

// IsZero reports whether the field is Unset; it drives `omitzero`.
func (o Opt[T]) IsZero() bool { return !o.Set }

// MarshalJSON renders the value, or null for Unset and null.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if !o.Valid() {
		return []byte("null"), nil
	}
	return json.Marshal(o.V)
}

// UnmarshalJSON is only called by encoding/json for keys that are present,
// including when their value is null.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	var zero T
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*o = Opt[T]{Set: true, Null: true}
		return nil
	}
	v := zero
	if err := json.Unmarshal(b, &v); err != nil {
		// The *json.UnmarshalTypeError is returned as is: the outer decoder
		// prefixes its Field with the path of this field.
		return err
	}
	*o = Opt[T]{Set: true, V: v}
	return nil
}

// PyString formats the field the way Python's "%s" formats the attribute: the
// reference builds several error texts from attributes that may be Unset or
// None.
func PyString(o Opt[string]) string {
	switch {
	case !o.Set:
		return "Unset"
	case o.Null:
		return "None"
	default:
		return o.V
	}
}
