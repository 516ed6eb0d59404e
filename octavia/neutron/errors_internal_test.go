package neutron

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	. "github.com/onsi/gomega"
	"github.com/sirupsen/logrus"
)

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

func TestNewHTTPErrorFollowsOpenstacksdk(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		header      http.Header
		body        string
		wantDetails string
		wantMessage string
		wantType    string
	}{
		{
			name: "neutron fault", status: 409, header: jsonHeader(),
			body:        `{"NeutronError": {"type": "IpAddressAlreadyAllocated", "message": "IP address 10.0.0.5 already allocated in subnet s1", "detail": ""}}`,
			wantDetails: "IP address 10.0.0.5 already allocated in subnet s1", wantMessage: "ConflictException: 409",
			wantType: "IpAddressAlreadyAllocated",
		},
		{
			name: "fault with empty message falls back to the reason", status: 500, header: jsonHeader(),
			body:        `{"NeutronError": {"type": "X", "message": "", "detail": "d"}}`,
			wantDetails: "Internal Server Error", wantMessage: "HttpException: 500", wantType: "X",
		},
		{
			name: "root-level message (WSME style)", status: 400, header: jsonHeader(),
			body:        `{"message": "bad thing", "code": 400}`,
			wantDetails: "bad thing", wantMessage: "BadRequestException: 400",
		},
		{
			name: "keystonemiddleware 401", status: 401, header: jsonHeader(),
			body:        `{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}`,
			wantDetails: "The request you have made requires authentication.", wantMessage: "HttpException: 401",
		},
		{
			name: "invalid JSON keeps the text", status: 403, header: jsonHeader(),
			body:        `not json`,
			wantDetails: "not json", wantMessage: "ForbiddenException: 403",
		},
		{
			name: "html", status: 404, header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}},
			body:        "<html>\n <head><title>404 Not Found</title></head>\n <body>\n<h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>",
			wantDetails: "404 Not Found: The resource could not be found.", wantMessage: "NotFoundException: 404",
		},
		{
			name: "no body", status: 412, header: http.Header{},
			wantDetails: "Precondition Failed", wantMessage: "PreconditionFailedException: 412",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			e := newHTTPError("POST", "http://n/v2.0/ports", tc.status, tc.header, []byte(tc.body))
			g.Expect(e.StatusCode).To(Equal(tc.status))
			g.Expect(e.Details).To(Equal(tc.wantDetails))
			g.Expect(e.Message).To(Equal(tc.wantMessage))
			g.Expect(e.NeutronType).To(Equal(tc.wantType))
			g.Expect(e.FaultText()).To(Equal(tc.wantDetails))
			g.Expect(e.Error()).To(Equal(fmt.Sprintf("neutron POST http://n/v2.0/ports: HTTP %d: %s", tc.status, tc.wantDetails)))
		})
	}
}

func TestFaultTextFallsBackToMessage(t *testing.T) {
	g := NewWithT(t)
	e := &HTTPError{StatusCode: 409, Message: "ConflictException: 409"}
	g.Expect(e.FaultText()).To(Equal("ConflictException: 409"))
}

func TestTranslateFindsTheStatusThroughWrapping(t *testing.T) {
	g := NewWithT(t)
	orig := gophercloud.ErrUnexpectedResponseCode{Method: "GET", URL: "u", Actual: 404, ResponseHeader: jsonHeader(),
		Body: []byte(`{"NeutronError": {"message": "Port p could not be found."}}`)}
	// As gophercloud returns it after a re-authentication.
	wrapped := &gophercloud.ErrErrorAfterReauthentication{ErrOriginal: orig}

	err := translate("get port p", wrapped)
	g.Expect(errors.Is(err, ErrNotFound)).To(BeTrue())
	g.Expect(err.Error()).To(Equal("get port p: neutron GET u: HTTP 404: Port p could not be found."))

	plain := translate("get port p", io.ErrUnexpectedEOF)
	g.Expect(errors.Is(plain, io.ErrUnexpectedEOF)).To(BeTrue())
	g.Expect(isHTTPError(plain)).To(BeFalse())
	g.Expect(StatusCode(plain)).To(Equal(0))
	g.Expect(translate("x", nil)).To(BeNil())
}

func TestBackoffWaits(t *testing.T) {
	g := NewWithT(t)
	d := DefaultDeleteBackoff()
	var waits []time.Duration
	for a := 1; a <= 9; a++ {
		waits = append(waits, d.wait(a))
	}
	s := time.Second
	// tenacity wait_exponential(max=75): 1, 2, 4, …, capped at 75.
	g.Expect(waits).To(Equal([]time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 64 * s, 75 * s, 75 * s}))
	g.Expect(d.wait(1000)).To(Equal(75 * s))
	g.Expect(Backoff{Initial: s}.wait(80)).To(BeNumerically(">", 0), "uncapped growth must not overflow to a negative wait")
	g.Expect(Backoff{}.wait(3)).To(BeZero())
}

func quiet() *logrus.Entry {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

func TestRetryStopsOnNonRetriableAndOnAttempts(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	retriable := errors.New("again")
	final := errors.New("final")
	isRetriable := func(err error) bool { return errors.Is(err, retriable) }

	calls := 0
	err := retry(ctx, Backoff{Initial: time.Microsecond, MaxAttempts: 4}, quiet(), "op", isRetriable, func() error {
		calls++
		return retriable
	})
	g.Expect(err).To(MatchError(retriable))
	g.Expect(calls).To(Equal(4))

	calls = 0
	err = retry(ctx, Backoff{Initial: time.Microsecond, MaxAttempts: 4}, quiet(), "op", isRetriable, func() error {
		calls++
		if calls == 2 {
			return final
		}
		return retriable
	})
	g.Expect(err).To(MatchError(final))
	g.Expect(calls).To(Equal(2))

	calls = 0
	err = retry(ctx, Backoff{Initial: time.Microsecond, MaxAttempts: 4}, quiet(), "op", isRetriable, func() error {
		calls++
		if calls == 3 {
			return nil
		}
		return retriable
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(calls).To(Equal(3))
}

func TestRetryMakesALastAttemptAtTheDeadline(t *testing.T) {
	g := NewWithT(t)
	calls := 0
	start := time.Now()
	// The first wait (1 h) is cut to the 30 ms budget, then one more attempt.
	err := retry(context.Background(), Backoff{Initial: time.Hour, MaxElapsed: 30 * time.Millisecond}, quiet(), "op",
		func(error) bool { return true }, func() error {
			calls++
			return errors.New("x")
		})
	g.Expect(err).To(HaveOccurred())
	g.Expect(calls).To(Equal(2))
	g.Expect(time.Since(start)).To(BeNumerically("<", time.Minute))
}
