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
	primed map[primed]*sync.Once
}

// primed names a loader, a remembered page (by its first element's address,
// unique to one Remember call) and the key the page's first record asks of
// it, which tells apart two fields sharing a loader with different keys (a
// contract's company and centre, two aliases of a list with other filters).
type primed struct{ loader, page, first any }

// prime runs enqueue (which gives loader the page's keys) once for the
// page: the first field resolved on a page enqueues its keys, the others
// find their thunk in the loader's cache (priming the page again for each
// of its records would cost n² keys). A field arriving while another
// enqueues waits for it: loading its own key first would open a batch that
// a loader's short wait could close before the page's keys join it (a
// second statement, under load).
func (p *Pages) prime(loader, page, first any, enqueue func()) {
	p.mu.Lock()
	k := primed{loader, page, first}
	once, ok := p.primed[k]
	if !ok {
		if p.primed == nil {
			p.primed = make(map[primed]*sync.Once)
		}
		once = &sync.Once{}
		p.primed[k] = once
	}
	p.mu.Unlock()
	once.Do(enqueue)
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
