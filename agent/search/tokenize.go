package search

import (
	"strings"
	"unicode"
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
			out = append(out, stem(w))
		}
	}
	if len(out) == 0 {
		for _, w := range words {
			out = append(out, stem(w))
		}
	}
	return out
}

// stem strips the commonest English inflections from a lowercase word,
// so "collectors", "collected" and "collecting" meet "collector",
// "collect" and "collect". It is deliberately timid: short words and
// words it does not recognise are left alone.
func stem(w string) string {
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
