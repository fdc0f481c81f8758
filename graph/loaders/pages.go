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
	mu   sync.Mutex
	page map[uuid.UUID][]uuid.UUID
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
