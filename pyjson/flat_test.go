package pyjson

import "testing"

func TestFlatFastPathMatchesGeneralParser(t *testing.T) {
	inputs := []string{
		`{}`, ` { } `, `{"a": "ONLINE"}`, `{"a": "ONLINE", "b": "ERROR"}`,
		`{"a":"ONLINE","b":"ERROR"}`, "{\n \"a\" :\t\"X\" }",
		`{"a": "ONLINE", "a": "ERROR", "b": "OFFLINE"}`, // first position, last value
		`{"a\u00e9": "ONLINE"}`, `{"é": "ONLINE"}`, `{"a": 1}`, `{"a": null, "b": "X"}`,
		`{"a": {"b": "c"}}`,
	}
	for _, in := range inputs {
		v, err := Parse([]byte(in)) // the general parser alone
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		want := v.(*Object)
		got, err := ParseObject(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		ws, _ := Marshal(want)
		gs, _ := Marshal(got)
		if ws != gs {
			t.Errorf("%s: got %s, want %s", in, gs, ws)
		}
	}
	for _, in := range []string{``, `{`, `{"a": "B"`, `{"a": "B",}`, `{"a" "B"}`, `{"a": "B"} x`, `["a"]`, "{\"a\": \"B\x01\"}"} {
		if _, ok := scanFlatObject(in); ok {
			t.Errorf("%q: the fast path accepted it", in)
		}
		if _, err := ParseObject(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// Whatever the fast path accepts, the general parser reads the same way.
func FuzzFlatFastPath(f *testing.F) {
	for _, s := range []string{`{}`, `{"a": "ONLINE", "b": "ERROR"}`, `{"a":"B","a":"C"}`, `{"a": 1}`, `{"a": "\u00e9"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := scanFlatObject(s)
		if !ok {
			return
		}
		v, err := Parse([]byte(s))
		if err != nil {
			t.Fatalf("fast path accepted %q, general parser: %v", s, err)
		}
		want, _ := Marshal(v)
		got, _ := Marshal(fast)
		if got != want {
			t.Fatalf("%q: fast %s, general %s", s, got, want)
		}
	})
}
