package loaders

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"
)

// A field resolved while another field of its page is still giving the
// loader the page's keys waits for it, so the page is one batch even when
// the first field is descheduled for longer than the loader's wait (as on
// a loaded machine): its own key alone would otherwise make a batch of its
// own.
func TestPagePrimedOnceAndWaitedFor(t *testing.T) {
	var batches atomic.Int32
	ld := dataloadgen.NewLoader(func(_ context.Context, keys []uuid.UUID) ([]int, []error) {
		batches.Add(1)
		return make([]int, len(keys)), nil
	}, dataloadgen.WithWait(time.Millisecond))
	pages := &Pages{}
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	pages.Remember(ids)
	page := pages.Of(ids[0])

	priming := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the first field: slow between being first and enqueueing
		defer wg.Done()
		pages.prime(ld, &page[0], page[0], func() {
			close(priming)
			time.Sleep(20 * time.Millisecond)
			ld.LoadAllThunk(context.Background(), page)
		})
		ld.Load(context.Background(), ids[0])
	}()
	go func() { // another record's field, arriving meanwhile
		defer wg.Done()
		<-priming
		pages.prime(ld, &page[0], page[0], func() { t.Error("page primed twice") })
		ld.Load(context.Background(), ids[2])
	}()
	wg.Wait()
	if n := batches.Load(); n != 1 {
		t.Fatalf("the page took %d batches, want 1", n)
	}
}
