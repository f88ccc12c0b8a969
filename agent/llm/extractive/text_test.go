package extractive

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"One sentence here. Another one follows! A third? Yes.", []string{"One sentence here.", "Another one follows!", "A third?", "Yes."}},
		{"Pauses fell to 0.5 ms in Go 1.5. See Fig. 3 for details.", []string{"Pauses fell to 0.5 ms in Go 1.5.", "See Fig. 3 for details."}},
		{"Tools, e.g. GOGC, help. J. R. R. Tolkien wrote it.", []string{"Tools, e.g. GOGC, help.", "J. R. R. Tolkien wrote it."}},
		{"A wrapped\nline joins. New para.\n\n- item one\n- item two", []string{"A wrapped line joins.", "New para.", "item one", "item two"}},
		{"Text.\n```go\nx := 1\n```\nAfter.", []string{"Text.", "After."}},
		{"He said \"stop.\" Then left.", []string{"He said \"stop.\"", "Then left."}},
		{"It follows Hans-J. Boehm and Sarita V. Adve. It is formal.", []string{"It follows Hans-J. Boehm and Sarita V. Adve.", "It is formal."}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, sentences(tt.in), tt.in)
	}
}

func TestGoodSentence(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"The Go garbage collector is a concurrent collector.", true},
		{"Setting GOGC=off disables the collector entirely.", true},
		{"the rest of this sentence was cut off.", false},
		{"Too short.", false},
		{"Pause times are typically well under a", false},
		{"x := make([]int, 10); y := x[1:]; z := y", false},
		{"| GOGC | 100 | default value here |", false},
		{"## Garbage collection in Go explained.", false},
		{"It cites a passage [aa#1] in its text.", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, goodSentence(tt.s), tt.s)
	}
}

func TestKeyPhrases(t *testing.T) {
	ps := keyPhrases("How do the garbage collector and the escape analysis of the compiler interact?")
	var got []string
	for _, p := range ps {
		got = append(got, p.text)
	}
	assert.Equal(t, []string{"garbage collector", "escape analysis", "compiler interact"}, got)
	assert.Equal(t, "GOGC affect garbage collection pauses", reformulate("What is GOGC, and how does it affect garbage collection pauses?"))
}

func TestParseClaims(t *testing.T) {
	got := parseClaims("Uncited first. Cited second. [a#1] Two keys. [b#2] [c#3] Trailing words")
	assert.Equal(t, []claim{
		{text: "Uncited first."},
		{text: "Cited second.", keys: []string{"a#1"}},
		{text: "Two keys.", keys: []string{"b#2", "c#3"}},
		{text: "Trailing words"},
	}, got)
}

func TestParsePassages(t *testing.T) {
	got := parsePassages("Document d1: T — p (chunks 1-2 of 5)\n\n[d1#1]\nFirst chunk.\nMore.\n\n[d1#2]\nSecond.\n")
	assert.Equal(t, []passage{
		{key: "d1#1", doc: "d1", chunk: 1, text: "First chunk.\nMore."},
		{key: "d1#2", doc: "d1", chunk: 2, text: "Second."},
	}, got)
}

func TestMMRDeterministicAndDiverse(t *testing.T) {
	docs := [][]string{terms("garbage collector pauses"), terms("garbage collector pauses again"), terms("escape analysis stack")}
	sp := newSpace(docs)
	vs := []vec{sp.vector(docs[0]), sp.vector(docs[1]), sp.vector(docs[2])}
	rel := []float64{0.9, 0.85, 0.3}
	assert.Equal(t, []int{0, 2, 1}, mmr(rel, vs, 3, 0.5, 1, nil, nil), "novelty outweighs a near-repeat")
	assert.Equal(t, []int{0, 2}, mmr(rel, vs, 3, 0.5, 0.8, nil, nil), "near-duplicates are skipped")
}

func TestCitationCheckParsing(t *testing.T) {
	got := citationCheck(testBullets(
		"Invalid Citation [a#1] in: Claim one here.",
		"unsupported citation [b#2]  in:  Claim two here.",
		"unsupported citation [b#2] in: Claim two here.",
		"unsupported: a whole claim",
		"invalid citation a#1 in: no brackets",
		"invalid citation [a#1] claim without separator",
	))
	assert.Equal(t, []checkedCitation{
		{key: "a#1", text: "Claim one here.", invalid: true},
		{key: "b#2", text: "Claim two here."},
	}, got)
	assert.Empty(t, claimCheck(testBullets("invalid citation [a#1] in: x", "unsupported citation [b#2] in: y")), "citation lines are not whole-claim lines")
}

func testBullets(items ...string) string { return "- " + strings.Join(items, "\n- ") }
