package watcher

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
)

// rpcConn is a minimal OVSDB JSON-RPC 1.0 connection (RFC 7047 §4) for the
// lock methods, which libovsdb does not offer. It answers the server's
// echo requests, matches responses to calls by id and hands notifications
// ("locked", "stolen") to the owner.
type rpcConn struct {
	conn net.Conn

	wmu sync.Mutex
	enc *json.Encoder

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan rpcMessage

	notify chan rpcMessage
	stop   chan struct{} // closed by close(): the reader must not block
	once   sync.Once
	done   chan struct{}
	err    error // set before done is closed
}

type rpcMessage struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

func newRPCConn(c net.Conn) *rpcConn {
	r := &rpcConn{
		conn:    c,
		enc:     json.NewEncoder(c),
		pending: map[uint64]chan rpcMessage{},
		notify:  make(chan rpcMessage, 16),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go r.readLoop()
	return r
}

func (r *rpcConn) readLoop() {
	dec := json.NewDecoder(bufio.NewReader(r.conn))
	var err error
	for {
		var m rpcMessage
		if err = dec.Decode(&m); err != nil {
			break
		}
		switch {
		case m.Method == "echo" && !isNull(m.ID):
			// The server's inactivity probe: answer with the params.
			params := m.Params
			if len(params) == 0 {
				params = json.RawMessage("[]")
			}
			if err = r.write(map[string]any{"id": m.ID, "result": params, "error": nil}); err != nil {
				break
			}
		case m.Method != "" && isNull(m.ID):
			select {
			case r.notify <- m:
			case <-r.stop:
			}
		case m.Method != "":
			// Another request we do not serve: reply with an error so the
			// server does not wait.
			_ = r.write(map[string]any{"id": m.ID, "result": nil, "error": "unknown method"})
		default:
			var id uint64
			if json.Unmarshal(m.ID, &id) != nil {
				continue
			}
			r.mu.Lock()
			ch := r.pending[id]
			delete(r.pending, id)
			r.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		}
		if err != nil {
			break
		}
	}
	r.mu.Lock()
	r.err = fmt.Errorf("json-rpc connection: %w", err)
	r.mu.Unlock()
	close(r.done)
	r.conn.Close()
}

func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

func (r *rpcConn) write(v any) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.enc.Encode(v)
}

// call sends a request and decodes its result into result (may be nil).
func (r *rpcConn) call(ctx context.Context, method string, params []any, result any) error {
	ch := make(chan rpcMessage, 1)
	r.mu.Lock()
	r.nextID++
	id := r.nextID
	r.pending[id] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
	}()
	if params == nil {
		params = []any{}
	}
	if err := r.write(map[string]any{"method": method, "params": params, "id": id}); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	case <-r.done:
		return fmt.Errorf("%s: %w", method, r.closeErr())
	case m := <-ch:
		if !isNull(m.Error) {
			return fmt.Errorf("%s: server error %s", method, m.Error)
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(m.Result, result); err != nil {
			return fmt.Errorf("%s: decode result %s: %w", method, m.Result, err)
		}
		return nil
	}
}

func (r *rpcConn) closeErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		return errors.New("json-rpc connection closed")
	}
	return r.err
}

func (r *rpcConn) close() {
	r.once.Do(func() { close(r.stop) })
	r.conn.Close()
	<-r.done
}
