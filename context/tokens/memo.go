package tokens

import (
	"sync"
	"sync/atomic"
)

// DefaultMemoEntries is the capacity of a Memo created with a size of 0, and
// of the process-wide memo Tokenizers share by default.
const DefaultMemoEntries = 1 << 16

// Memo caches token counts of messages by message ID, and of tool
// definitions by content, so a transcript that grows by one message per turn
// costs one new count per turn. It is safe for concurrent use and may be
// shared by Tokenizers of different models: entries are kept per base
// encoding and converted per model on the way out.
//
// Message IDs are stable and messages immutable by contract (see
// llm.Message). As a guard against a view that rewrites a message but keeps
// its ID, every entry also records a cheap fingerprint of the message (role,
// name, and each part's kind, lengths and first and last bytes); a message
// whose fingerprint differs from the cached one is counted afresh and
// replaces the entry, and the event is counted in MemoStats.Mismatches. Messages without an ID are never
// cached.
//
// A Memo holds at most its capacity of entries. When the newer of its two
// generations fills up to half the capacity the older one is dropped, so the
// entries evicted are roughly the least recently used half.
type Memo struct {
	half int

	mu   sync.RWMutex
	cur  map[memoKey]*memoEntry
	prev map[memoKey]*memoEntry

	hits, misses, mismatches atomic.Int64
}

// MemoStats reports a Memo's activity since it was created.
type MemoStats struct {
	// Hits counts lookups answered from the cache.
	Hits int64
	// Misses counts counts computed and stored: one per distinct message
	// ID and base encoding while the entry stays cached.
	Misses int64
	// Mismatches counts messages whose content did not match the entry
	// cached for their ID; they were counted without the cache.
	Mismatches int64
	// Entries is the number of cached counts.
	Entries int
}

type memoKind uint8

const (
	kindMessage memoKind = iota
	kindToolOpenAI
	kindToolJSON
)

type memoKey struct {
	enc  Encoding
	kind memoKind
	id   string
}

// counts is a base-encoding count plus the digit correction some
// approximations add (see ModelInfo.SplitDigits).
type counts struct {
	tokens int
	digits int
}

func (c counts) add(d counts) counts { return counts{c.tokens + d.tokens, c.digits + d.digits} }

type memoEntry struct {
	fp   uint64
	once sync.Once
	c    counts
}

// NewMemo returns an empty Memo holding at most entries counts; 0 or less
// means DefaultMemoEntries.
func NewMemo(entries int) *Memo {
	if entries <= 0 {
		entries = DefaultMemoEntries
	}
	half := max(entries/2, 1)
	return &Memo{half: half, cur: make(map[memoKey]*memoEntry), prev: map[memoKey]*memoEntry{}}
}

// Stats returns the memo's counters.
func (m *Memo) Stats() MemoStats {
	m.mu.RLock()
	n := len(m.cur) + len(m.prev)
	m.mu.RUnlock()
	return MemoStats{Hits: m.hits.Load(), Misses: m.misses.Load(), Mismatches: m.mismatches.Load(), Entries: n}
}

// Reset drops every entry. The counters keep running.
func (m *Memo) Reset() {
	m.mu.Lock()
	m.cur, m.prev = make(map[memoKey]*memoEntry), map[memoKey]*memoEntry{}
	m.mu.Unlock()
}

// get returns the cached counts for key, computing them with compute exactly
// once per entry even when many goroutines ask at the same time.
func (m *Memo) get(key memoKey, fp uint64, compute func() counts) counts {
	m.mu.RLock()
	e := m.cur[key]
	m.mu.RUnlock()
	if e == nil {
		m.mu.Lock()
		if e = m.cur[key]; e == nil {
			if e = m.prev[key]; e == nil || e.fp != fp {
				e = &memoEntry{fp: fp}
			}
			delete(m.prev, key)
			if len(m.cur) >= m.half {
				m.prev, m.cur = m.cur, make(map[memoKey]*memoEntry, m.half)
			}
			m.cur[key] = e
		}
		m.mu.Unlock()
	}
	if e.fp != fp {
		// The ID was reused for other content: the newest content takes
		// the entry over, so a reused ID costs one recount, not one per call.
		m.mismatches.Add(1)
		m.mu.Lock()
		if cur := m.cur[key]; cur == nil || cur.fp != fp {
			m.cur[key] = &memoEntry{fp: fp}
		}
		e = m.cur[key]
		m.mu.Unlock()
	}
	computed := false
	e.once.Do(func() {
		computed = true
		e.c = compute()
	})
	if computed {
		m.misses.Add(1)
	} else {
		m.hits.Add(1)
	}
	return e.c
}

var sharedMemo = NewMemo(DefaultMemoEntries)
