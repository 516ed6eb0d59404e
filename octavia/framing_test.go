package octavia

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestWriteFrame(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFrame(&b, []byte(`{"status_code": 200}`)); err != nil {
		t.Fatal(err)
	}
	if b.String() != "20\n{\"status_code\": 200}" {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	if err := WriteFrame(&b, nil); err != nil || b.String() != "0\n" {
		t.Errorf("empty payload: %q %v", b.String(), err)
	}
}

func TestReadFrame(t *testing.T) {
	ok := map[string]string{
		"2\n{}":          "{}",
		" 2 \n{}":        "{}", // Python's int() strips whitespace
		"2\r\n{}":        "{}",
		"0\n":            "",
		"3\n{}}trailing": "{}}",
	}
	for in, want := range ok {
		got, err := ReadFrame(bufio.NewReader(strings.NewReader(in)))
		if err != nil || string(got) != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	bad := map[string]error{
		"":                             io.EOF,
		"12":                           io.ErrUnexpectedEOF,
		"\n{}":                         ErrFrame,
		"-2\n{}":                       ErrFrame,
		"1e3\n":                        ErrFrame,
		"99999999999999999999999\n":    ErrFrame,
		strings.Repeat("1", 40) + "\n": ErrFrame,
		"5\n{}":                        io.ErrUnexpectedEOF,
	}
	for in, want := range bad {
		_, err := ReadFrame(bufio.NewReader(strings.NewReader(in)))
		if !errors.Is(err, want) {
			t.Errorf("%q: error %v, want %v", in, err, want)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	payload := []byte(Status{Members: []StatusEntry{{ID: "é"}}}.Encode())
	var b bytes.Buffer
	if err := WriteFrame(&b, payload); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFrame(bufio.NewReader(&b))
	if err != nil || !bytes.Equal(got, payload) {
		t.Errorf("round trip %q %v", got, err)
	}
}
