package app

import "runtime/debug"

// DefaultGOGC is the garbage collector's target of a Jalon process when the
// environment does not set GOGC: the heap may grow to four times its live
// size between collections (Go's default, 100, is twice). A request
// allocates a few hundred kilobytes of short-lived objects (gqlgen builds a
// context and a marshaller per field), so collection is a large share of
// the CPU. Measured with cmd/loadcompare (README, "Jalon against a
// hand-written server"), 64 connections, both daily screens: GOGC 100 ->
// 300 cuts Jalon's CPU per request by about a fifth and raises its largest
// RSS from ~85 MB to ~120-130 MB, within the 150 MB budget (200 is in
// between); BenchmarkLogBook had found 400 beyond it. No memory limit is set
// by default: the right one depends on the container (set GOMEMLIMIT to
// ~80 % of it); a fixed 100 MiB with GOGC=400 made the collector run
// continuously and cost 40 % of throughput.
const DefaultGOGC = 300

// GCDefaults applies DefaultGOGC unless GOGC is set (the runtime has read
// it already, and it wins). `jalon` and cmd/loadcompare's Jalon server call
// it first thing.
func GCDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGOGC)
	}
}
