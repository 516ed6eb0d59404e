package lbdata

import (
	"slices"
	"strconv"
	"strings"
)

// ListenerValue is the value of a listener key: "<port>:<pool key>" with
// an empty pool key when the listener has no default pool (§6).
type ListenerValue struct {
	Port    string
	PoolKey string
}

// ParseListenerValue splits a listener value on ":". It is "usable" (ok)
// only when there are exactly two parts, so the quirk value
// "80:pool_<id>:D" is not usable; "80:" is usable with an empty pool key.
func ParseListenerValue(v string) (ListenerValue, bool) {
	port, pool, ok := strings.Cut(v, ":")
	if !ok || strings.Contains(pool, ":") {
		return ListenerValue{}, false
	}
	return ListenerValue{Port: port, PoolKey: pool}, true
}

// FormatListenerValue returns "<port>:<pool key>". The pool key is always
// written in its enabled form (a trailing ":D" is dropped), which avoids the
// reference's unusable "80:pool_<id>:D" (§6 Recommendation); pass "" for no
// default pool ("80:", not the reference's "80:pool_None").
func FormatListenerValue(port int, poolKey string) string {
	return strconv.Itoa(port) + ":" + StripDisabled(poolKey)
}

// ListenerPortForPool returns the protocol port of the first listener, in
// sorted key order, whose usable value references poolKey (the LBHC vip port
// of §11). Disabled listener keys count too.
func ListenerPortForPool(ext map[string]string, poolKey string) (string, bool) {
	for _, k := range sortedKeys(ext) {
		if !IsListenerKey(k) {
			continue
		}
		if lv, ok := ParseListenerValue(ext[k]); ok && lv.PoolKey == poolKey {
			return lv.Port, true
		}
	}
	return "", false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
