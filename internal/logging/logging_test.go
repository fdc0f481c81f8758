package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"

	"jalon/internal/config"
)

// Lines written with a context holding a span carry its ids; others do not.
func TestLinesWithASpanCarryItsIDs(t *testing.T) {
	var buf bytes.Buffer
	log := New(config.Config{LogFormat: "json", LogLevel: "info"}, &buf)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 1},
		SpanID:     trace.SpanID{0x00, 0xf0, 2},
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)

	line := func(ev *zerolog.Event) map[string]any {
		t.Helper()
		buf.Reset()
		ev.Msg("x")
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", buf.String(), err)
		}
		return m
	}
	if m := line(log.Info().Ctx(ctx)); m[TraceIDField] != sc.TraceID().String() || m[SpanIDField] != sc.SpanID().String() {
		t.Fatalf("with a span: %v", m)
	}
	for _, ev := range []*zerolog.Event{log.Info(), log.Info().Ctx(context.Background())} {
		if m := line(ev); m[TraceIDField] != nil || m[SpanIDField] != nil {
			t.Fatalf("without a span: %v", m)
		}
	}
	// The request logger carries them as fields of its own.
	buf.Reset()
	reqLog := WithTrace(log.With(), sc).Logger()
	if m := line(reqLog.Info()); m[TraceIDField] != sc.TraceID().String() {
		t.Fatalf("request logger: %v", m)
	}
}
