package app_test

import (
	"bytes"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"jalon/internal/hostile"
	"jalon/internal/testapp"
)

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHostileDocuments sends each hostile request, anonymously, through
// the real server and reports the process's CPU time per request (client
// side included, so the figure is an upper bound).
//
//	go test ./internal/app/ -run '^$' -bench HostileDocuments -benchtime 20x
func BenchmarkHostileDocuments(b *testing.B) {
	a := testapp.New(b)
	for _, r := range hostile.Requests() {
		body := r.Body()
		b.Run(r.Name, func(b *testing.B) {
			var size int
			start := cpuTime()
			for b.Loop() {
				res, err := http.Post(a.URL+"/graphql", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				size = len(raw)
				if bytes.Contains(raw, []byte(`"INTERNAL"`)) {
					b.Fatalf("INTERNAL answer: %.300s", raw)
				}
			}
			b.ReportMetric(float64((cpuTime()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}
