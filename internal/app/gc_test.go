package app

import (
	"runtime/debug"
	"testing"
)

func TestGCDefaultsYieldToGOGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	GCDefaults(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != DefaultGOGC {
		t.Fatalf("without GOGC: %d, want %d", got, DefaultGOGC)
	}
	GCDefaults(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set: the default changed the collector (%d)", got)
	}
}
