package lbdata

import (
	"fmt"
)

// CorruptValueError reports an external_ids value that does not follow the
// contract. Functions that tolerate such values (ComputeVIPsChecked,
// RollUpChecked) return it so the caller can log it with the row.
type CorruptValueError struct {
	Key   string // the external_ids key holding the value
	Value string // the raw value
	Err   error  // what is wrong with it
}

func (e *CorruptValueError) Error() string {
	return fmt.Sprintf("corrupt value of external_ids:%s %q: %v", e.Key, e.Value, e.Err)
}

func (e *CorruptValueError) Unwrap() error { return e.Err }

func corrupt(key, value string, err error) *CorruptValueError {
	return &CorruptValueError{Key: key, Value: value, Err: err}
}
