// Package logging builds the process logger from configuration, and puts
// trace ids on log lines so a line leads to its trace and back.
package logging

import (
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/config"
)

// New returns a zerolog logger writing JSON lines, or a readable console
// format in development, at the configured level. Lines written with a
// context (Event.Ctx, or through slog's *Context methods as River does) that
// holds a span carry its trace and span ids (TraceHook).
func New(cfg config.Config, w io.Writer) zerolog.Logger {
	if w == nil {
		w = os.Stderr
	}
	if cfg.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil || cfg.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).Hook(TraceHook{}).With().Timestamp().Logger()
}

// Field names of the trace ids on a log line (hexadecimal, as trace viewers
// show them).
const (
	TraceIDField = "trace_id"
	SpanIDField  = "span_id"
)

// WithTrace adds the trace and span ids of sc to a logger's context when sc
// is valid (the request logger of internal/httpserver).
func WithTrace(c zerolog.Context, sc trace.SpanContext) zerolog.Context {
	if !sc.IsValid() {
		return c
	}
	return c.Str(TraceIDField, sc.TraceID().String()).Str(SpanIDField, sc.SpanID().String())
}

// TraceHook adds the trace and span ids of the span in an event's context
// (Event.Ctx) to the line; lines without one are left alone. The request
// logger (zerolog.Ctx of a request) already carries its trace's ids: its
// lines need no Ctx, and would repeat the fields with one.
type TraceHook struct{}

// Run implements zerolog.Hook.
func (TraceHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	sc := trace.SpanContextFromContext(e.GetCtx())
	if !sc.IsValid() {
		return
	}
	e.Str(TraceIDField, sc.TraceID().String()).Str(SpanIDField, sc.SpanID().String())
}
