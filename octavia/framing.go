package octavia

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The octavia-lib driver-agent framing, used in both directions: the
// payload's byte length as ASCII decimal digits, "\n", then exactly that many
// bytes of UTF-8 JSON. One request and one reply per connection.

// MaxFrameSize bounds the payload length a reader accepts, so that a garbage
// length line cannot make us allocate without limit. Status messages and get
// replies are a few KiB; 64 MiB leaves room for the largest LB.
const MaxFrameSize = 64 << 20

// maxHeaderLen bounds the length line (digits plus optional whitespace).
const maxHeaderLen = 32

// ErrFrame reports a malformed frame.
var ErrFrame = errors.New("malformed driver-agent frame")

// WriteFrame writes one frame in a single Write call.
func WriteFrame(w io.Writer, payload []byte) error {
	buf := make([]byte, 0, len(payload)+12)
	buf = strconv.AppendInt(buf, int64(len(payload)), 10)
	buf = append(buf, '\n')
	buf = append(buf, payload...)
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("write frame: %w", err)
	}
	return nil
}

// ReadFrameHeader reads the length line and returns the payload length.
// Surrounding ASCII whitespace is tolerated (Python's int() accepts it).
func ReadFrameHeader(r *bufio.Reader) (int, error) {
	var line []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if len(line) == 0 {
					return 0, fmt.Errorf("read frame length: %w", io.EOF)
				}
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("read frame length: %w", err)
		}
		if c == '\n' {
			break
		}
		if len(line) >= maxHeaderLen {
			return 0, fmt.Errorf("%w: length line longer than %d bytes", ErrFrame, maxHeaderLen)
		}
		line = append(line, c)
	}
	n, err := parseLength(line)
	if err != nil {
		return 0, err
	}
	return n, nil
}

func parseLength(line []byte) (int, error) {
	start, end := 0, len(line)
	for start < end && isSpace(line[start]) {
		start++
	}
	for end > start && isSpace(line[end-1]) {
		end--
	}
	digits := line[start:end]
	if len(digits) == 0 {
		return 0, fmt.Errorf("%w: empty length line", ErrFrame)
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: length line %q is not a decimal number", ErrFrame, line)
		}
		n = n*10 + int(c-'0')
		if n > MaxFrameSize {
			return 0, fmt.Errorf("%w: payload length exceeds %d bytes", ErrFrame, MaxFrameSize)
		}
	}
	return n, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// ReadFramePayload reads exactly n payload bytes.
func ReadFramePayload(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("read frame payload (%d bytes): %w", n, err)
	}
	return buf, nil
}

// ReadFrame reads one whole frame.
func ReadFrame(r *bufio.Reader) ([]byte, error) {
	n, err := ReadFrameHeader(r)
	if err != nil {
		return nil, err
	}
	return ReadFramePayload(r, n)
}
