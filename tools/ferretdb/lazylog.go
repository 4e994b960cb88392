package main

import (
	"context"
	"log/slog"
)

// lazyHandler defers a logger's With attributes until a record is actually written.
//
// Why: FerretDB's SQL layer derives a logger with the statement and its arguments (the whole stored document) for
// every statement it runs, and slog's TextHandler formats those attributes at once, whatever the level. At the
// embedded stack's `warn` level nothing is ever written with them, yet a CPU profile under a batch showed about 6 %
// of FerretDB's time quoting documents for those loggers (docs/throughput.md, fourteenth round).
type lazyHandler struct {
	inner slog.Handler
	// steps are the WithAttrs and WithGroup calls not yet applied to inner, in order.
	steps []func(slog.Handler) slog.Handler
}

func newLazyHandler(inner slog.Handler) *lazyHandler { return &lazyHandler{inner: inner} }

// Enabled does not depend on attributes, so the inner handler answers it without them.
func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	inner := h.inner
	for _, step := range h.steps {
		inner = step(inner)
	}
	return inner.Handle(ctx, r)
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.with(func(inner slog.Handler) slog.Handler { return inner.WithAttrs(attrs) })
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	return h.with(func(inner slog.Handler) slog.Handler { return inner.WithGroup(name) })
}

func (h *lazyHandler) with(step func(slog.Handler) slog.Handler) *lazyHandler {
	steps := make([]func(slog.Handler) slog.Handler, len(h.steps), len(h.steps)+1)
	copy(steps, h.steps)
	return &lazyHandler{inner: h.inner, steps: append(steps, step)}
}
