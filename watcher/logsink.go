package watcher

import (
	"fmt"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
)

// NewLogger returns a logr.Logger writing to entry. libovsdb logs its
// connection life cycle ("connection lost, reconnecting", "reconnected -
// restarting monitors", "endpoint lost leader") at V(3), which the public
// logrus bridge drops; this sink maps V(0) to Info, V(1)-V(3) to Debug,
// V(4) and above to Trace, and errors always to Error.
func NewLogger(entry *logrus.Entry) logr.Logger {
	return logr.New(&logSink{entry: entry})
}

// newHookedLogger is NewLogger plus a callback seeing every message text
// before it is filtered by level (the watcher uses libovsdb's "reconnected"
// message as its reconnect signal, libovsdb has no callback for it).
func newHookedLogger(entry *logrus.Entry, hook func(msg string)) logr.Logger {
	return logr.New(&logSink{entry: entry, hook: hook})
}

type logSink struct {
	entry *logrus.Entry
	name  string
	hook  func(msg string)
}

var _ logr.LogSink = (*logSink)(nil)

func (s *logSink) Init(logr.RuntimeInfo) {}

func level(v int) logrus.Level {
	switch {
	case v <= 0:
		return logrus.InfoLevel
	case v <= 3:
		return logrus.DebugLevel
	default:
		return logrus.TraceLevel
	}
}

// Enabled is true up to V(3) when there is a hook: logr skips Info for
// disabled levels and the hook must see libovsdb's V(3) life-cycle
// messages. Not beyond V(3): libovsdb formats every transaction at V(4)
// and every row update at V(5) when enabled.
func (s *logSink) Enabled(v int) bool {
	return (s.hook != nil && v <= 3) || s.entry.Logger.IsLevelEnabled(level(v))
}

func (s *logSink) Info(v int, msg string, kv ...any) {
	if s.hook != nil {
		s.hook(msg)
	}
	if l := level(v); s.entry.Logger.IsLevelEnabled(l) {
		s.withValues(kv).Log(l, msg)
	}
}

func (s *logSink) Error(err error, msg string, kv ...any) {
	s.withValues(kv).WithError(err).Error(msg)
}

func (s *logSink) WithValues(kv ...any) logr.LogSink {
	return &logSink{entry: s.withValues(kv), name: s.name, hook: s.hook}
}

func (s *logSink) WithName(name string) logr.LogSink {
	if s.name != "" {
		name = s.name + "." + name
	}
	return &logSink{entry: s.entry.WithField("logger", name), name: name, hook: s.hook}
}

// withValues turns logr's alternating key/value list into logrus fields; an
// odd trailing key gets a placeholder value instead of being dropped.
func (s *logSink) withValues(kv []any) *logrus.Entry {
	if len(kv) == 0 {
		return s.entry
	}
	fields := make(logrus.Fields, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		key := fmt.Sprint(kv[i])
		if i+1 < len(kv) {
			fields[key] = kv[i+1]
		} else {
			fields[key] = "(missing)"
		}
	}
	return s.entry.WithFields(fields)
}
