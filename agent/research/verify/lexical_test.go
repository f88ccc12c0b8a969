package verify

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLexicalDecisionEdges(t *testing.T) {
	const eps = 1e-9
	tests := []struct {
		coverage, containment float64
		want                  bool
	}{
		{LexicalCoverage, 0, true},
		{LexicalCoverage - eps, 0, false},
		{1, 0, true},
		{LexicalPartialCoverage, LexicalContainment, true},
		{LexicalPartialCoverage, LexicalContainment - eps, false},
		{LexicalPartialCoverage - eps, 1, false},
		{LexicalCoverage - eps, LexicalContainment, true},
		{0, 1, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, lexicalDecision(tt.coverage, tt.containment), "coverage %v containment %v", tt.coverage, tt.containment)
	}
}

func TestLexical(t *testing.T) {
	const passage = "A send on a channel happens before the corresponding receive from that channel completes. Go 1.23 added range-over-func iterators."
	tests := []struct {
		name, claim, passage string
		supported            bool
	}{
		{"verbatim quote", "A send on a channel happens before the corresponding receive from that channel completes.", passage, true},
		{"paraphrase keeping the terms", "Channel sends happen before the corresponding receives complete.", passage, true},
		{"fabricated claim, real passage", "Tomatoes need at least six hours of direct sunlight a day.", passage, false},
		{"a number changed", "Go 1.21 added range-over-func iterators.", passage, false},
		{"the number kept", "Go 1.23 added range-over-func iterators.", passage, true},
		{"only stop words", "it is what it is", passage, false},
		// Exact edges: five content words, three found (coverage 0.6).
		{"coverage exactly 0.6", "alpha bravo charlie delta echo", "alpha bravo charlie zulu", true},
		{"coverage 0.4", "alpha bravo charlie delta echo", "alpha bravo zulu", false},
		// Eight content words, four found (coverage 0.5), and ten word
		// trigrams (stop words included): three in place is exactly 0.3.
		{"coverage 0.5, containment exactly 0.3", "the alpha of the bravo charlie delta echo foxtrot golf and india", "the alpha of the bravo xx charlie yy delta", true},
		{"coverage 0.5, containment 0.2", "the alpha of the bravo charlie delta echo foxtrot golf and india", "the alpha of the yy bravo zz charlie ww delta", false},
		{"coverage below 0.5, containment high", "the alpha of the bravo charlie delta echo foxtrot golf and india", "the alpha of the bravo charlie", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Lexical{}.Supports(context.Background(), tt.claim, tt.passage)
			require.NoError(t, err)
			assert.Equal(t, tt.supported, s.Supported, s.Reason)
			assert.GreaterOrEqual(t, s.Score, 0.0)
			assert.LessOrEqual(t, s.Score, 1.0)
			assert.NotEmpty(t, s.Reason)
		})
	}
}

func TestLexicalNumbersReason(t *testing.T) {
	s, err := Lexical{}.Supports(context.Background(), "Go 1.21 added range-over-func iterators.", "Go 1.23 added range-over-func iterators.")
	require.NoError(t, err)
	assert.False(t, s.Supported)
	assert.Contains(t, s.Reason, "numbers not in the passage: 1.21")
}

func TestTrigramContainment(t *testing.T) {
	assert.InDelta(t, 1.0/3, trigramContainment(lexTokens("aa bb cc dd ee"), lexTokens("aa bb cc")), 1e-9)
	assert.InDelta(t, 0.3, trigramContainment(lexTokens("the alpha of the bravo charlie delta echo foxtrot golf and india"), lexTokens("the alpha of the bravo xx")), 1e-9)
	assert.Equal(t, 1.0, trigramContainment([]string{"aa", "bb"}, []string{"xx", "aa", "bb"}))
	assert.Equal(t, 0.0, trigramContainment([]string{"bb", "aa"}, []string{"xx", "aa", "bb"}))
}

func TestLexTokens(t *testing.T) {
	assert.Equal(t, []string{"go", "1.23", "ship", "10,000", "iterator", "does"}, lexTokens("Go 1.23 ships 10,000 iterators. Does"))
}

func TestLexicalCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Lexical{}.Supports(ctx, "a claim with words", "a passage")
	require.ErrorIs(t, err, context.Canceled)
}

// Negation, order, comparison and spelled-out numbers are not stop words
// to Lexical: a claim that flips or changes one is unsupported even when
// every other word is the passage's.
func TestLexicalPolarityAndNumberWords(t *testing.T) {
	const passage = "A send on a channel happens before the corresponding receive from that channel completes. At most three goroutines may hold the lock."
	tests := []struct {
		name, claim string
		supported   bool
		reason      string
	}{
		{"negated", "A send on a channel does not happen before the corresponding receive completes.", false, "not in the passage: not"},
		{"negated by contraction", "A send on a channel doesn't happen before the corresponding receive completes.", false, "not in the passage: not"},
		{"negated by never", "A send on a channel never happens before the corresponding receive completes.", false, "not in the passage: never"},
		{"order flipped", "A send on a channel happens after the corresponding receive completes.", false, "not in the passage: after"},
		{"number word changed", "At most two goroutines may hold the lock.", false, "numbers not in the passage: 2"},
		{"bound flipped", "At least three goroutines may hold the lock.", false, "not in the passage: least"},
		{"digit for a number word changed", "At most 4 goroutines may hold the lock.", false, "numbers not in the passage: 4"},
		// Controls: the true statements stay supported.
		{"true order", "A send on a channel happens before the corresponding receive completes.", true, ""},
		{"true bound", "At most three goroutines may hold the lock.", true, ""},
		{"true bound, digit for the number word", "At most 3 goroutines may hold the lock.", true, ""},
		{"true bound, reordered", "Three goroutines at most may hold the lock.", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Lexical{}.Supports(context.Background(), tt.claim, passage)
			require.NoError(t, err)
			assert.Equal(t, tt.supported, s.Supported, s.Reason)
			if tt.reason != "" {
				assert.Contains(t, s.Reason, tt.reason)
			}
		})
	}

	// A negated passage supports the negated claim, whichever form the
	// negation takes on either side.
	s, err := Lexical{}.Supports(context.Background(), "A nil channel can't be closed.", "Closing a nil channel is not allowed: a nil channel cannot be closed.")
	require.NoError(t, err)
	assert.True(t, s.Supported, s.Reason)
}

func TestLexTokensContractionsAndNumberWords(t *testing.T) {
	assert.Equal(t, []string{"do", "not", "can", "not", "can", "not", "will", "not", "is", "not", "go", "s"},
		lexTokens("Don't cannot can't won’t isn't Go's"))
	assert.Equal(t, []string{"3", "twice", "half", "20", "1.5"}, lexTokens("three twice half twenty 1.5"))
}
