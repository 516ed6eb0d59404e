package lbdata

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ovn-octavia/ovn-octavia/pyjson"
)

// LSRefs is the parsed ls_refs value: switch name → reference count, in the
// JSON order of the value (nb-data-contract §13.2). The zero value is an
// empty map ready to use.
type LSRefs struct {
	names  []string
	counts map[string]int64
}

// ParseLSRefs parses an ls_refs value. Every count must be an integer. On
// error it returns an empty LSRefs (the reference treats unparseable
// ls_refs as {}) together with the error, so the caller can log it.
func ParseLSRefs(s string) (*LSRefs, error) {
	r := &LSRefs{}
	o, err := pyjson.ParseObject(s)
	if err != nil {
		return r, fmt.Errorf("ls_refs: %w", err)
	}
	for _, k := range o.Keys() {
		v, _ := o.Get(k)
		n, err := jsonInt(v)
		if err != nil {
			return &LSRefs{}, fmt.Errorf("ls_refs: count of %q: %w", k, err)
		}
		r.Set(k, n)
	}
	return r, nil
}

// LSRefsFrom reads the ls_refs key of a row: absent gives an empty LSRefs
// and no error; a corrupt value gives an empty LSRefs and the error.
func LSRefsFrom(ext map[string]string) (*LSRefs, *CorruptValueError) {
	v, ok := ext[KeyLSRefs]
	if !ok {
		return &LSRefs{}, nil
	}
	r, err := ParseLSRefs(v)
	if err != nil {
		return r, corrupt(KeyLSRefs, v, err)
	}
	return r, nil
}

func jsonInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("%v is not a number", v)
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return i, nil
}

// Names returns the switch names in order.
func (r *LSRefs) Names() []string {
	return append([]string(nil), r.names...)
}

// Len returns the number of switches.
func (r *LSRefs) Len() int { return len(r.names) }

// Count returns the count of a switch.
func (r *LSRefs) Count(name string) (int64, bool) {
	n, ok := r.counts[name]
	return n, ok
}

// Set stores a count; an existing name keeps its position.
func (r *LSRefs) Set(name string, n int64) {
	if r.counts == nil {
		r.counts = make(map[string]int64)
	}
	if _, ok := r.counts[name]; !ok {
		r.names = append(r.names, name)
	}
	r.counts[name] = n
}

// Delete removes a switch.
func (r *LSRefs) Delete(name string) {
	if _, ok := r.counts[name]; !ok {
		return
	}
	delete(r.counts, name)
	for i, n := range r.names {
		if n == name {
			r.names = append(r.names[:i:i], r.names[i+1:]...)
			break
		}
	}
}

// Inc adds by to the count of a switch, creating it with by when absent.
// created reports that the key was new: only then is the LB added to the
// switch (§13.2).
func (r *LSRefs) Inc(name string, by int64) (created bool) {
	n, ok := r.counts[name]
	if !ok {
		r.Set(name, by)
		return true
	}
	if n > math.MaxInt64-by {
		n = math.MaxInt64 - by // saturate rather than wrap on absurd counts
	}
	r.Set(name, n+by)
	return false
}

// Dec counts one reference less (§13.2 "member removed"): an absent key
// changes nothing (found false), a count of 1 or less deletes the key
// (deleted true), anything else is decremented. The LB must leave the
// switch when deleted is true or found is false.
func (r *LSRefs) Dec(name string) (deleted, found bool) {
	n, ok := r.counts[name]
	if !ok {
		return false, false
	}
	if n <= 1 {
		r.Delete(name)
		return true, true
	}
	r.Set(name, n-1)
	return false, true
}

// String returns the value in the Python json.dumps format, e.g.
// {"neutron-a": 2, "neutron-b": 1}; an empty map is {}.
func (r *LSRefs) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range r.names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyjson.Quote(n))
		b.WriteString(": ")
		b.WriteString(strconv.FormatInt(r.counts[n], 10))
	}
	b.WriteByte('}')
	return b.String()
}

// Store writes the value into ext. ls_refs is kept even when empty ({}),
// as the reference does.
func (r *LSRefs) Store(ext map[string]string) {
	ext[KeyLSRefs] = r.String()
}

// LRRefAdd returns lr_ref after attaching router: the name itself when
// cur is empty, else cur unchanged if router already occurs in it as a
// substring (the reference's test), else cur + "," + router (§13.3).
func LRRefAdd(cur, router string) string {
	switch {
	case cur == "":
		return router
	case strings.Contains(cur, router):
		return cur
	default:
		return cur + "," + router
	}
}

// LRRefRemove returns lr_ref after detaching router: the value is split on
// ",", each part trimmed, the first part equal to router removed and the
// rest re-joined with ",". remains is false when nothing is left, and the
// caller must then delete the key.
func LRRefRemove(cur, router string) (rest string, remains bool) {
	parts := strings.Split(cur, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	for i, p := range parts {
		if p == router {
			parts = append(parts[:i:i], parts[i+1:]...)
			break
		}
	}
	rest = strings.Join(parts, ",")
	return rest, rest != ""
}

// LRRefs returns the router names listed in lr_ref (trimmed, empty parts
// dropped).
func LRRefs(cur string) []string {
	var out []string
	for _, p := range strings.Split(cur, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var errNotString = errors.New("value is not a string")
