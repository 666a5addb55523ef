package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultMemoryBytes is the total size of a [Memory] store made with a
// non-positive cap: 256 MiB.
const DefaultMemoryBytes = 256 << 20

// Memory is an in-process [Store] that evicts the least recently used
// entries to stay under a byte cap. It is safe for concurrent use. Entries
// are kept by reference: what Set receives, Get returns.
type Memory struct {
	mu      sync.Mutex
	max     int64
	used    int64
	items   map[string]*list.Element
	lru     *list.List // front is the most recently used
	now     func() time.Time
	onEvict func()
}

type memItem struct {
	key     string
	e       *Entry
	size    int64
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store holding at most maxBytes (body, header
// and bookkeeping, approximately); maxBytes <= 0 means
// [DefaultMemoryBytes].
func NewMemory(maxBytes int64) *Memory {
	if maxBytes <= 0 {
		maxBytes = DefaultMemoryBytes
	}
	return &Memory{
		max:   maxBytes,
		items: make(map[string]*list.Element),
		lru:   list.New(),
		now:   time.Now,
	}
}

// Backend names the store in metrics: "memory".
func (m *Memory) Backend() string { return "memory" }

// OnEvict sets a function called (under the store's lock, so it must be
// quick) for every entry evicted to make room. [New] sets it from
// [Hooks].OnEvict.
func (m *Memory) OnEvict(f func()) {
	m.mu.Lock()
	m.onEvict = f
	m.mu.Unlock()
}

// Len is the number of entries held, expired ones included until they are
// touched or evicted.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// Bytes is the approximate size of the entries held.
func (m *Memory) Bytes() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.used
}

// Get returns the entry under key, or nil when there is none or it has
// outlived the keep time it was stored with.
func (m *Memory) Get(_ context.Context, key string) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return nil, nil
	}
	it := el.Value.(*memItem)
	if !m.now().Before(it.expires) {
		m.remove(el)
		return nil, nil
	}
	m.lru.MoveToFront(el)
	return it.e, nil
}

// Set stores e under key for keep, evicting the least recently used
// entries as needed. An entry larger than the whole cap is not stored (and
// any older entry under key is dropped).
func (m *Memory) Set(_ context.Context, key string, e *Entry, keep time.Duration) error {
	it := &memItem{key: key, e: e, size: e.size(), expires: m.now().Add(keep)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	if keep <= 0 || it.size > m.max {
		return nil
	}
	m.items[key] = m.lru.PushFront(it)
	m.used += it.size
	for m.used > m.max {
		m.remove(m.lru.Back())
		if m.onEvict != nil {
			m.onEvict()
		}
	}
	return nil
}

// Delete drops the entry under key, if any.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	return nil
}

func (m *Memory) remove(el *list.Element) {
	it := m.lru.Remove(el).(*memItem)
	delete(m.items, it.key)
	m.used -= it.size
}
