package loadcompare

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"jalon/internal/auth"
)

// request is one user's request for a screen, with the answer both servers
// gave when they were compared.
type request struct {
	screen Screen
	user   uuid.UUID
	role   auth.Role
	family uuid.UUID // the user's session
	body   []byte
	// authorization is "Bearer <access token>", minted again before each
	// round (tokens live JALON_ACCESS_TOKEN_TTL).
	authorization string
	want          []byte
}

// load is what one run of clients against a server did.
type load struct {
	// counted are the right answers completed within the duration (they
	// make the throughput and the latencies); all includes those completed
	// after it, by requests in flight at the end (CPU and statements are
	// divided by all).
	counted, all int
	errors       int
	firstError   string
	latencies    []time.Duration // of the counted, sorted
	duration     time.Duration
}

// drive sends reqs round-robin from conns clients, each on its own
// keep-alive connection, for d, and checks every answer against its want.
// Responses are not compressed (the client does not ask for gzip).
func drive(ctx context.Context, url string, reqs []*request, conns int, d time.Duration) load {
	tr := &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DisableCompression: true, IdleConnTimeout: time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		out      = load{duration: d}
		wg       sync.WaitGroup
		start    = time.Now()
		deadline = start.Add(d)
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				lat          []time.Duration
				counted, all int
				errs         int
				first        string
				buf          bytes.Buffer
			)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				r := reqs[int(next.Add(1)-1)%len(reqs)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.body))
				req.Header["Content-Type"] = []string{"application/json"}
				req.Header["Authorization"] = []string{r.authorization}
				t0 := time.Now()
				res, err := client.Do(req)
				if err == nil {
					buf.Reset()
					_, err = buf.ReadFrom(res.Body)
					res.Body.Close()
				}
				t1 := time.Now()
				switch {
				case err != nil:
					errs++
					if first == "" {
						first = err.Error()
					}
					continue
				case res.StatusCode != http.StatusOK || !bytes.Equal(buf.Bytes(), r.want):
					errs++
					if first == "" {
						first = fmt.Sprintf("status %d, answer differs from the one compared: %.300s", res.StatusCode, buf.Bytes())
					}
					continue
				}
				all++
				if t1.Before(deadline) {
					counted++
					lat = append(lat, t1.Sub(t0))
				}
			}
			mu.Lock()
			out.counted += counted
			out.all += all
			out.errors += errs
			if out.firstError == "" {
				out.firstError = first
			}
			out.latencies = append(out.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(out.latencies)
	return out
}

// percentile of sorted latencies, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(p*float64(len(sorted)-1))]) / float64(time.Millisecond)
}
