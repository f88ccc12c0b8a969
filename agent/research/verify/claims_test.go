package verify_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/research/verify"
)

type wantClaim struct {
	text  string
	cites []int
}

func claimsOf(report string) []wantClaim {
	var out []wantClaim
	for _, c := range verify.Claims(report) {
		out = append(out, wantClaim{c.Text, c.Cites})
	}
	return out
}

func TestClaims(t *testing.T) {
	tests := []struct {
		name   string
		report string
		want   []wantClaim
	}{
		{
			name:   "marks before the full stop",
			report: "A send on a channel happens before the receive [1]. Mutexes order unlock calls before lock calls [2].",
			want:   []wantClaim{{"A send on a channel happens before the receive.", []int{1}}, {"Mutexes order unlock calls before lock calls.", []int{2}}},
		},
		{
			name:   "marks after the full stop belong to the sentence before",
			report: "A send on a channel happens before the receive. [1] Mutexes order unlock calls before lock calls. [2]",
			want:   []wantClaim{{"A send on a channel happens before the receive.", []int{1}}, {"Mutexes order unlock calls before lock calls.", []int{2}}},
		},
		{
			name:   "runs and lists of numbers, deduplicated",
			report: "Atomics behave as if sequentially consistent [1][2]. Channels synchronise goroutines in Go [3, 1; 3].",
			want:   []wantClaim{{"Atomics behave as if sequentially consistent.", []int{1, 2}}, {"Channels synchronise goroutines in Go.", []int{3, 1}}},
		},
		{
			name:   "marks mid-sentence",
			report: "Channels [1] and mutexes [2] both order memory operations.",
			want:   []wantClaim{{"Channels and mutexes both order memory operations.", []int{1, 2}}},
		},
		{
			name:   "short fragments: cited ones cite for the claim before, uncited ones drop",
			report: "This sentence cites nothing at all. See [3]. In short: yes.",
			want:   []wantClaim{{"This sentence cites nothing at all.", []int{3}}},
		},
		{
			name:   "a short cited fragment adds its numbers to the claim before",
			report: "Unbuffered channels synchronise sender and receiver [1]. Channels block forever [9]. Closing wakes every receiver at once [2].",
			want:   []wantClaim{{"Unbuffered channels synchronise sender and receiver.", []int{1, 9}}, {"Closing wakes every receiver at once.", []int{2}}},
		},
		{
			name:   "a short cited fragment opening its block is a claim",
			report: "Channels block forever [9].",
			want:   []wantClaim{{"Channels block forever.", []int{9}}},
		},
		{
			name:   "a bare pointer is a claim when nothing precedes it",
			report: "See [2].",
			want:   []wantClaim{{"See.", []int{2}}},
		},
		{
			name:   "a short cited list item is not attached to the paragraph before",
			report: "The paragraph before has a claim [1].\n\n- Short item [4]\n- Another short [1, 4]\n",
			want:   []wantClaim{{"The paragraph before has a claim.", []int{1}}, {"Short item", []int{4}}, {"Another short", []int{1, 4}}},
		},
		{
			name:   "uncited short fragments are not claims",
			report: "In short: yes. Fine.",
			want:   nil,
		},
		{
			name:   "headings are not claims",
			report: "# A title with many words in it [1]\n\n## A section heading with words\n\nThe body sentence has four words [1].\n\nSetext heading with four words\n=====\n",
			want:   []wantClaim{{"The body sentence has four words.", []int{1}}},
		},
		{
			name:   "list items are claims",
			report: "- The first item says something [1]\n- The second item says another thing [2]\n1. A numbered item says a third [3]\n",
			want:   []wantClaim{{"The first item says something", []int{1}}, {"The second item says another thing", []int{2}}, {"A numbered item says a third", []int{3}}},
		},
		{
			name:   "wrapped paragraph lines join",
			report: "The collector runs concurrently with\nthe program it collects [4].",
			want:   []wantClaim{{"The collector runs concurrently with the program it collects.", []int{4}}},
		},
		{
			name:   "code blocks and inline code hold no claims or citations",
			report: "```go\nx := a[1] // a comment with several words [2]\n```\n\n    indented code with words [3]\n\nIndexing `xs[1]` returns the second element [4].",
			want:   []wantClaim{{"Indexing `xs[1]` returns the second element.", []int{4}}},
		},
		{
			name:   "escaped marks and links are not citations",
			report: `The array element \[1\] is not a citation here. A link [1](http://x.example) is not one either.`,
			want:   []wantClaim{{"The array element [1] is not a citation here.", nil}, {"A link [1](http://x.example) is not one either.", nil}},
		},
		{
			name:   "abbreviations and initials do not split",
			report: "Collectors, e.g. the Go one, were studied by H. Boehm at length [1].",
			want:   []wantClaim{{"Collectors, e.g. the Go one, were studied by H. Boehm at length.", []int{1}}},
		},
		{
			name:   "the Sources section is not part of the body",
			report: "The only claim of the report is here [1].\n\n## Sources\n\n1. Channels — /docs/channels.md (passage 0, `abc#0`) with more words [1]\n",
			want:   []wantClaim{{"The only claim of the report is here.", []int{1}}},
		},
		{
			name:   "a table's rows but not its header",
			report: "| Primitive name | What it orders |\n|---|---|\n| channel send and receive | happens before [1] |\n",
			want:   []wantClaim{{"| channel send and receive | happens before |", []int{1}}},
		},
		{
			name:   "blockquotes",
			report: "> Quoted claims are claims too [2].\n> They span lines of the quote [3].",
			want:   []wantClaim{{"Quoted claims are claims too.", []int{2}}, {"They span lines of the quote.", []int{3}}},
		},
		{
			name:   "marks glued to the full stop",
			report: "Go has channels for communication.[1] Go also has mutexes for locking.[2]",
			want:   []wantClaim{{"Go has channels for communication.", []int{1}}, {"Go also has mutexes for locking.", []int{2}}},
		},
		{name: "empty", report: "", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, claimsOf(tt.report))
		})
	}
}

func TestClaimOffsets(t *testing.T) {
	report := "# Title\n\n## Summary\n\nFirst claim of the report here [1]. Second claim follows right after. [2]\n\n- A list item claim with words [3]\n\n## Sources\n\n1. x\n"
	cs := verify.Claims(report)
	require.Len(t, cs, 3)
	assert.Equal(t, "First claim of the report here [1].", report[cs[0].Offset:cs[0].End])
	assert.Equal(t, "Second claim follows right after. [2]", report[cs[1].Offset:cs[1].End])
	assert.Equal(t, "A list item claim with words [3]", report[cs[2].Offset:cs[2].End])
}

func TestClaimOffsetsShortFragments(t *testing.T) {
	report := "## Summary\n\nFirst claim of the report here [1]. See [2]. Then another long claim here [3].\n\nGone for good [7].\n"
	cs := verify.Claims(report)
	require.Len(t, cs, 3)
	// The first claim's span runs on to the fragment whose mark it took.
	assert.Equal(t, "First claim of the report here [1]. See [2].", report[cs[0].Offset:cs[0].End])
	assert.Equal(t, []int{1, 2}, cs[0].Cites)
	assert.Equal(t, "Then another long claim here [3].", report[cs[1].Offset:cs[1].End])
	assert.Equal(t, "Gone for good [7].", report[cs[2].Offset:cs[2].End])
	assert.Equal(t, "Gone for good.", cs[2].Text)
	assert.Equal(t, []int{7}, cs[2].Cites)
}

// FuzzClaims checks that Claims never panics and that its claims are
// well-formed: offsets in range and in order, texts of MinClaimWords words
// or more (shorter only with a citation: a short cited fragment opening
// its block), citation numbers that appear in the claim's span.
func FuzzClaims(f *testing.F) {
	for _, s := range []string{
		"",
		"A claim with enough words [1]. Another one with words. [2][3]",
		"# T\n\n- item with four words [1, 2]\n\n```\ncode [1]\n```\n\n## Sources\n1. x",
		"| a | b |\n|---|---|\n| row with four words [1] | c |",
		"`unclosed code [1] with words. Next sentence here [2]",
		"> quote [1].\n> more quote text here [2]\n\n    indented [3]",
		"Text.[1]x and. [ 1 ,2 ] with \\[3\\] words [99999999] end.",
		"See [2]. A claim with enough words [1]. Short [3]. In short: yes.\n\n- [4]\n",
		"\xff\xfe invalid utf8 [1]. Ünïcode sëntence wïth wörds [2]. «Quoted.» Next",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, report string) {
		prev := 0
		for _, c := range verify.Claims(report) {
			if c.Offset < prev || c.Offset > c.End || c.End > len(report) {
				t.Fatalf("claim %q: offsets %d..%d out of range or order (previous end %d, len %d)", c.Text, c.Offset, c.End, prev, len(report))
			}
			prev = c.End
			if strings.TrimSpace(c.Text) != c.Text || len(strings.Fields(c.Text)) < verify.MinClaimWords && len(c.Cites) == 0 {
				t.Fatalf("claim text %q is not a trimmed claim of %d words", c.Text, verify.MinClaimWords)
			}
			if utf8.ValidString(report) && !utf8.ValidString(c.Text) {
				t.Fatalf("claim text %q is not valid UTF-8", c.Text)
			}
			span := report[c.Offset:c.End]
			for _, n := range c.Cites {
				if n < 0 {
					t.Fatalf("negative citation %d", n)
				}
				if !strings.Contains(span, "[") {
					t.Fatalf("claim %q cites %v but its span %q has no mark", c.Text, c.Cites, span)
				}
			}
		}
	})
}
