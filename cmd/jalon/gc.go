package main

import "runtime/debug"

// DefaultGOGC is the garbage collector's target when the environment does
// not set GOGC: the heap may grow to three times its live size between
// collections (Go's default, 100, is twice). A request allocates ~0.5 MB of
// short-lived objects (gqlgen builds a context per field), so collection
// was a large share of the CPU. Measured with BenchmarkLogBook (README,
// Performance): GOGC 100 → 200 cuts the server's CPU per request 8-11 % on
// both screens for ~35 MB more RSS at 64 connections (the whole benchmark
// process: 110 → 146 MB); 400 cut 15 % but grew it to 194 MB, beyond the
// 150 MB budget. No memory limit is set by default: the right one depends
// on the container (set GOMEMLIMIT to ~80 % of it); a fixed 100 MiB with
// GOGC=400 made the collector run continuously and cost 40 % of throughput.
const DefaultGOGC = 200

// gcDefaults applies DefaultGOGC unless GOGC is set (the runtime has read
// it already, and it wins).
func gcDefaults(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGOGC)
	}
}
