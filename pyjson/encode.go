package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Marshal returns v encoded like Python's json.dumps(v) with default
// arguments (ensure_ascii=True, separators (", ", ": "), allow_nan=True
// except as noted below, no sorting, no indentation, no trailing newline).
//
// Supported directly: *Object / Object (insertion order), []any, []string,
// map[string]any and map[string]string (keys sorted, because Go maps have no
// order; use *Object when order matters), string, bool, nil, all Go integer
// types, float32/float64 (Python repr), json.Number. Anything else (structs,
// other slices and maps) is encoded with encoding/json and then re-formatted,
// so struct field order and `json` tags are honoured.
//
// Errors: NaN and infinities (Python would write the non-JSON words NaN and
// Infinity, which no OVSDB reader should have to accept), invalid
// json.Number text, and whatever encoding/json rejects. Bytes that are not
// valid UTF-8 (Python strings cannot hold them) are written as \ufffd, as
// encoding/json does.
func Marshal(v any) (string, error) {
	var b bytes.Buffer
	if err := encode(&b, v, 0); err != nil {
		return "", fmt.Errorf("pyjson: %w", err)
	}
	return b.String(), nil
}

// Quote returns s as a JSON string literal in the Python ensure_ascii form,
// e.g. Quote("é\"") == `"\u00e9\""`. It cannot fail; see encodeString for
// invalid UTF-8.
func Quote(s string) string {
	var b bytes.Buffer
	encodeString(&b, s)
	return b.String()
}

// Format rewrites any JSON document into the Python json.dumps style. It is
// json.dumps(json.loads(data)): key order is kept, a repeated key keeps its
// first position and last value, integers are kept digit for digit and
// fractional numbers are printed as Python's float repr.
func Format(data []byte) ([]byte, error) {
	v, err := Parse(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := encode(&b, v, 0); err != nil {
		return nil, fmt.Errorf("pyjson: %w", err)
	}
	return b.Bytes(), nil
}

func encode(b *bytes.Buffer, v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("nesting deeper than %d", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case *Object:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		return encodeObject(b, x, depth)
	case Object:
		return encodeObject(b, &x, depth)
	case string:
		encodeString(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		return encodeNumber(b, x)
	case int:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int8:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		return encodeFloat(b, x, 64)
	case float32:
		return encodeFloat(b, float64(x), 32)
	case []any:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := encode(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case []string:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			encodeString(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		return encodeSortedMap(b, x, depth)
	case map[string]string:
		if x == nil {
			b.WriteString("null")
			return nil
		}
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return encodeSortedMap(b, m, depth)
	default:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		return encodeForeign(b, v, depth)
	}
	return nil
}

// encodeForeign hands v to encoding/json and re-encodes the result, which
// turns Go's compact, HTML-escaped output into the Python style.
func encodeForeign(b *bytes.Buffer, v any, depth int) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", v, err)
	}
	p, err := Parse(raw)
	if err != nil {
		return fmt.Errorf("re-reading encoding of %T: %w", v, err)
	}
	return encode(b, p, depth)
}

func encodeObject(b *bytes.Buffer, o *Object, depth int) error {
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		encodeString(b, k)
		b.WriteString(": ")
		if err := encode(b, o.values[k], depth+1); err != nil {
			return fmt.Errorf("key %q: %w", k, err)
		}
	}
	b.WriteByte('}')
	return nil
}

func encodeSortedMap(b *bytes.Buffer, m map[string]any, depth int) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Sorted by UTF-8 bytes. Python's sort_keys orders by code point, which
	// is the same order for valid UTF-8.
	slices.Sort(keys)
	o := &Object{keys: keys, values: m}
	return encodeObject(b, o, depth)
}

const hexDigits = "0123456789abcdef"

// encodeString writes s as Python's ensure_ascii encoder does: printable
// ASCII (space to '~') literally except '"' and '\\', the five short escapes
// \n \r \t \b \f, and every other character as \uXXXX with lowercase hex,
// characters above U+FFFF as a UTF-16 surrogate pair.
//
// Invalid UTF-8 bytes decode as U+FFFD and are written as \ufffd.
func encodeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteByte(byte(r))
		case r > 0xFFFF:
			r -= 0x10000
			writeU16(b, 0xD800|uint16(r>>10))
			writeU16(b, 0xDC00|uint16(r&0x3FF))
		default:
			writeU16(b, uint16(r))
		}
	}
	b.WriteByte('"')
}

func writeU16(b *bytes.Buffer, u uint16) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[u>>12&0xF])
	b.WriteByte(hexDigits[u>>8&0xF])
	b.WriteByte(hexDigits[u>>4&0xF])
	b.WriteByte(hexDigits[u&0xF])
}

// encodeNumber writes a json.Number as Python would after json.loads: an
// integer literal stays an int (printed digit for digit, "-0" becomes "0"),
// anything with a fraction or exponent becomes a float.
func encodeNumber(b *bytes.Buffer, n json.Number) error {
	s := string(n)
	if !isJSONNumber(s) {
		return fmt.Errorf("invalid number %q", s)
	}
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			s = "0"
		}
		b.WriteString(s)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("invalid number %q: %w", s, err)
	}
	// Out-of-range literals become ±Inf (or 0 for underflow, which
	// ParseFloat already returns without error), as in Python; ±Inf is
	// then rejected by encodeFloat.
	return encodeFloat(b, f, 64)
}

// encodeFloat writes f like Python's float.__repr__: the shortest digits
// that round-trip, positional notation when the decimal exponent is in
// [-4, 16), scientific otherwise with a signed exponent of at least two
// digits, and ".0" appended to integral positional values.
func encodeFloat(b *bytes.Buffer, f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("unsupported float value %v", f)
	}
	// 'e' with precision -1 yields the shortest round-trip digits:
	// "-d.ddde±XX".
	e := strconv.FormatFloat(f, 'e', -1, bits)
	neg := strings.HasPrefix(e, "-")
	e = strings.TrimPrefix(e, "-")
	mant, expStr, _ := strings.Cut(e, "e")
	exp, err := strconv.Atoi(expStr)
	if err != nil {
		return fmt.Errorf("formatting float %v: %w", f, err)
	}
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // position of the decimal point relative to digits
	if neg {
		b.WriteByte('-')
	}
	if decpt <= -4 || decpt > 16 {
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
		return nil
	}
	switch {
	case decpt <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	case decpt >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", decpt-len(digits)))
		b.WriteString(".0")
	default:
		b.WriteString(digits[:decpt])
		b.WriteByte('.')
		b.WriteString(digits[decpt:])
	}
	return nil
}

// isJSONNumber reports whether s is a number literal in the JSON grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
