// Package testbed starts real OVN databases for the suites: standalone
// ovsdb-server processes for NB and SB, 3-member RAFT clusters, and
// ovn-northd. Every process runs in the foreground (no --detach) as a child
// of the test process, with its unixctl socket, pidfile, log and database
// file inside the caller's directory, and is stopped by PID (SIGTERM, then
// SIGKILL). Every wait is bounded.
//
// API:
//
//	nb, err := testbed.StartNB(dir)                 // standalone NB on unix:<dir>/nb.sock
//	nb, err := testbed.StartNB(dir, testbed.WithTCP()) // also on tcp:127.0.0.1:<free port>
//	sb, err := testbed.StartSB(dir)
//	pki, err := testbed.NewPKI(dir, "a")             // CA + server/client certs
//	nb, err := testbed.StartNB(dir, testbed.WithSSL(pki)) // also on ssl:127.0.0.1:<free port>
//	nd, err := testbed.StartNorthd(dir, nb, sb)
//	cl, err := testbed.StartCluster(dir, testbed.NBSchema, testbed.NBDatabase, 3)
//	nb.Remote()         // "unix:/.../nb.sock" (tcp remote when the server has no unix socket)
//	nb.Stop(); nb.Start(); nb.Restart()               // the database file is kept
//	nb.TransactOffline(`[...]`)                       // ovsdb-tool transact while stopped
//	cl.Remote()         // "tcp:127.0.0.1:p1,tcp:127.0.0.1:p2,tcp:127.0.0.1:p3"
//	cl.Leader(ctx); cl.KillLeader(ctx); cl.Stop()
//	c, err := testbed.ConnectNB(ctx, remote)          // libovsdb client, all tables monitored
//
// Paths: unix socket paths are limited to about 100 bytes; use a short
// directory (os.MkdirTemp("", "tb")) rather than a deeply nested one.
package testbed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Schema files and database names of the installed OVN.
const (
	NBSchema   = "/usr/share/ovn/ovn-nb.ovsschema"
	SBSchema   = "/usr/share/ovn/ovn-sb.ovsschema"
	NBDatabase = "OVN_Northbound"
	SBDatabase = "OVN_Southbound"
)

// Binaries used by the test bed; resolved through PATH first.
var (
	ovsdbServerBin = findBin("ovsdb-server", "/usr/sbin/ovsdb-server")
	ovsdbToolBin   = findBin("ovsdb-tool", "/usr/bin/ovsdb-tool")
	ovsAppctlBin   = findBin("ovs-appctl", "/usr/bin/ovs-appctl")
	ovnAppctlBin   = findBin("ovn-appctl", "/usr/bin/ovn-appctl")
	ovnNorthdBin   = findBin("ovn-northd", "/usr/bin/ovn-northd")
)

// Bounds of the waits. Generous: CI machines can be slow, and nothing here
// is a performance assertion.
const (
	startTimeout   = 20 * time.Second
	stopTimeout    = 10 * time.Second
	commandTimeout = 20 * time.Second
	maxSocketPath  = 100
)

func findBin(name, fallback string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return fallback
}

// Option adjusts a standalone server.
type Option func(*serverConfig)

type serverConfig struct {
	tcp    bool
	name   string
	schema string
	ssl    *PKI
}

// WithSSL makes the server also listen for SSL on a free loopback port,
// with the server key and certificate of p, verifying clients against p's
// CA (as ovsdb-server always does).
func WithSSL(p *PKI) Option { return func(c *serverConfig) { c.ssl = p } }

// WithTCP makes the server also listen on a free loopback tcp port.
func WithTCP() Option { return func(c *serverConfig) { c.tcp = true } }

// WithName sets the file name prefix (default "nb" / "sb"); two servers in
// one directory need different names.
func WithName(name string) Option { return func(c *serverConfig) { c.name = name } }

// WithSchema creates the database from another schema file (e.g. a schema
// with a table removed, to test schema validation).
func WithSchema(path string) Option { return func(c *serverConfig) { c.schema = path } }

// Server is one ovsdb-server process (standalone, or one cluster member).
type Server struct {
	Name     string // file name prefix inside Dir
	Dir      string
	DBFile   string
	Database string // OVN_Northbound or OVN_Southbound
	Sock     string // unix socket path; "" for cluster members
	TCPPort  int    // client tcp port; 0 when not listening on tcp
	SSLPort  int    // client ssl port; 0 when not listening on ssl
	PKI      *PKI   // certificates of the ssl listener
	RaftAddr string // "tcp:127.0.0.1:port" for cluster members
	Unixctl  string
	PIDFile  string
	LogFile  string

	mu   sync.Mutex
	proc *process
}

// StartNB creates a standalone NB database in dir and starts its server.
func StartNB(dir string, opts ...Option) (*Server, error) {
	return startStandalone(dir, NBSchema, NBDatabase, "nb", opts)
}

// StartSB creates a standalone SB database in dir and starts its server.
func StartSB(dir string, opts ...Option) (*Server, error) {
	return startStandalone(dir, SBSchema, SBDatabase, "sb", opts)
}

func startStandalone(dir, schema, database, defName string, opts []Option) (*Server, error) {
	cfg := serverConfig{name: defName, schema: schema}
	for _, o := range opts {
		o(&cfg)
	}
	s := newServer(dir, cfg.name, database)
	s.Sock = filepath.Join(dir, cfg.name+".sock")
	s.PKI = cfg.ssl
	if len(s.Sock) > maxSocketPath || len(s.Unixctl) > maxSocketPath {
		return nil, fmt.Errorf("testbed: socket path %q too long for a unix socket; use a shorter directory", s.Sock)
	}
	if err := runTool("create", s.DBFile, cfg.schema); err != nil {
		return nil, err
	}
	if !cfg.tcp && cfg.ssl == nil {
		if err := s.Start(); err != nil {
			return nil, err
		}
		return s, nil
	}
	// A free port can be taken by someone else before the server binds it:
	// retry with another port.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if cfg.tcp {
			if s.TCPPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		if cfg.ssl != nil {
			if s.SSLPort, err = FreePort(); err != nil {
				return nil, err
			}
		}
		if err = s.Start(); err == nil {
			return s, nil
		}
		if !portInUse(s.LogFile) {
			return nil, err
		}
		_ = os.Remove(s.LogFile)
	}
	return nil, err
}

func newServer(dir, name, database string) *Server {
	return &Server{
		Name:     name,
		Dir:      dir,
		DBFile:   filepath.Join(dir, name+".db"),
		Database: database,
		Unixctl:  filepath.Join(dir, name+".ctl"),
		PIDFile:  filepath.Join(dir, name+".pid"),
		LogFile:  filepath.Join(dir, name+".log"),
	}
}

// Remote is the OVSDB remote of the server: its unix socket when it has
// one, else its tcp port.
func (s *Server) Remote() string {
	if s.Sock != "" {
		return "unix:" + s.Sock
	}
	return s.TCPRemote()
}

// TCPRemote is "tcp:127.0.0.1:<port>", or "" without tcp.
func (s *Server) TCPRemote() string {
	if s.TCPPort == 0 {
		return ""
	}
	return fmt.Sprintf("tcp:127.0.0.1:%d", s.TCPPort)
}

// SSLRemote is "ssl:127.0.0.1:<port>", or "" without ssl.
func (s *Server) SSLRemote() string {
	if s.SSLPort == 0 {
		return ""
	}
	return fmt.Sprintf("ssl:127.0.0.1:%d", s.SSLPort)
}

// PID of the running process, 0 when stopped.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc != nil && !s.proc.exited()
}

// Start starts the server on its existing database file and waits until it
// answers list_dbs on its remote.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil && !s.proc.exited() {
		return fmt.Errorf("testbed: %s already running", s.Name)
	}
	args := []string{
		"--unixctl=" + s.Unixctl,
		"--pidfile=" + s.PIDFile,
		"--log-file=" + s.LogFile,
		"-vconsole:off", "-vfile:info",
	}
	if s.Sock != "" {
		args = append(args, "--remote=punix:"+s.Sock)
	}
	if s.TCPPort != 0 {
		args = append(args, fmt.Sprintf("--remote=ptcp:%d:127.0.0.1", s.TCPPort))
	}
	if s.SSLPort != 0 && s.PKI != nil {
		args = append(args,
			"--private-key="+s.PKI.ServerKey,
			"--certificate="+s.PKI.ServerCert,
			"--ca-cert="+s.PKI.CACert,
			fmt.Sprintf("--remote=pssl:%d:127.0.0.1", s.SSLPort))
	}
	args = append(args, s.DBFile)
	p, err := startProcess(s.Dir, s.Name, ovsdbServerBin, args)
	if err != nil {
		return err
	}
	s.proc = p
	if err := waitAnswering(s.Remote(), p, startTimeout); err != nil {
		_ = p.stop(stopTimeout)
		s.proc = nil
		return fmt.Errorf("testbed: %s did not come up: %w (log tail: %s)", s.Name, err, tail(s.LogFile))
	}
	return nil
}

// Stop terminates the server by PID: SIGTERM, then SIGKILL after a grace
// period. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.stop(stopTimeout)
	s.proc = nil
	return err
}

// Kill sends SIGKILL (a crash, no clean shutdown) and waits for the exit.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.kill(stopTimeout)
	s.proc = nil
	return err
}

// Restart stops and starts the server; the database file is kept.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// TransactOffline runs `ovsdb-tool transact` on the database file of a
// stopped standalone server. txn is the JSON array of operations
// (["OVN_Northbound", {...}, ...]).
func (s *Server) TransactOffline(txn string) (string, error) {
	if s.Running() {
		return "", fmt.Errorf("testbed: %s is running; stop it before ovsdb-tool transact", s.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, ovsdbToolBin, "transact", s.DBFile, txn).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testbed: ovsdb-tool transact: %w: %s", err, out)
	}
	// ovsdb-tool prints the result array; a failed operation is reported in
	// it, not in the exit code.
	if bytes.Contains(out, []byte(`"error"`)) {
		return string(out), fmt.Errorf("testbed: ovsdb-tool transact failed: %s", out)
	}
	return string(out), nil
}

// Appctl runs ovs-appctl against the server's unixctl socket.
func (s *Server) Appctl(args ...string) (string, error) {
	return appctl(ovsAppctlBin, s.Unixctl, args...)
}

func appctl(bin, target string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	full := append([]string{"--timeout=10", "-t", target}, args...)
	out, err := exec.CommandContext(ctx, bin, full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("testbed: %s %s: %w: %s", filepath.Base(bin), strings.Join(full, " "), err, out)
	}
	return string(out), nil
}

func runTool(args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, ovsdbToolBin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("testbed: ovsdb-tool %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// FreePort returns a loopback tcp port that was free a moment ago. Ports
// are taken from the kernel's ephemeral allocator (bind to port 0), so two
// calls racing in parallel processes are unlikely to collide; callers that
// bind later retry on "Address already in use".
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testbed: find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is a child started without --detach.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	out  *os.File
}

func startProcess(dir, name, bin string, args []string) (*process, error) {
	out, err := os.OpenFile(filepath.Join(dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("testbed: open output file: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	// Own process group: a Ctrl-C on the test run does not hit the server
	// before our Stop does. Pdeathsig: if the test binary dies (go test
	// timeout, panic) the kernel kills the server instead of leaving it
	// running.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("testbed: start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), out: out}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) stop(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	return p.kill(grace)
}

func (p *process) kill(grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		return fmt.Errorf("testbed: pid %d did not exit after SIGKILL", p.cmd.Process.Pid)
	}
}

// waitAnswering polls the remote with a list_dbs request until it answers,
// the process exits, or the timeout passes.
func waitAnswering(remote string, p *process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("process exited: %v", p.err)
		}
		if _, err := ListDBs(remote, time.Second); err == nil {
			return nil
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no answer from %s within %s: %w", remote, timeout, last)
}

// ListDBs sends one list_dbs request to a single remote ("unix:..." or
// "tcp:host:port") and returns the database names.
func ListDBs(remote string, timeout time.Duration) ([]string, error) {
	var dbs []string
	err := call(remote, timeout, "list_dbs", []any{}, &dbs)
	return dbs, err
}

// call is a one-shot OVSDB JSON-RPC request on a fresh connection.
func call(remote string, timeout time.Duration, method string, params []any, result any) error {
	network, addr, err := splitRemote(remote)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	req, _ := json.Marshal(map[string]any{"method": method, "params": params, "id": 1})
	if _, err := conn.Write(req); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var msg struct {
			ID     any             `json:"id"`
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  any             `json:"error"`
		}
		if err := dec.Decode(&msg); err != nil {
			return err
		}
		if msg.Method != "" { // a request or notification from the server
			continue
		}
		if msg.Error != nil {
			return fmt.Errorf("%s: %v", method, msg.Error)
		}
		return json.Unmarshal(msg.Result, result)
	}
}

func splitRemote(remote string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(remote, "unix:"):
		return "unix", strings.TrimPrefix(remote, "unix:"), nil
	case strings.HasPrefix(remote, "tcp:"):
		return "tcp", strings.TrimPrefix(remote, "tcp:"), nil
	}
	return "", "", fmt.Errorf("testbed: unsupported remote %q", remote)
}

func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// portInUse reports whether a log says a bind failed.
func portInUse(logFile string) bool {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return false
	}
	return bytes.Contains(b, []byte("Address already in use"))
}

// TryLock opens a connection to one remote, requests the OVSDB lock name
// and reports whether the server granted it at once; the connection (and
// so the lock) is closed before returning. Locks are per server process,
// so this shows whether someone else holds name on that server.
func TryLock(remote, name string, timeout time.Duration) (bool, error) {
	var res struct {
		Locked bool `json:"locked"`
	}
	if err := call(remote, timeout, "lock", []any{name}, &res); err != nil {
		return false, err
	}
	return res.Locked, nil
}

// SchemaWithout writes a copy of schema without the named tables to path
// (for tests of a server whose schema lacks a table). The tables must not
// be referenced by the remaining ones.
func SchemaWithout(schema, path string, tables ...string) error {
	b, err := os.ReadFile(schema)
	if err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("testbed: parse %s: %w", schema, err)
	}
	ts, ok := s["tables"].(map[string]any)
	if !ok {
		return fmt.Errorf("testbed: %s has no tables object", schema)
	}
	for _, t := range tables {
		if _, ok := ts[t]; !ok {
			return fmt.Errorf("testbed: %s has no table %s", schema, t)
		}
		delete(ts, t)
	}
	out, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("testbed: %w", err)
	}
	return os.WriteFile(path, out, 0o644)
}
