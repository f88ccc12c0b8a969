package search

import (
	"cmp"
	"math"
	"slices"
)

// BM25 parameters (Robertson and Zaragoza's usual defaults).
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// posting records that a term occurs tf times in the passage in slot.
type posting struct {
	slot int32
	tf   int32
}

// bm25 is an in-memory inverted index over passages, scored with Okapi
// BM25. Passages are added and removed by key; a removed passage leaves a
// dead slot that queries skip, and the index compacts itself when dead
// slots outnumber live ones. It is not safe for concurrent use: Index
// guards it.
type bm25 struct {
	postings map[string][]posting
	df       map[string]int // live passages containing each term
	keys     []Key          // by slot
	lens     []int32        // terms per slot; -1 when dead
	texts    []string       // by slot, kept for compaction
	slots    map[Key]int32
	totalLen int64 // terms in live passages
	dead     int
}

func newBM25() *bm25 {
	return &bm25{postings: map[string][]posting{}, df: map[string]int{}, slots: map[Key]int32{}}
}

// live returns the number of passages in the index.
func (x *bm25) live() int { return len(x.slots) }

// add indexes text as passage k, replacing any passage of that key.
func (x *bm25) add(k Key, text string) {
	x.remove(k)
	slot := int32(len(x.keys))
	terms := tokens(text)
	tf := make(map[string]int32, len(terms))
	for _, t := range terms {
		tf[t]++
	}
	for t, n := range tf {
		x.postings[t] = append(x.postings[t], posting{slot: slot, tf: n})
		x.df[t]++
	}
	x.keys = append(x.keys, k)
	x.lens = append(x.lens, int32(len(terms)))
	x.texts = append(x.texts, text)
	x.slots[k] = slot
	x.totalLen += int64(len(terms))
}

// text returns the text of passage k.
func (x *bm25) text(k Key) (string, bool) {
	slot, ok := x.slots[k]
	if !ok {
		return "", false
	}
	return x.texts[slot], true
}

// remove drops passage k, if present.
func (x *bm25) remove(k Key) {
	slot, ok := x.slots[k]
	if !ok {
		return
	}
	seen := map[string]bool{}
	for _, t := range tokens(x.texts[slot]) {
		if !seen[t] {
			seen[t] = true
			if x.df[t]--; x.df[t] == 0 {
				delete(x.df, t)
			}
		}
	}
	x.totalLen -= int64(x.lens[slot])
	x.lens[slot] = -1
	x.texts[slot] = ""
	delete(x.slots, k)
	x.dead++
	if x.dead > 1024 && x.dead > len(x.slots) {
		x.compact()
	}
}

// compact rebuilds the index from its live passages, dropping dead slots.
func (x *bm25) compact() {
	old := x
	fresh := newBM25()
	for slot, k := range old.keys {
		if old.lens[slot] >= 0 {
			fresh.add(k, old.texts[slot])
		}
	}
	*x = *fresh
}

// scored is a passage with its score, from one ranking.
type scored struct {
	key   Key
	score float64
}

// search returns up to n passages that contain at least one term of
// query, best BM25 score first; ties go to the smaller key.
func (x *bm25) search(query string, n int) []scored {
	if n <= 0 || len(x.slots) == 0 {
		return nil
	}
	terms := tokens(query)
	slices.Sort(terms)
	terms = slices.Compact(terms)
	N := float64(len(x.slots))
	avg := float64(x.totalLen) / N
	if avg == 0 {
		avg = 1
	}
	acc := map[int32]float64{}
	for _, t := range terms {
		df := float64(x.df[t])
		if df == 0 {
			continue
		}
		idf := math.Log(1 + (N-df+0.5)/(df+0.5))
		for _, p := range x.postings[t] {
			l := x.lens[p.slot]
			if l < 0 {
				continue
			}
			tf := float64(p.tf)
			acc[p.slot] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(l)/avg))
		}
	}
	out := make([]scored, 0, len(acc))
	for slot, s := range acc {
		out = append(out, scored{key: x.keys[slot], score: s})
	}
	sortScored(out)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// sortScored sorts by score, highest first, then by key.
func sortScored(s []scored) {
	slices.SortFunc(s, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return compareKeys(a.key, b.key)
	})
}

// compareKeys orders keys by document ID, then chunk.
func compareKeys(a, b Key) int {
	if c := cmp.Compare(a.DocID, b.DocID); c != 0 {
		return c
	}
	return cmp.Compare(a.Chunk, b.Chunk)
}
