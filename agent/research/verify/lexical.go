package verify

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deepctx/deepctx/context/offload"
)

// The Lexical supporter's thresholds. A claim's coverage is the share of
// its distinct content words (lowercased, stop words removed, stemmed
// with offload.Stem) found among the passage's words; its containment is
// the share of its distinct word trigrams (every word, stemmed) found
// contiguous in the passage.
const (
	// LexicalCoverage is the coverage at or above which a passage
	// supports a claim. An extractive quote covers 1.0; a faithful
	// paraphrase keeps most of its source's names, numbers and terms
	// while changing the function words and word order, which coverage
	// ignores. Below 0.6 at least two in five of the claim's content
	// words come from somewhere else — the typical shape of a sentence
	// that cites a real passage for something the passage does not say.
	LexicalCoverage = 0.6
	// LexicalPartialCoverage and LexicalContainment: a claim with
	// coverage at or above 0.5 (but below LexicalCoverage) is supported
	// when at least 0.3 of its word trigrams also occur verbatim in the
	// passage. Half the content words scattered through a long passage
	// prove little; a third of the trigrams in place show the claim is a
	// shortened or lightly edited quote of it, whose remaining words
	// are connective ("which means that …").
	LexicalPartialCoverage = 0.5
	LexicalContainment     = 0.3
)

// Lexical is the offline Supporter: it decides by word overlap alone, so
// it runs anywhere, instantly and deterministically. A passage supports a
// claim when every number and every polarity word of the claim appears in
// it and
//
//	coverage >= LexicalCoverage, or
//	coverage >= LexicalPartialCoverage and containment >= LexicalContainment.
//
// Numbers are digits ("1.21", "10,000") and number words: "zero" to
// "twenty" count as their digits ("three" is "3", so "two" never matches
// "three" but matches "2"), and "hundred", "thousand", "million",
// "billion", "once", "twice", "half" and "double" as themselves.
//
// Polarity words are the words that flip or bound a statement while
// looking like function words: negations ("not", "no", "never", "none",
// "neither", "nor", "without", "cannot" and contractions such as "don't"
// or "isn't", which read as "do not", "is not"), order and comparison
// ("before", "after", "more", "less", "most", "least", "fewer",
// "greater", "higher", "lower", "first", "last", …) and quantifiers
// ("only", "all", "any", "every", "some", "always", …; see polarityWords).
// They are content words, and each one the claim uses must occur
// somewhere in the passage — anywhere: Lexical does not parse scope, so a
// "not" elsewhere in the passage satisfies a claim's "not". This is
// deliberately simple: "X does not happen before Y" is unsupported by a
// passage that never negates, "at least three" by one that says "at most
// three", "A happens after B" by one that only says "before".
//
// Score is 0.7·coverage + 0.3·containment. Lexical catches claims made up
// and pinned on a real passage, numbers changed, negations and
// comparisons flipped, and passages cited for the wrong topic; it cannot
// see a claim that rearranges the passage's own words into a different
// meaning ("A happens before B" cited for "B happens before A") —
// ModelSupporter can. The zero value is ready to use.
type Lexical struct{}

var _ Supporter = Lexical{}

// lexicalScoreWeight is coverage's weight in Score; containment has the rest.
const lexicalScoreWeight = 0.7

// Supports judges claim against passage by word overlap. It never fails
// except when ctx is done.
func (Lexical) Supports(ctx context.Context, claim, passage string) (Support, error) {
	if err := ctx.Err(); err != nil {
		return Support{}, fmt.Errorf("verify: %w", err)
	}
	ct, pt := lexTokens(claim), lexTokens(passage)
	have := make(map[string]bool, len(pt))
	for _, t := range pt {
		have[t] = true
	}
	var content, missing, missingNums, missingPolarity []string
	seen := map[string]bool{}
	for _, t := range ct {
		if seen[t] || !isContent(t) {
			continue
		}
		seen[t] = true
		content = append(content, t)
		if !have[t] {
			missing = append(missing, t)
			switch {
			case isNumber(t):
				missingNums = append(missingNums, t)
			case polarityWords[t]:
				missingPolarity = append(missingPolarity, t)
			}
		}
	}
	if len(content) == 0 {
		return Support{Reason: "the claim has no content words to match"}, nil
	}
	coverage := float64(len(content)-len(missing)) / float64(len(content))
	containment := trigramContainment(ct, pt)
	ok := lexicalDecision(coverage, containment) && len(missingNums) == 0 && len(missingPolarity) == 0
	score := math.Round((lexicalScoreWeight*coverage+(1-lexicalScoreWeight)*containment)*1000) / 1000

	var why strings.Builder
	fmt.Fprintf(&why, "%d of %d content words in the passage (coverage %.2f), %.0f%% of word trigrams verbatim",
		len(content)-len(missing), len(content), coverage, containment*100)
	if len(missingNums) > 0 {
		fmt.Fprintf(&why, "; numbers not in the passage: %s", strings.Join(missingNums, ", "))
	}
	if len(missingPolarity) > 0 {
		fmt.Fprintf(&why, "; negation, order or comparison words not in the passage: %s", strings.Join(missingPolarity, ", "))
	}
	if len(missing) > 0 && len(missing) <= 8 {
		fmt.Fprintf(&why, "; missing: %s", strings.Join(missing, ", "))
	}
	return Support{Supported: ok, Score: score, Reason: why.String()}, nil
}

// lexicalDecision applies the coverage and containment thresholds.
func lexicalDecision(coverage, containment float64) bool {
	return coverage >= LexicalCoverage || coverage >= LexicalPartialCoverage && containment >= LexicalContainment
}

// trigramContainment is the share of the claim's distinct token trigrams
// found in the passage; for a claim of fewer than three tokens, 1 when
// all of them are in the passage in order, else 0.
func trigramContainment(ct, pt []string) float64 {
	if len(ct) < 3 {
		if strings.Contains(" "+strings.Join(pt, " ")+" ", " "+strings.Join(ct, " ")+" ") && len(ct) > 0 {
			return 1
		}
		return 0
	}
	have := map[[3]string]bool{}
	for i := 0; i+2 < len(pt); i++ {
		have[[3]string{pt[i], pt[i+1], pt[i+2]}] = true
	}
	want := map[[3]string]bool{}
	found := 0
	for i := 0; i+2 < len(ct); i++ {
		g := [3]string{ct[i], ct[i+1], ct[i+2]}
		if want[g] {
			continue
		}
		want[g] = true
		if have[g] {
			found++
		}
	}
	return float64(found) / float64(len(want))
}

// lexTokens returns the words of s, lowercased and normalised: runs of
// letters and digits, a number keeping its inner '.' or ',' ("1.21",
// "10,000"). A negative contraction reads as its words ("don't" → "do",
// "not"; "can't" and "cannot" → "can", "not"; "won't" → "will", "not"),
// other apostrophes split words ("Go's" → "go", "s"); number words from
// "zero" to "twenty" become their digits; stop words, polarity words and
// numbers stay as they are, so they stay recognisable; every other word
// is stemmed with offload.Stem.
func lexTokens(s string) []string {
	var out []string
	s = strings.ToLower(strings.ReplaceAll(s, "’", "'"))
	start := -1
	add := func(w string) {
		if w == "" {
			return
		}
		if d, ok := numberDigits[w]; ok {
			w = d
		}
		if !hasDigit(w) && !offload.StopWord(w) && !polarityWords[w] && !numberWords[w] {
			w = offload.Stem(w)
		}
		out = append(out, w)
	}
	emit := func(end int) {
		w := s[start:end]
		start = -1
		if !strings.Contains(w, "'") {
			if w == "cannot" {
				add("can")
				add("not")
				return
			}
			add(w)
			return
		}
		if base, ok := strings.CutSuffix(w, "n't"); ok && !strings.Contains(base, "'") {
			if full, ok := contractions[base]; ok {
				base = full
			}
			add(base)
			add("not")
			return
		}
		for _, part := range strings.Split(w, "'") {
			add(part)
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !word && start >= 0 && (r == '.' || r == ',') && i > 0 && isDigitByte(s[i-1]) && i+1 < len(s) && isDigitByte(s[i+1]) {
			word = true // a decimal point or thousands separator
		}
		if !word && start >= 0 && r == '\'' && i+1 < len(s) && isLetterAt(s, i+1) {
			word = true // an apostrophe inside a word: "don't", "Go's"
		}
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			emit(i)
		}
		i += size
	}
	if start >= 0 {
		emit(len(s))
	}
	return out
}

// isLetterAt reports whether s[i:] starts with a letter.
func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// contractions are the bases of negative contractions ("<base>n't") that
// are not words of their own: "can't", "won't", "shan't", "ain't".
var contractions = map[string]string{"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}

// polarityWords are the words that negate, order, compare or quantify a
// statement. Many are stop words for search, but a claim that adds one
// ("not", "after", "least") says something its passage may not: Lexical
// requires each one a claim uses to occur in the passage.
var polarityWords = wordSet(`not no never none nobody nothing neither nor without
	before after earlier later
	more less most least fewer fewest greater greatest higher highest lower lowest
	first last only all any every some always unless except`)

// numberDigits are the number words Lexical reads as digits.
var numberDigits = func() map[string]string {
	m := map[string]string{}
	for i, w := range strings.Fields(`zero one two three four five six seven eight nine ten eleven twelve
		thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty`) {
		m[w] = strconv.Itoa(i)
	}
	return m
}()

// numberWords are the number words Lexical keeps as words but treats as
// numbers: every one a claim uses must occur in the passage.
var numberWords = wordSet(`hundred hundreds thousand thousands million millions billion billions
	once twice thrice half double triple`)

func wordSet(list string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(list) {
		m[w] = true
	}
	return m
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func hasDigit(w string) bool { return strings.IndexFunc(w, unicode.IsDigit) >= 0 }

// isNumber reports whether a token is a number: digits, or one of
// numberWords.
func isNumber(t string) bool { return hasDigit(t) || numberWords[t] }

// isContent reports whether a token carries meaning: a number, a polarity
// word, or a word of two letters or more that is not a stop word.
func isContent(t string) bool {
	if isNumber(t) || polarityWords[t] {
		return true
	}
	return !offload.StopWord(t) && utf8.RuneCountInString(t) >= 2
}
