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
		if !offload.StopWord(w) {
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
