package reqinfo

import (
	"context"
	"sync/atomic"
)

type unavailableKey struct{}

// TrackUnavailable returns ctx able to record that an answer of the request
// is UNAVAILABLE (MarkUnavailable), and how to ask whether one was: the
// HTTP layer then answers 503 with Retry-After. Resolvers run concurrently,
// hence the atomic flag.
func TrackUnavailable(ctx context.Context) (context.Context, func() bool) {
	flag := new(atomic.Bool)
	return context.WithValue(ctx, unavailableKey{}, flag), flag.Load
}

// MarkUnavailable records that the request answers UNAVAILABLE (a no-op
// outside TrackUnavailable: websockets have no HTTP status).
func MarkUnavailable(ctx context.Context) {
	if flag, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
		flag.Store(true)
	}
}
