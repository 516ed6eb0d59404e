package testbed

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Remoter is anything with an OVSDB remote (a *Server or a *Cluster).
type Remoter interface{ Remote() string }

// Northd is an ovn-northd process.
type Northd struct {
	Dir     string
	Unixctl string
	PIDFile string
	LogFile string
	proc    *process
}

// StartNorthd starts ovn-northd between nb and sb (in the foreground, with
// unixctl socket, pidfile and log in dir) and waits until it reports
// "Status: active".
func StartNorthd(dir string, nb, sb Remoter) (*Northd, error) {
	n := &Northd{
		Dir:     dir,
		Unixctl: filepath.Join(dir, "northd.ctl"),
		PIDFile: filepath.Join(dir, "northd.pid"),
		LogFile: filepath.Join(dir, "northd.log"),
	}
	if len(n.Unixctl) > maxSocketPath {
		return nil, fmt.Errorf("testbed: socket path %q too long; use a shorter directory", n.Unixctl)
	}
	args := []string{
		"--ovnnb-db=" + nb.Remote(),
		"--ovnsb-db=" + sb.Remote(),
		"--unixctl=" + n.Unixctl,
		"--pidfile=" + n.PIDFile,
		"--log-file=" + n.LogFile,
		"-vconsole:off", "-vfile:info",
	}
	p, err := startProcess(dir, "northd", ovnNorthdBin, args)
	if err != nil {
		return nil, err
	}
	n.proc = p
	deadline := time.Now().Add(startTimeout)
	for {
		if p.exited() {
			return nil, fmt.Errorf("testbed: ovn-northd exited: %v (log tail: %s)", p.err, tail(n.LogFile))
		}
		out, err := appctl(ovnAppctlBin, n.Unixctl, "status")
		if err == nil && strings.Contains(out, "Status: active") {
			return n, nil
		}
		if time.Now().After(deadline) {
			_ = p.stop(stopTimeout)
			return nil, fmt.Errorf("testbed: ovn-northd not active within %s: %v %s", startTimeout, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop terminates ovn-northd by PID (SIGTERM, then SIGKILL).
func (n *Northd) Stop() error {
	if n == nil || n.proc == nil {
		return nil
	}
	return n.proc.stop(stopTimeout)
}
