package offload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultSearchK is the number of hits Search returns when k <= 0.
const DefaultSearchK = 5

// Hit is a passage of an artifact that matches a search.
type Hit struct {
	// Handle names the artifact.
	Handle Handle `json:"handle"`
	// Offset is where the passage starts, in bytes: pass it to Read.
	Offset int `json:"offset"`
	// Length is the passage's size in bytes.
	Length int `json:"length"`
	// Preview is a short excerpt of the passage around the first query
	// word it contains, whitespace collapsed.
	Preview string `json:"preview"`
	// Score ranks the hits, higher is closer: the cosine similarity of
	// the passage's and the query's embeddings, in [-1, 1], plus up to 0.2
	// for the query words the passage contains (see Search).
	Score float64 `json:"score"`
}

// Search returns the k passages (DefaultSearchK when k <= 0) of all
// stored artifacts closest to query, best first. It takes the passages
// whose embeddings are nearest the query's from the index (at least 100,
// or 4k) and re-ranks them by the share of the query's words each holds,
// each word weighted by how few of those candidates hold it (see
// Hit.Score). Ties are broken by handle and offset, so the same store
// and query give the same hits. An empty store gives no hits; a query
// without a word gives ErrEmptyQuery. Passages overlap a little (see
// WithChunking), so two hits may share some text.
//
// Search sees every artifact put before it: it first waits until they
// are all indexed, and returns ctx's error if ctx is done first.
// Artifacts put while it runs may or may not be searched. If indexing an
// artifact failed since the last Search, Search returns that failure, an
// *IndexError naming the artifact (several are joined), instead of hits;
// the next Search searches the rest.
func (s *Store) Search(ctx context.Context, query string, k int) ([]Hit, error) {
	if len(splitWords(query)) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrEmptyQuery, quoteShort(query))
	}
	if k <= 0 {
		k = DefaultSearchK
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if err := s.waitIndexed(ctx, s.queued()); err != nil {
		return nil, err
	}
	if failures := s.takeFailures(); len(failures) > 0 {
		return nil, errors.Join(failures...)
	}
	n := s.coll.Count()
	if n == 0 {
		return nil, nil
	}
	qv, err := s.opts.embed(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("offload: search: embed query: %w", err)
	}
	// Fetch more candidates than k and re-rank them by the query words
	// they contain: hashed embeddings know nothing of how rare a word is,
	// so a passage holding every query word can sit a few places below
	// passages that merely share hash buckets with them.
	res, err := s.coll.QueryEmbedding(ctx, qv, min(n, max(4*k, minCandidates)), nil, nil)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("offload: search: %w", err)
	}
	words := queryWords(query)
	type cand struct {
		hit  Hit
		text string
	}
	cands := make([]cand, 0, len(res))
	for _, r := range res {
		h, err := ParseHandle(r.Metadata["handle"])
		if err != nil {
			continue
		}
		off, err1 := strconv.Atoi(r.Metadata["offset"])
		length, err2 := strconv.Atoi(r.Metadata["length"])
		if err1 != nil || err2 != nil {
			continue
		}
		sl, err := s.Read(h, off, length)
		if errors.Is(err, ErrNotFound) {
			continue // removed from the directory behind the store's back
		}
		if err != nil {
			return nil, fmt.Errorf("offload: search: %w", err)
		}
		cands = append(cands, cand{Hit{Handle: h, Offset: off, Length: length, Score: float64(r.Similarity)}, sl.Text})
	}
	texts := make([]string, len(cands))
	for i, c := range cands {
		texts[i] = c.text
	}
	for i, lex := range lexicalScores(texts, words) {
		cands[i].hit.Score += lexicalBonus * lex
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.hit.Score, a.hit.Score), strings.Compare(string(a.hit.Handle), string(b.hit.Handle)), cmp.Compare(a.hit.Offset, b.hit.Offset))
	})
	hits := make([]Hit, 0, k)
	for _, c := range cands[:min(k, len(cands))] {
		c.hit.Preview = snippet(c.text, words, previewBytes)
		hits = append(hits, c.hit)
	}
	return hits, nil
}

// Re-ranking of Search.
const (
	// minCandidates is the fewest passages Search re-ranks.
	minCandidates = 100
	// lexicalBonus is what a passage holding every query word gains.
	lexicalBonus = 0.2
)

// lexicalScores returns, for each text, the weighted share of words it
// contains (as the same stem, so "deficit" finds "deficits"). A word
// weighs ln(1+n/df), where n is the number of texts and df the number
// holding it: a word every candidate holds tells them apart least.
func lexicalScores(texts []string, words []string) []float64 {
	scores := make([]float64, len(texts))
	if len(words) == 0 || len(texts) == 0 {
		return scores
	}
	stems := make([]string, 0, len(words))
	for _, w := range words {
		if st := Stem(w); !slices.Contains(stems, st) {
			stems = append(stems, st)
		}
	}
	has := make([][]bool, len(texts))
	df := make([]int, len(stems))
	for i, text := range texts {
		has[i] = make([]bool, len(stems))
		for _, w := range splitWords(text) {
			if j := slices.Index(stems, Stem(w)); j >= 0 && !has[i][j] {
				has[i][j] = true
				df[j]++
			}
		}
	}
	weights := make([]float64, len(stems))
	var total float64
	for j := range stems {
		weights[j] = math.Log(1 + float64(len(texts))/float64(max(df[j], 1)))
		total += weights[j]
	}
	for i := range texts {
		for j := range stems {
			if has[i][j] {
				scores[i] += weights[j] / total
			}
		}
	}
	return scores
}

// queryWords returns the words of a query worth looking for in a
// preview: no stop words unless there is nothing else.
func queryWords(q string) []string {
	all := splitWords(q)
	var words []string
	for _, w := range all {
		if !stopWords[w] {
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return all
	}
	return words
}

// snippet returns about limit bytes of text around the first occurrence of
// any of words (case-insensitive), with whitespace collapsed and "…"
// marking cuts.
func snippet(text string, words []string, limit int) string {
	pos := -1
	lower := strings.ToLower(text)
	if len(lower) == len(text) { // byte offsets agree
		for _, w := range words {
			if i := indexWord(lower, w); i >= 0 && (pos < 0 || i < pos) {
				pos = i
			}
		}
	}
	start := 0
	if pos > limit/3 {
		start = pos - limit/3
	}
	end := min(start+limit, len(text))
	if end == len(text) {
		start = max(end-limit, 0)
	}
	for start > 0 && start < len(text) && !utf8.RuneStart(text[start]) {
		start--
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	// Do not start or end in the middle of a word.
	if start > 0 {
		if i := strings.IndexFunc(text[start:end], unicode.IsSpace); i >= 0 && i < 24 {
			start += i
		}
	}
	if end < len(text) {
		if i := strings.LastIndexFunc(text[start:end], unicode.IsSpace); i >= 0 && end-(start+i) < 24 {
			end = start + i
		}
	}
	out := strings.Join(strings.Fields(text[start:end]), " ")
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out += "…"
	}
	return out
}

// indexWord returns the first index of w in s where it starts a word
// (no letter or digit before it), or -1.
func indexWord(s, w string) int {
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return -1
		}
		i += from
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		if i == 0 || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return i
		}
		from = i + len(w)
	}
	return -1
}

type span struct{ start, end int }

// chunk cuts s into passages of about size bytes, each repeating about
// the last overlap bytes of the one before. Cuts fall, by preference, after
// a blank line, after a line, after a space, and otherwise between runes;
// a passage is never shorter than half of size unless it ends the text.
func chunk(s string, size, overlap int) []span {
	var out []span
	start := 0
	for start < len(s) {
		if len(s)-start <= size {
			out = append(out, span{start, len(s)})
			break
		}
		end := cutPoint(s, start+size/2, start+size)
		out = append(out, span{start, end})
		next := end
		if overlap > 0 {
			next = overlapStart(s, end-overlap, end)
		}
		if next <= start {
			next = end
		}
		start = next
	}
	return out
}

// cutPoint returns the best place to end a passage in s[lo:hi].
func cutPoint(s string, lo, hi int) int {
	win := s[lo:hi]
	if i := strings.LastIndex(win, "\n\n"); i >= 0 {
		return lo + i + 2
	}
	if i := strings.LastIndexByte(win, '\n'); i >= 0 {
		return lo + i + 1
	}
	if i := strings.LastIndexByte(win, ' '); i >= 0 {
		return lo + i + 1
	}
	for hi > lo && !utf8.RuneStart(s[hi]) {
		hi--
	}
	if hi == lo { // invalid UTF-8: any byte will do
		return lo + (len(win)+1)/2
	}
	return hi
}

// overlapStart returns where the passage after one ending at end starts:
// the first line start in s[lo:end], or else the first word start.
func overlapStart(s string, lo, end int) int {
	win := s[lo:end]
	if i := strings.IndexByte(win, '\n'); i >= 0 && lo+i+1 < end {
		return lo + i + 1
	}
	if i := strings.IndexByte(win, ' '); i >= 0 && lo+i+1 < end {
		return lo + i + 1
	}
	for lo < end && !utf8.RuneStart(s[lo]) {
		lo++
	}
	return lo
}
