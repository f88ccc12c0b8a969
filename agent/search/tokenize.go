package search

import (
	"strings"
	"unicode"

	"github.com/deepctx/deepctx/context/offload"
)

// tokens returns the index terms of text: lowercase words (maximal runs
// of letters and digits), lightly stemmed, without English stop words.
// If text has nothing but stop words, they are kept, so that a query like
// "the who" still means something.
func tokens(text string) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := words[:0:0]
	for _, w := range words {
		if !stopWords[w] {
			out = append(out, offload.Stem(w))
		}
	}
	if len(out) == 0 {
		for _, w := range words {
			out = append(out, offload.Stem(w))
		}
	}
	return out
}

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
