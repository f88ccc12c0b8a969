package search

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBM25Ranking(t *testing.T) {
	x := newBM25()
	k := func(c int) Key { return Key{"aaaaaaaaaaaa", c} }
	x.add(k(0), "the garbage collector frees memory")
	x.add(k(1), "garbage garbage garbage everywhere, garbage in the street and garbage in the bins, garbage")
	x.add(k(2), "the scheduler runs goroutines; the collector is concurrent")
	x.add(k(3), "nothing relevant here at all")
	x.add(k(4), "collectors collected; the collecting of garbage")

	tests := []struct {
		query string
		want  []Key
	}{
		// Both terms beat one term repeated many times (tf saturates).
		{"garbage collector", []Key{k(0), k(4), k(1), k(2)}},
		// Stemming: "collectors" meets "collector".
		{"Collectors", []Key{k(0), k(4), k(2)}},
		{"unknownword", nil},
		// Stop words are not indexed.
		{"the", nil},
	}
	for _, tt := range tests {
		got := x.search(tt.query, 10)
		var ks []Key
		for _, s := range got {
			ks = append(ks, s.key)
		}
		assert.Equal(t, tt.want, ks, tt.query)
	}

	// Removal drops a passage from the results and the statistics.
	x.remove(k(0))
	got := x.search("garbage collector", 10)
	assert.Equal(t, k(4), got[0].key)
	assert.Equal(t, 4, x.live())
	_, ok := x.text(k(0))
	assert.False(t, ok)
}

func TestBM25CompactionKeepsResults(t *testing.T) {
	x := newBM25()
	for c := range 3000 {
		x.add(Key{"bbbbbbbbbbbb", c}, "filler text number")
	}
	x.add(Key{"cccccccccccc", 0}, "the rare zyzzyva term")
	before := x.search("zyzzyva", 5)
	for c := range 3000 {
		x.remove(Key{"bbbbbbbbbbbb", c})
	}
	assert.LessOrEqual(t, len(x.keys), x.live()+1024, "dead slots were compacted")
	after := x.search("zyzzyva", 5)
	assert.Equal(t, before[0].key, after[0].key)
	assert.Equal(t, 1, x.live())
}

func TestFuse(t *testing.T) {
	a, b, c, d := Key{"aaaaaaaaaaaa", 0}, Key{"bbbbbbbbbbbb", 0}, Key{"cccccccccccc", 0}, Key{"dddddddddddd", 0}
	s := func(ks ...Key) []scored {
		out := make([]scored, len(ks))
		for i, k := range ks {
			out[i] = scored{key: k, score: float64(100 - i)}
		}
		return out
	}
	tests := []struct {
		name     string
		rankings [][]scored
		want     []Key
	}{
		{"agreement wins", [][]scored{s(a, b, c), s(b, a, d)}, []Key{a, b, c, d}},
		{"present in both beats first in one", [][]scored{s(c, b), s(d, b)}, []Key{b, c, d}},
		{"ties break by key", [][]scored{s(d), s(a)}, []Key{a, d}},
		{"one ranking keeps its order", [][]scored{s(c, a, b), nil}, []Key{c, a, b}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fuse(tt.rankings...)
			var ks []Key
			for _, g := range got {
				ks = append(ks, g.key)
			}
			assert.Equal(t, tt.want, ks)
		})
	}
	got := fuse(s(a, b), s(b, a))
	assert.InDelta(t, 1.0/61+1.0/62, got[0].score, 1e-12, "RRF with k=60")
}
