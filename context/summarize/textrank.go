package summarize

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// stopwords are frequent English function words left out of the TF-IDF
// vectors: they say nothing about what a sentence is about.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be
	because been before being below between both but by can could did do does doing down during each
	few for from further had has have having he her here hers herself him himself his how i if in into
	is it its itself just let me more most my myself no nor not now of off on once only or other our
	ours ourselves out over own same she should so some such than that the their theirs them themselves
	then there these they this those through to too under until up very was we were what when where
	which while who whom why will with would you your yours yourself yourselves may might must shall
	one also however thus therefore since via per within without upon s t`) {
		m[w] = true
	}
	return m
}()

// vocab assigns term IDs in order of first appearance, so the same input
// always gets the same IDs.
type vocab struct {
	ids map[string]int32
}

// terms returns the term IDs of s with their counts, adding new terms to
// the vocabulary when add is set and skipping unknown ones otherwise.
// Terms are lower-cased runs of letters and digits; stopwords and
// one-letter words are dropped (numbers are kept whatever their length).
func (v *vocab) terms(s string, add bool) map[int32]int {
	out := map[int32]int{}
	start := -1
	word := func(end int) {
		w := strings.ToLower(s[start:end])
		start = -1
		if stopwords[w] || (len(w) == 1 && !isDigitByte(w[0])) {
			return
		}
		id, ok := v.ids[w]
		if !ok {
			if !add {
				return
			}
			id = int32(len(v.ids))
			v.ids[w] = id
		}
		out[id]++
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			word(i)
		}
	}
	if start >= 0 {
		word(len(s))
	}
	return out
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

// weighted is one term of a sparse TF-IDF vector.
type weighted struct {
	term int32
	w    float64
}

// tfidf turns term counts into unit-length TF-IDF vectors sorted by term:
// tf = 1 + ln(count), idf = ln(1 + n/df).
func tfidf(counts []map[int32]int, df []int) [][]weighted {
	n := float64(len(counts))
	vecs := make([][]weighted, len(counts))
	for i, c := range counts {
		vecs[i] = weigh(c, df, n)
	}
	return vecs
}

func weigh(c map[int32]int, df []int, n float64) []weighted {
	v := make([]weighted, 0, len(c))
	for t, k := range c {
		if df[t] == 0 {
			continue
		}
		w := (1 + math.Log(float64(k))) * math.Log(1+n/float64(df[t]))
		v = append(v, weighted{t, w})
	}
	// Sum the norm in term order, not map order: floating-point addition
	// is not associative, and a last-bit difference in the norm flips ties
	// between equally scored sentences from one run to the next.
	sort.Slice(v, func(a, b int) bool { return v[a].term < v[b].term })
	norm := 0.0
	for _, tw := range v {
		norm += tw.w * tw.w
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for k := range v {
			v[k].w /= norm
		}
	}
	return v
}

// cosine returns the dot product of two unit vectors sorted by term.
func cosine(a, b []weighted) float64 {
	s := 0.0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].term < b[j].term:
			i++
		case a[i].term > b[j].term:
			j++
		default:
			s += a[i].w * b[j].w
			i++
			j++
		}
	}
	return s
}

// edge links a sentence to a similar one.
type edge struct {
	to int32
	w  float64
}

// maxNeighbors is how many of its most similar sentences each sentence is
// linked to. Capping the degree keeps the graph, and PageRank over it,
// linear in the number of sentences even for repetitive text where every
// sentence resembles every other.
const maxNeighbors = 32

// graph links each sentence to its maxNeighbors most similar sentences
// whose cosine similarity is at least minSim (ties to the earlier one),
// and returns the symmetric adjacency lists of the union of those links.
// Dot products are accumulated through an inverted index, so only pairs
// sharing a term are visited.
func graph(vecs [][]weighted, terms int, minSim float64) [][]edge {
	n := len(vecs)
	type posting struct {
		doc int32
		w   float64
	}
	postings := make([][]posting, terms)
	for i, v := range vecs {
		for _, tw := range v {
			postings[tw.term] = append(postings[tw.term], posting{int32(i), tw.w})
		}
	}
	acc := make([]float64, n)
	var touched []int32
	top := make([][]edge, n)
	for i, v := range vecs {
		touched = touched[:0]
		for _, tw := range v {
			for _, p := range postings[tw.term] {
				if int(p.doc) == i {
					continue
				}
				if acc[p.doc] == 0 {
					touched = append(touched, p.doc)
				}
				acc[p.doc] += tw.w * p.w
			}
		}
		var h nearest
		for _, j := range touched {
			if s := acc[j]; s >= minSim {
				h.offer(edge{j, s})
			}
			acc[j] = 0
		}
		top[i] = h.sorted()
	}
	adj := make([][]edge, n)
	for i, es := range top {
		for _, e := range es {
			adj[i] = append(adj[i], e)
			if !links(top[e.to], int32(i)) {
				adj[e.to] = append(adj[e.to], edge{int32(i), e.w})
			}
		}
	}
	return adj
}

// links reports whether es holds an edge to j.
func links(es []edge, j int32) bool {
	for _, e := range es {
		if e.to == j {
			return true
		}
	}
	return false
}

// nearest keeps the maxNeighbors best edges offered: a min-heap on
// (weight, -index), so the weakest, latest edge is evicted first.
type nearest []edge

func worse(a, b edge) bool { return a.w < b.w || (a.w == b.w && a.to > b.to) }

func (h *nearest) offer(e edge) {
	s := *h
	if len(s) < maxNeighbors {
		s = append(s, e)
		for k := len(s) - 1; k > 0; { // sift up
			p := (k - 1) / 2
			if !worse(s[k], s[p]) {
				break
			}
			s[k], s[p] = s[p], s[k]
			k = p
		}
		*h = s
		return
	}
	if !worse(s[0], e) {
		return
	}
	s[0] = e
	for k := 0; ; { // sift down
		l, r, m := 2*k+1, 2*k+2, k
		if l < len(s) && worse(s[l], s[m]) {
			m = l
		}
		if r < len(s) && worse(s[r], s[m]) {
			m = r
		}
		if m == k {
			break
		}
		s[k], s[m] = s[m], s[k]
		k = m
	}
}

// sorted returns the kept edges by sentence index.
func (h nearest) sorted() []edge {
	out := slices.Clone([]edge(h))
	slices.SortFunc(out, func(a, b edge) int { return int(a.to) - int(b.to) })
	return out
}

// pageRank runs weighted PageRank (TextRank) on the similarity graph with
// damping d and teleport distribution teleport (summing to 1). A sentence
// without neighbours gives its score back through the teleport
// distribution.
func pageRank(adj [][]edge, teleport []float64, d float64, maxIter int) []float64 {
	n := len(adj)
	out := make([]float64, n)
	for i, es := range adj {
		for _, e := range es {
			out[i] += e.w
		}
	}
	s := make([]float64, n)
	copy(s, teleport)
	next := make([]float64, n)
	contrib := make([]float64, n)
	for range maxIter {
		dangling := 0.0
		for j := range s {
			if out[j] == 0 {
				dangling += s[j]
				contrib[j] = 0
			} else {
				contrib[j] = s[j] / out[j]
			}
		}
		delta := 0.0
		for i, es := range adj {
			sum := 0.0
			for _, e := range es {
				sum += e.w * contrib[e.to]
			}
			next[i] = (1-d)*teleport[i] + d*(sum+dangling*teleport[i])
			delta += math.Abs(next[i] - s[i])
		}
		s, next = next, s
		if delta < 1e-9 {
			break
		}
	}
	return s
}
