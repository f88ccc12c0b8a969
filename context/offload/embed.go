package offload

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/philippgille/chromem-go"
)

// DefaultDims is the size of the vectors HashEmbedding makes by default.
const DefaultDims = 1024

// Feature weights of HashEmbedding: whole words matter most, word pairs
// catch phrases, character trigrams catch inflections and identifiers.
const (
	weightWord    = 1.0
	weightBigram  = 0.5
	weightTrigram = 0.1
)

// HashEmbedding returns a local, deterministic embedding function for
// chromem-go: no model and no network. It lowercases the text, splits it
// into words (runs of letters and digits), and hashes three kinds of
// feature into a vector of dims dimensions (DefaultDims when dims <= 0),
// each with a hash-derived sign so that unrelated features cancel out
// rather than pile up: words (weight 1), pairs of adjacent words (0.5),
// and character trigrams of each word with word-boundary markers (0.1).
// Words are reduced to a crude stem first (plural and -ed/-ing endings
// dropped), so inflected forms meet. English stop words are left out
// unless the text has nothing else. A
// feature seen n times counts 1+ln(n) times its weight, so a word repeated
// a hundred times does not drown the rest. The vector is L2-normalized, as
// chromem-go requires; a text without any word embeds as the first unit
// vector.
//
// The same text always gives the same vector, bit for bit. Hashing makes
// no use of corpus statistics, so Search re-ranks its candidates by the
// query words they contain (see Store.Search).
func HashEmbedding(dims int) chromem.EmbeddingFunc {
	if dims <= 0 {
		dims = DefaultDims
	}
	return func(ctx context.Context, text string) ([]float32, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, _ := embed(text, dims)
		return v, nil
	}
}

// embedderID names an embedding function's output space. The index is
// rebuilt when a store is opened with a different one.
func hashEmbedderID(dims int) string { return fmt.Sprintf("hash-v1-%d", dims) }

// embed returns the normalized vector of text and whether it had any word.
func embed(text string, dims int) ([]float32, bool) {
	words := splitWords(text)
	content := 0
	for _, w := range words {
		if !stopWords[w] {
			content++
		}
	}
	keepStop := content == 0 // a query like "the who" still matches something
	feats := make([]feature, 0, len(words)*4)
	prev, prevStop := "", false
	for _, w := range words {
		stop := stopWords[w]
		st := Stem(w)
		if !stop || keepStop {
			feats = append(feats, feature{hashFeature('w', st, ""), weightWord})
			feats = appendTrigrams(feats, w)
		}
		if prev != "" && (!stop || !prevStop || keepStop) {
			feats = append(feats, feature{hashFeature('b', prev, st), weightBigram})
		}
		prev, prevStop = st, stop
	}
	v := make([]float32, dims)
	if len(feats) == 0 {
		v[0] = 1
		return v, false
	}
	// Term frequency is damped per feature: 1 + log(count).
	slices.SortFunc(feats, func(a, b feature) int { return cmp.Compare(a.h, b.h) })
	acc := make([]float64, dims)
	for i := 0; i < len(feats); {
		j := i + 1
		for j < len(feats) && feats[j].h == feats[i].h {
			j++
		}
		add(acc, feats[i].h, feats[i].w*(1+math.Log(float64(j-i))))
		i = j
	}
	var norm float64
	for _, x := range acc {
		norm += x * x
	}
	if norm == 0 {
		v[0] = 1
		return v, false
	}
	norm = math.Sqrt(norm)
	for i, x := range acc {
		v[i] = float32(x / norm)
	}
	return v, true
}

type feature struct {
	h uint64
	w float64
}

// Stem strips the commonest English inflections from a lowercase word,
// so that "provinces", "deficits", "widened" and "recycling" meet
// "province", "deficit", "widen" and "recycl…" of other forms. It is
// deliberately timid: short words are left alone. HashEmbedding and
// Search's re-ranking use it; so does agent/search's BM25, so lexical and
// vector matching agree on what a word is.
func Stem(w string) string {
	n := len(w)
	switch {
	case n >= 5 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n >= 5 && strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case n >= 4 && w[n-1] == 's' && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	case n >= 6 && strings.HasSuffix(w, "ing"):
		return w[:n-3]
	case n >= 5 && strings.HasSuffix(w, "ed"):
		return w[:n-2]
	}
	return w
}

// splitWords lowercases text and returns its words: maximal runs of
// letters and digits.
func splitWords(text string) []string {
	lower := strings.ToLower(text)
	return strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// appendTrigrams appends the character trigrams of w, padded with
// boundary markers: "cat" gives "^ca", "cat", "at$".
func appendTrigrams(feats []feature, w string) []feature {
	var win [3]rune
	n := 0
	push := func(r rune) {
		win[0], win[1], win[2] = win[1], win[2], r
		n++
		if n >= 3 {
			var buf [3 * utf8.UTFMax]byte
			b := utf8.AppendRune(buf[:0], win[0])
			b = utf8.AppendRune(b, win[1])
			b = utf8.AppendRune(b, win[2])
			feats = append(feats, feature{hashBytes('t', b), weightTrigram})
		}
	}
	push('^')
	for _, r := range w {
		push(r)
	}
	push('$')
	return feats
}

// add adds weight to the dimension h selects, with the sign its top bit
// selects.
func add(acc []float64, h uint64, weight float64) {
	i := int(h % uint64(len(acc)))
	if h>>63 == 1 {
		weight = -weight
	}
	acc[i] += weight
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// hashFeature is FNV-1a of kind, a, a separator and b, finished with a
// mixer so the low bits (the dimension) and the top bit (the sign) are
// well spread.
func hashFeature(kind byte, a, b string) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * fnvPrime
	}
	if b != "" {
		h = (h ^ 0) * fnvPrime
		for i := 0; i < len(b); i++ {
			h = (h ^ uint64(b[i])) * fnvPrime
		}
	}
	return mix(h)
}

func hashBytes(kind byte, p []byte) uint64 {
	h := uint64(fnvOffset)
	h = (h ^ uint64(kind)) * fnvPrime
	for _, c := range p {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return mix(h)
}

// mix is the splitmix64 finalizer.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// StopWord reports whether w, lowercase, is one of the frequent English
// words that carry little meaning for search. HashEmbedding and Search
// leave them out, and so does agent/search's BM25.
func StopWord(w string) bool { return stopWords[w] }

// stopWords are frequent English words that carry little meaning for
// search.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be because
		been before being below between both but by can could did do does doing down during each few for from
		further had has have having he her here hers herself him himself his how i if in into is it its itself
		just me more most my myself no nor not now of off on once only or other our ours ourselves out over own
		same she should so some such than that the their theirs them themselves then there these they this
		those through to too under until up very was we were what when where which while who whom why will
		with would you your yours yourself yourselves`) {
		m[w] = true
	}
	return m
}()
