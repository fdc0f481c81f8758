package loaders

import (
	"sync"

	"github.com/google/uuid"
)

// Pages remembers, for one request, which page each listed record was
// returned in (a page of contracts, the first page of a contract's entries),
// so that a field resolved on one record loads for its whole page at once
// (see ForPage). The domain types carry no such bookkeeping.
type Pages struct {
	mu     sync.Mutex
	page   map[uuid.UUID][]uuid.UUID
	primed map[primed]struct{}
}

// primed names a loader, a remembered page (by its first element's address,
// unique to one Remember call) and the key the page's first record asks of
// it, which tells apart two fields sharing a loader with different keys (a
// contract's company and centre, two aliases of a list with other filters).
type primed struct{ loader, page, first any }

// firstPriming reports whether loader has not yet been given page's keys,
// and records that it now has: the first field resolved on a page enqueues
// the page's keys, the others find their thunk in the loader's cache (priming
// the page again for each of its records would cost n² keys).
func (p *Pages) firstPriming(loader, page, first any) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := primed{loader, page, first}
	if _, done := p.primed[k]; done {
		return false
	}
	if p.primed == nil {
		p.primed = make(map[primed]struct{})
	}
	p.primed[k] = struct{}{}
	return true
}

// Remember records ids as one page.
func (p *Pages) Remember(ids []uuid.UUID) {
	if len(ids) < 2 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.page == nil {
		p.page = make(map[uuid.UUID][]uuid.UUID, len(ids))
	}
	for _, id := range ids {
		p.page[id] = ids
	}
}

// Of returns the ids of the page id was listed in, or id alone.
func (p *Pages) Of(id uuid.UUID) []uuid.UUID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ids, ok := p.page[id]; ok {
		return ids
	}
	return []uuid.UUID{id}
}
