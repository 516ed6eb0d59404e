package pyjson

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

// Expected strings in this file were produced by CPython 3 json.dumps.

func TestMarshal(t *testing.T) {
	ordered := NewObject()
	ordered.Set("neutron-a", 1)
	ordered.Set("neutron-b", 2)

	nested := NewObject()
	nested.Set("z", []any{json.Number("1"), "x", nil, true, NewObject()})
	nested.Set("a", ordered)

	type inner struct {
		Text string `json:"text"`
		N    int
	}
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"ordered object", ordered, `{"neutron-a": 1, "neutron-b": 2}`},
		{"object value", *ordered, `{"neutron-a": 1, "neutron-b": 2}`},
		{"empty object", NewObject(), `{}`},
		{"zero object", &Object{}, `{}`},
		{"nil object", (*Object)(nil), `null`},
		{"string list", []string{"hm1", "hm2"}, `["hm1", "hm2"]`},
		{"empty string list", []string{}, `[]`},
		{"nil string list", []string(nil), `null`},
		{"any list", []any{1, "a", false, nil, 2.5}, `[1, "a", false, null, 2.5]`},
		{"nested", nested, `{"z": [1, "x", null, true, {}], "a": {"neutron-a": 1, "neutron-b": 2}}`},
		{"member status", func() *Object {
			o := NewObject()
			o.Set("m1", "ONLINE")
			o.Set("m2", "ERROR")
			return o
		}(), `{"m1": "ONLINE", "m2": "ERROR"}`},
		{"sorted map", map[string]any{"b": 1, "a": "x", "c": []string{"y"}}, `{"a": "x", "b": 1, "c": ["y"]}`},
		{"sorted string map", map[string]string{"b": "1", "a": "2"}, `{"a": "2", "b": "1"}`},
		{"string escapes", "é😀<>&\x7f\x00\u2028/\"\\\n\r\t\b\f\x1f ~",
			`"\u00e9\ud83d\ude00<>&\u007f\u0000\u2028/\"\\\n\r\t\b\f\u001f ~"`},
		{"invalid utf8", "a\xffb", `"a\ufffdb"`},
		{"bool", true, `true`},
		{"nil", nil, `null`},
		{"int", -42, `-42`},
		{"int64", int64(math.MinInt64), `-9223372036854775808`},
		{"uint64", uint64(math.MaxUint64), `18446744073709551615`},
		{"uint8", uint8(7), `7`},
		{"json number int", json.Number("-12345678901234567890123"), `-12345678901234567890123`},
		{"json number minus zero", json.Number("-0"), `0`},
		{"json number float", json.Number("1.0e2"), `100.0`},
		{"struct via encoding/json", inner{Text: "<&>", N: 2}, `{"text": "<&>", "N": 2}`},
		{"struct pointer", &inner{Text: "é"}, `{"text": "\u00e9", "N": 0}`},
		{"nil struct pointer", (*inner)(nil), `null`},
		{"int slice via encoding/json", []int{3, 1}, `[3, 1]`},
		{"struct holding an Object", struct {
			O *Object `json:"o"`
		}{ordered}, `{"o": {"neutron-a": 1, "neutron-b": 2}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got != tc.want {
				t.Errorf("Marshal = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMarshalFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1.5, "1.5"},
		{1e16, "1e+16"},
		{1e-5, "1e-05"},
		{0.0001, "0.0001"},
		{math.Copysign(0, -1), "-0.0"},
		{0, "0.0"},
		{0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"},
		{123456789012345678.0, "1.2345678901234568e+17"},
		{1e22, "1e+22"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{100, "100.0"},
		{1e15, "1000000000000000.0"},
		{12345.678e-20, "1.2345678e-16"},
		{2.5e-4, "0.00025"},
		{-360.25, "-360.25"},
	} {
		got, err := Marshal(tc.in)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("Marshal(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestMarshalErrors(t *testing.T) {
	for name, in := range map[string]any{
		"NaN":            math.NaN(),
		"+Inf":           math.Inf(1),
		"nested -Inf":    []any{math.Inf(-1)},
		"bad number":     json.Number("01"),
		"empty number":   json.Number(""),
		"channel":        make(chan int),
		"in object":      func() *Object { o := NewObject(); o.Set("k", math.NaN()); return o }(),
		"huge json num":  json.Number("1e400"),
		"unsupported fn": func() {},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := Marshal(in); err == nil {
				t.Fatalf("Marshal = %q, want error", got)
			} else if !strings.HasPrefix(err.Error(), "pyjson: ") {
				t.Errorf("error %q lacks package prefix", err)
			}
		})
	}
}

func TestObjectOrder(t *testing.T) {
	o := NewObject()
	o.Set("neutron-a", 1)
	o.Set("neutron-b", 2)
	o.Set("neutron-c", 3)
	o.Set("neutron-a", 5) // update keeps position
	assertJSON(t, o, `{"neutron-a": 5, "neutron-b": 2, "neutron-c": 3}`)

	o.Delete("neutron-b")
	assertJSON(t, o, `{"neutron-a": 5, "neutron-c": 3}`)
	o.Delete("absent")
	o.Set("neutron-b", 1) // re-added key goes to the end
	assertJSON(t, o, `{"neutron-a": 5, "neutron-c": 3, "neutron-b": 1}`)

	if got, want := o.Keys(), []string{"neutron-a", "neutron-c", "neutron-b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Keys = %v, want %v", got, want)
	}
	if o.Len() != 3 {
		t.Errorf("Len = %d, want 3", o.Len())
	}
	if v, ok := o.Get("neutron-a"); !ok || v != 5 {
		t.Errorf("Get(neutron-a) = %v, %v", v, ok)
	}
	if _, ok := o.Get("neutron-x"); ok {
		t.Error("Get(neutron-x) found a value")
	}
	keys := o.Keys()
	keys[0] = "mutated"
	if o.Keys()[0] != "neutron-a" {
		t.Error("Keys returned the internal slice")
	}

	c := o.Clone()
	c.Set("new", 1)
	c.Delete("neutron-a")
	assertJSON(t, o, `{"neutron-a": 5, "neutron-c": 3, "neutron-b": 1}`)
	assertJSON(t, c, `{"neutron-c": 3, "neutron-b": 1, "new": 1}`)

	var nilObj *Object
	if nilObj.Len() != 0 || nilObj.Keys() != nil || nilObj.Has("x") {
		t.Error("nil Object is not empty")
	}
	nilObj.Delete("x") // must not panic
}

func TestParseObject(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		keys           []string
	}{
		{"python style", `{"neutron-a": 1, "neutron-b": 2}`, `{"neutron-a": 1, "neutron-b": 2}`, []string{"neutron-a", "neutron-b"}},
		{"compact from another tool", `{"b":1,"a":2}`, `{"b": 1, "a": 2}`, []string{"b", "a"}},
		{"whitespace", " {\n\t\"x\" :\"y\" } \n", `{"x": "y"}`, []string{"x"}},
		{"repeated key keeps first position, last value", `{"a":1,"b":2,"a":3}`, `{"a": 3, "b": 2}`, []string{"a", "b"}},
		{"escapes decoded and re-encoded", `{"\u00e9":"\ud83d\ude00","<":"\u003c"}`, `{"\u00e9": "\ud83d\ude00", "<": "<"}`, []string{"é", "<"}},
		{"nested", `{"a":{"b":[1,{"c":null}]}}`, `{"a": {"b": [1, {"c": null}]}}`, []string{"a"}},
		{"empty", `{}`, `{}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseObject(tc.in)
			if err != nil {
				t.Fatalf("ParseObject: %v", err)
			}
			assertJSON(t, o, tc.want)
			if !reflect.DeepEqual(o.Keys(), tc.keys) {
				t.Errorf("Keys = %v, want %v", o.Keys(), tc.keys)
			}
		})
	}

	o, err := ParseObject(`{"n": 12345678901234567890, "f": 2.50}`)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := o.Get("n"); v != json.Number("12345678901234567890") {
		t.Errorf("n = %#v, want json.Number", v)
	}
	assertJSON(t, o, `{"n": 12345678901234567890, "f": 2.5}`)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{``, "unexpected EOF"},
		{`{`, "unexpected EOF"},
		{`{"a":1`, "unexpected EOF"},
		{`{"a":1,}`, "invalid character"},
		{`{"a":1} x`, "invalid character"},
		{`{"a":1}{}`, "trailing data"},
		{`[1]`, "JSON value is an array, not an object"},
		{`"s"`, "JSON value is a string, not an object"},
		{`1`, "JSON value is a number, not an object"},
		{`null`, "JSON value is null, not an object"},
		{`true`, "JSON value is a boolean, not an object"},
		{`{1:2}`, "invalid character"},
		{`{'a':1}`, "invalid character"},
		{`{"a":NaN}`, "invalid character"},
		{strings.Repeat("[", 2000) + strings.Repeat("]", 2000), "nesting deeper than 1000"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			o, err := ParseObject(tc.in)
			if err == nil {
				t.Fatalf("ParseObject = %v, want error", o)
			}
			if o != nil {
				t.Errorf("ParseObject returned %v with error", o)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":1,"b":[1,2.50,{"c":null}],"a":3}`, `{"a": 3, "b": [1, 2.5, {"c": null}]}`},
		{`-0`, `0`},
		{`1.0e2`, `100.0`},
		{`1E2`, `100.0`},
		{`0.000001`, `1e-06`},
		{`[true,false,null,"x"]`, `[true, false, null, "x"]`},
		{`{"k":-12345678901234567890123}`, `{"k": -12345678901234567890123}`},
		{`{}`, `{}`},
		{`[]`, `[]`},
		{`{"a":{}}`, `{"a": {}}`},
		{`"\u003chtml\u003e \/"`, `"<html> /"`},
		{`{"neutron-a": 1, "neutron-b": 2}`, `{"neutron-a": 1, "neutron-b": 2}`},
		{`1e-400`, `0.0`},
	} {
		got, err := Format([]byte(tc.in))
		if err != nil {
			t.Errorf("Format(%s): %v", tc.in, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("Format(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{`1e400`, `{"a":}`, ``, `[1,]`} {
		if got, err := Format([]byte(bad)); err == nil {
			t.Errorf("Format(%s) = %s, want error", bad, got)
		}
	}
}

func TestJSONInterfaces(t *testing.T) {
	var s struct {
		O *Object `json:"o"`
	}
	if err := json.Unmarshal([]byte(`{"o":{"z":1,"a":[2]}}`), &s); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, s.O, `{"z": 1, "a": [2]}`)
	var o Object
	if err := json.Unmarshal([]byte(`[1]`), &o); err == nil {
		t.Error("Unmarshal of an array into Object succeeded")
	}
}

func TestQuote(t *testing.T) {
	if got, want := Quote("é\"x"), `"\u00e9\"x"`; got != want {
		t.Errorf("Quote = %s, want %s", got, want)
	}
}

func assertJSON(t *testing.T, v any, want string) {
	t.Helper()
	got, err := Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}

// FuzzFormat checks that Format never panics, accepts exactly what
// encoding/json accepts (up to the nesting limit and float overflow), yields
// valid JSON with the same meaning, and is idempotent.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `["hm1","hm2"]`, `{"a":{"b":[1.5,-0,"\u00e9"]}}`, `1e400`, `"\ud800"`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Format(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Format accepted invalid JSON %q", data)
		}
		if !json.Valid(out) {
			t.Fatalf("Format(%q) = %q is not valid JSON", data, out)
		}
		// Duplicate keys resolve to the last value in both decoders, so
		// the meaning must be identical.
		if !sameJSON(t, data, out) {
			t.Fatalf("Format(%q) = %q changed the value", data, out)
		}
		again, err := Format(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("Format not idempotent: %q -> %q (%v)", out, again, err)
		}
	})
}

// sameJSON decodes both documents with encoding/json and compares them;
// integer literals must match digit for digit (up to the sign of zero),
// other numbers as float64.
func sameJSON(t *testing.T, x, y []byte) bool {
	t.Helper()
	decode := func(d []byte) any {
		dec := json.NewDecoder(strings.NewReader(string(d)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("decoding %q: %v", d, err)
		}
		return v
	}
	return sameValue(decode(x), decode(y))
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		isInt := func(n json.Number) bool { return !strings.ContainsAny(string(n), ".eE") }
		norm := func(n json.Number) json.Number {
			if n == "-0" {
				return "0"
			}
			return n
		}
		if isInt(x) || isInt(y) {
			return isInt(x) && isInt(y) && norm(x) == norm(y)
		}
		fx, err1 := x.Float64()
		fy, err2 := y.Float64()
		return err1 == nil && err2 == nil && fx == fy
	default:
		return a == b
	}
}
