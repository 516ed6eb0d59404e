package neutron

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
)

var (
	// ErrNotFound matches (errors.Is) an *HTTPError with status 404.
	ErrNotFound = errors.New("neutron resource not found")
	// ErrConflict matches (errors.Is) an *HTTPError with status 409.
	ErrConflict = errors.New("neutron conflict")
	// ErrMultipleMatches is wrapped by FindPort when more than one port carries
	// the requested name (openstacksdk DuplicateResource).
	ErrMultipleMatches = errors.New("more than one match")
)

// HTTPError is a Neutron answer with an error status. Its text fields follow
// openstacksdk's HttpException so that the CRUD layer can build the same
// DriverError texts as the reference (operations.md §3 step 4: the fault string
// is Details, else Message):
//
//   - Details is the "message" of every top-level object of a JSON body (for
//     Neutron: NeutronError.message), joined by newlines; for an HTML body its
//     text lines joined by ": "; otherwise, or when that yields nothing, the
//     HTTP reason phrase ("Conflict"), else the raw body.
//   - Message is "<ExceptionClass>: <status>", e.g. "ConflictException: 409".
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int
	Message    string
	Details    string
	// NeutronType and NeutronDetail are NeutronError.type and .detail when the
	// body is a Neutron fault; informational only.
	NeutronType   string
	NeutronDetail string
}

func (e *HTTPError) Error() string {
	text := e.Details
	if text == "" {
		text = e.Message
	}
	return fmt.Sprintf("neutron %s %s: HTTP %d: %s", e.Method, e.URL, e.StatusCode, text)
}

// Is lets errors.Is(err, ErrNotFound) and errors.Is(err, ErrConflict) test the status.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	}
	return false
}

// FaultText is the text the reference puts into a DriverError: Details, else
// Message; "" only when both are empty (the caller then uses octavia-lib's
// default "An unknown driver error occurred.").
func (e *HTTPError) FaultText() string {
	if e.Details != "" {
		return e.Details
	}
	return e.Message
}

// StatusCode returns the HTTP status of an *HTTPError in err's chain, or 0.
func StatusCode(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// exceptionClass is the openstacksdk exception class name for a status.
func exceptionClass(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "BadRequestException"
	case http.StatusForbidden:
		return "ForbiddenException"
	case http.StatusNotFound:
		return "NotFoundException"
	case http.StatusConflict:
		return "ConflictException"
	case http.StatusPreconditionFailed:
		return "PreconditionFailedException"
	}
	return "HttpException"
}

var htmlTag = regexp.MustCompile(`<.+?>`)

// newHTTPError builds an HTTPError from a response, mirroring openstacksdk's
// raise_from_response.
func newHTTPError(method, url string, status int, header http.Header, body []byte) *HTTPError {
	e := &HTTPError{
		Method:     method,
		URL:        url,
		StatusCode: status,
		Message:    fmt.Sprintf("%s: %d", exceptionClass(status), status),
	}
	contentType := header.Get("Content-Type")
	switch {
	case len(body) > 0 && strings.Contains(contentType, "application/json"):
		e.Details = jsonDetails(body)
		var fault struct {
			NeutronError *struct {
				Type   string `json:"type"`
				Detail string `json:"detail"`
			} `json:"NeutronError"`
		}
		if json.Unmarshal(body, &fault) == nil && fault.NeutronError != nil {
			e.NeutronType = fault.NeutronError.Type
			e.NeutronDetail = fault.NeutronError.Detail
		}
	case len(body) > 0 && strings.Contains(contentType, "text/html"):
		var lines []string
		for _, line := range strings.Split(string(body), "\n") {
			m := htmlTag.ReplaceAllString(strings.TrimSpace(line), "")
			if m != "" && !slices.Contains(lines, m) {
				lines = append(lines, m)
			}
		}
		e.Details = strings.Join(lines, ": ")
	}
	if e.Details == "" {
		e.Details = http.StatusText(status)
	}
	if e.Details == "" {
		e.Details = string(bytes.TrimSpace(body))
	}
	return e
}

// jsonDetails extracts the "message" (or Ironic's "faultstring") of every
// top-level object, falling back to the root object; on invalid JSON the body
// text itself, as openstacksdk does.
func jsonDetails(body []byte) string {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(body, &root); err != nil {
		return string(bytes.TrimSpace(body))
	}
	// Python keeps the body's key order; a Go map does not, so sort for a
	// stable text. Neutron faults have a single top-level key anyway.
	keys := make([]string, 0, len(root))
	for k := range root {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var msgs []string
	for _, k := range keys {
		if m := extractMessage(root[k]); m != "" {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		if m := extractMessage(body); m != "" {
			msgs = append(msgs, m)
		}
	}
	return strings.Join(msgs, "\n")
}

func extractMessage(raw json.RawMessage) string {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		// Ironic before Stein double-encoded its faults.
		var s string
		if json.Unmarshal(raw, &s) == nil && json.Unmarshal([]byte(s), &obj) == nil {
			return messageOf(obj)
		}
		return ""
	}
	return messageOf(obj)
}

func messageOf(obj map[string]any) string {
	for _, k := range []string{"message", "faultstring"} {
		if v, ok := obj[k]; ok && truthy(v) {
			if s, ok := v.(string); ok {
				return s
			}
			b, err := json.Marshal(v)
			if err == nil {
				return string(b)
			}
		}
	}
	return ""
}

// truthy mirrors Python truthiness for JSON values.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case bool:
		return t
	case float64:
		return t != 0
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// translate turns a gophercloud error into an *HTTPError (wrapped with op as
// context) when it carries an HTTP status, and wraps any other error with op.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var codeErr gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &codeErr) {
		return fmt.Errorf("%s: %w", op, newHTTPError(codeErr.Method, codeErr.URL, codeErr.Actual, codeErr.ResponseHeader, codeErr.Body))
	}
	var codeErrPtr *gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &codeErrPtr) {
		return fmt.Errorf("%s: %w", op, newHTTPError(codeErrPtr.Method, codeErrPtr.URL, codeErrPtr.Actual, codeErrPtr.ResponseHeader, codeErrPtr.Body))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isHTTPError reports whether err carries an HTTP error status.
func isHTTPError(err error) bool {
	var he *HTTPError
	return errors.As(err, &he)
}
