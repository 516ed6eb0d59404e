package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseSteps(t *testing.T) {
	steps, err := parseSteps([]byte(`[
		{"call": "loadbalancer_delete", "loadbalancer": {"loadbalancer_id": "a"}, "cascade": true},
		{"call": "get_supported_flavor_metadata"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []step{
		{Call: "loadbalancer_delete", Args: map[string]json.RawMessage{
			"loadbalancer": json.RawMessage(`{"loadbalancer_id": "a"}`), "cascade": json.RawMessage(`true`)}},
		{Call: "get_supported_flavor_metadata", Args: map[string]json.RawMessage{}},
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("steps = %#v", steps)
	}
}

func TestParseStepsErrors(t *testing.T) {
	cases := map[string]string{
		``:                               "empty file, expected a JSON array of steps",
		`  `:                             "empty file, expected a JSON array of steps",
		`null`:                           "expected a JSON array of steps, got null",
		`{}`:                             "expected a JSON array of steps, got object",
		`"x"`:                            "expected a JSON array of steps, got string",
		`[`:                              "invalid JSON: unexpected EOF",
		`[] x`:                           "invalid JSON: data after the array of steps",
		`[null]`:                         `step 1: expected an object {"call": ..., <arguments>}`,
		`[{"call": "a"}, []]`:            `step 2: expected an object {"call": ..., <arguments>}`,
		`[{"cal": "a"}]`:                 `step 1: missing "call"`,
		`[{"call": ""}]`:                 `step 1: "call" must be a non-empty string`,
		`[{"call": null}]`:               `step 1: "call" must be a non-empty string`,
		`[{"call": ["loadbalancer"]}]`:   `step 1: "call" must be a non-empty string`,
		`[{"call": "a", "call": false}]`: `step 1: "call" must be a non-empty string`,
	}
	for in, want := range cases {
		_, err := parseSteps([]byte(in))
		if err == nil || err.Error() != want {
			t.Errorf("parseSteps(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestEncodeLineKeepsTextUnescaped(t *testing.T) {
	b, err := encodeLine(resultLine{Call: "x", Error: &callError{Type: "DriverError",
		UserFaultString: "a <b> & c", OperatorFaultString: "é"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"call":"x","ok":false,"error":{"type":"DriverError","user_fault_string":"a <b> & c","operator_fault_string":"é"}}` + "\n"
	if string(b) != want {
		t.Errorf("got %s", b)
	}
}

func TestParseFlagsInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		nb   string
	}{
		{[]string{"--nb", "unix:/a", "steps.json"}, []string{"steps.json"}, "unix:/a"},
		{[]string{"steps.json", "--nb", "unix:/a"}, []string{"steps.json"}, "unix:/a"},
		{[]string{"-", "--nb=unix:/b"}, []string{"-"}, "unix:/b"},
		{[]string{"--nb", "unix:/a", "--", "--nb"}, []string{"--nb"}, "unix:/a"},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		nb := fs.String("nb", "", "")
		pos, err := parseFlags(fs, tc.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !reflect.DeepEqual(pos, tc.pos) || *nb != tc.nb {
			t.Errorf("%v: pos %v nb %q", tc.args, pos, *nb)
		}
	}
	var help bytes.Buffer
	fs := newFlagSet("t", "t [flags]", "does t", io.Discard)
	fs.String("nb", "", "NB `remote`")
	if _, err := parseFlags(fs, []string{"x", "--help"}, &help); err != flag.ErrHelp {
		t.Fatalf("help: err = %v", err)
	}
	if !strings.Contains(help.String(), "Usage: t [flags]") || !strings.Contains(help.String(), "-nb remote") {
		t.Errorf("help text: %s", help.String())
	}
}
