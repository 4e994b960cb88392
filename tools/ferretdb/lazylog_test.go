package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Run with `go test ./...` in tools/ferretdb.
func TestLazyHandlerWritesWhatTheTextHandlerWrites(t *testing.T) {
	var eager, lazy bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: dropTime}
	for _, l := range []*slog.Logger{slog.New(slog.NewTextHandler(&eager, opts)), slog.New(newLazyHandler(slog.NewTextHandler(&lazy, opts)))} {
		derived := l.With("sql", `UPDATE "t" SET doc = ?`).WithGroup("g").With("args", []any{`{"_id":"a b"}`})
		derived.Debug("not written")
		derived.Warn("written", "n", 1)
		l.Warn("plain")
	}
	if eager.String() != lazy.String() {
		t.Fatalf("lazy handler wrote\n%s\nthe text handler\n%s", lazy.String(), eager.String())
	}
	if !strings.Contains(lazy.String(), `sql="UPDATE \"t\" SET doc = ?"`) || strings.Contains(lazy.String(), "not written") {
		t.Fatalf("unexpected output: %s", lazy.String())
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
