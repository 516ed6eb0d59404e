package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/ovn-octavia/ovn-octavia/octavia"
)

// DefaultSocket is where the shim looks for the server when
// OVN_OCTAVIA_SOCKET is not set.
const DefaultSocket = "/var/run/ovn-octavia/provider.sock"

// EnvSocket names the socket path for the shim and for `serve --listen`.
const EnvSocket = "OVN_OCTAVIA_SOCKET"

// SocketMode lets the Octavia API's group reach a server run by another
// user; nobody else may.
const SocketMode fs.FileMode = 0o660

// Listen creates the unix socket at path (and its directory). A socket
// file left by a server that is gone is replaced; one a live server answers
// on is an error, as is any other file at path.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			_ = c.Close()
			return nil, fmt.Errorf("%s: another server is listening", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, SocketMode); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, nil
}

// Reply is a decoded server reply.
type Reply struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *Error          `json:"error,omitempty"`
}

// Request sends one request payload to the server at path and returns the
// raw reply payload (what the shim does, for tests and tools). ctx bounds
// the whole exchange.
func Request(ctx context.Context, path string, payload []byte) ([]byte, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", path, err)
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := octavia.WriteFrame(c, payload); err != nil {
		return nil, err
	}
	b, err := octavia.ReadFrame(bufio.NewReader(c))
	if err != nil {
		return nil, fmt.Errorf("read reply: %w", err)
	}
	return b, nil
}

// Do sends req (encoded as JSON) and decodes the reply.
func Do(ctx context.Context, path string, req any) (*Reply, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	b, err := Request(ctx, path, payload)
	if err != nil {
		return nil, err
	}
	var r Reply
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode reply %q: %w", b, err)
	}
	if !r.OK && r.Error == nil {
		return nil, errors.New("reply has ok=false and no error")
	}
	return &r, nil
}
