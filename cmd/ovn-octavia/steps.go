package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sirupsen/logrus"

	"github.com/ovn-octavia/ovn-octavia/calls"
	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// step is one entry of an apply steps file: {"call": NAME, ARG: VALUE, ...}.
type step struct {
	Call string
	Args map[string]json.RawMessage
}

// readSteps reads the steps file at path ("-" is stdin).
func readSteps(path string, stdin io.Reader) ([]step, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read steps: %w", err)
	}
	steps, err := parseSteps(data)
	if err != nil {
		name := path
		if path == "-" {
			name = "stdin"
		}
		return nil, fmt.Errorf("steps %s: %w", name, err)
	}
	return steps, nil
}

// parseSteps checks the whole file before anything runs: a JSON array of
// objects, each with a string "call". Argument values are checked by
// calls.Dispatch when their step runs.
func parseSteps(data []byte) ([]step, error) {
	var raw []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file, expected a JSON array of steps")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, fmt.Errorf("expected a JSON array of steps, got %s", te.Value)
		}
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if raw == nil {
		return nil, errors.New("expected a JSON array of steps, got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the array of steps")
	}
	steps := make([]step, 0, len(raw))
	for i, r := range raw {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(r, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("step %d: expected an object {\"call\": ..., <arguments>}", i+1)
		}
		callRaw, ok := obj["call"]
		if !ok {
			return nil, fmt.Errorf("step %d: missing \"call\"", i+1)
		}
		var call string
		if err := json.Unmarshal(callRaw, &call); err != nil || call == "" {
			return nil, fmt.Errorf("step %d: \"call\" must be a non-empty string", i+1)
		}
		delete(obj, "call")
		steps = append(steps, step{Call: call, Args: obj})
	}
	return steps, nil
}

// callError is the "error" member of a result line: the octavia-lib
// exception the Python shim would raise.
type callError struct {
	Type                string `json:"type"`
	UserFaultString     string `json:"user_fault_string"`
	OperatorFaultString string `json:"operator_fault_string"`
}

// resultLine is one line of apply's output.
type resultLine struct {
	Call   string     `json:"call"`
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *callError `json:"error,omitempty"`
}

// encodeLine renders a result line as one line of compact JSON without
// HTML escaping (fault strings may contain '<' and '>').
func encodeLine(l resultLine) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil { // Encode appends the newline
		return nil, err
	}
	return b.Bytes(), nil
}

// runSteps runs the steps in order, each to completion, and writes one
// result line per step to out with a single Write, so that a reader sees
// each line as soon as its call is done (os.Stdout is unbuffered). A failing
// call does not stop later ones. It stops early only when ctx ends (the
// remaining steps are not run) or out cannot be written; it returns the
// number of calls that answered ok:false.
func runSteps(ctx context.Context, d calls.Driver, steps []step, out io.Writer, log *logrus.Entry) (failed int, err error) {
	for i, s := range steps {
		if err := ctx.Err(); err != nil {
			return failed, fmt.Errorf("interrupted before step %d (%s): %w", i+1, s.Call, err)
		}
		l := log.WithFields(logrus.Fields{"step": i + 1, "call": s.Call})
		l.Debug("running provider call")
		res, callErr := calls.Dispatch(ctx, d, s.Call, s.Args)
		line := resultLine{Call: s.Call, OK: callErr == nil, Result: res}
		if callErr != nil {
			failed++
			pe := octavia.AsProviderError(callErr)
			line.Result = nil
			line.Error = &callError{Type: pe.Type, UserFaultString: pe.UserFault, OperatorFaultString: pe.OperatorFault}
			l.WithError(callErr).Info("provider call refused")
		} else {
			l.Info("provider call done")
		}
		b, err := encodeLine(line)
		if err != nil {
			return failed, fmt.Errorf("step %d (%s): encode result: %w", i+1, s.Call, err)
		}
		if _, err := out.Write(b); err != nil {
			return failed, fmt.Errorf("write result of step %d: %w", i+1, err)
		}
	}
	return failed, nil
}
