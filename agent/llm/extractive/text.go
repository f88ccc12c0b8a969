package extractive

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// keyRE matches a source key in brackets: [3fa9c2e01b7d#12].
var keyRE = regexp.MustCompile(`\[([A-Za-z0-9_.-]+)#(\d+)\]`)

// stopwords are English function words plus the question and request words
// that carry no topic ("what", "explain"). Tokens are compared lowercased.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be
because been before being below between both but by can could did do does doing done down during each
either else etc even ever every few for from further get gets got had has have having he her here hers
herself him himself his how however i if in into is it its itself just let me might more most much must
my myself neither no nor not now of off on once only or other otherwise our ours ourselves out over own
per please rather same shall she should since so some such than that the their theirs them themselves then
there these they this those though through thus to too under until up upon us very via was we were what
whatever when whenever where whereas whether which while who whom whose why will with within without would
yet you your yours yourself yourselves
explain describe tell know give show find list discuss compare summarize overview want like need
mean means many way ways one ones use used using`) {
		m[w] = true
	}
	return m
}()

// questionWords start a new clause in a compound question.
var questionWords = map[string]bool{
	"how": true, "what": true, "why": true, "when": true, "where": true, "which": true, "who": true,
	"whether": true, "does": true, "do": true, "is": true, "are": true, "can": true, "should": true,
	"will": true, "did": true, "was": true, "were": true,
}

// words returns the lowercased runs of letters and digits of s.
func words(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case ok && start < 0:
			start = i
		case !ok && start >= 0:
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

// isContent reports whether a lowercased word carries topic: not a
// stopword, and two letters or more (or any number).
func isContent(w string) bool {
	if stopwords[w] {
		return false
	}
	if strings.IndexFunc(w, unicode.IsDigit) >= 0 {
		return true
	}
	return utf8.RuneCountInString(w) >= 2
}

// stem is a light suffix stripper (plurals, -ing, -ed) so that "collectors"
// and "collector" match. It is not Porter's algorithm; it only has to map
// inflections of one word to one term.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 4 && strings.HasSuffix(w, "sses"):
		return w[:n-2]
	case n > 5 && strings.HasSuffix(w, "ing"):
		return w[:n-3]
	case n > 4 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed"):
		return w[:n-2]
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1]
	}
	return w
}

// terms returns the stemmed content words of s, in order, repeats kept.
func terms(s string) []string {
	var out []string
	for _, w := range words(s) {
		if isContent(w) {
			out = append(out, stem(w))
		}
	}
	return out
}

// termSet returns the distinct terms of s.
func termSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, t := range terms(s) {
		m[t] = true
	}
	return m
}

// collapse joins the fields of s with single spaces.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// tw is one weighted term of a sparse vector.
type tw struct {
	t int
	w float64
}

// vec is a sparse, L2-normalised TF-IDF vector sorted by term id, so that
// every sum over it runs in one fixed order and results are reproducible.
type vec []tw

// space is a TF-IDF vector space built over a list of texts.
type space struct {
	ids map[string]int
	df  []int
	n   int
}

// newSpace indexes docs (each a list of terms). Term ids follow first
// appearance, so the space does not depend on map order.
func newSpace(docs [][]string) *space {
	s := &space{ids: map[string]int{}, n: len(docs)}
	for _, d := range docs {
		seen := map[int]bool{}
		for _, t := range d {
			id, ok := s.ids[t]
			if !ok {
				id = len(s.df)
				s.ids[t] = id
				s.df = append(s.df, 0)
			}
			if !seen[id] {
				seen[id] = true
				s.df[id]++
			}
		}
	}
	return s
}

// vector returns the normalised TF-IDF vector of a term list: sublinear tf
// (1+ln tf) times smoothed idf (ln((N+1)/(df+1))+1). Terms unknown to the
// space are ignored.
func (s *space) vector(ts []string) vec {
	counts := map[int]int{}
	for _, t := range ts {
		if id, ok := s.ids[t]; ok {
			counts[id]++
		}
	}
	v := make(vec, 0, len(counts))
	for id, c := range counts {
		idf := math.Log(float64(s.n+1)/float64(s.df[id]+1)) + 1
		v = append(v, tw{id, (1 + math.Log(float64(c))) * idf})
	}
	slices.SortFunc(v, func(a, b tw) int { return a.t - b.t })
	var norm float64
	for _, x := range v {
		norm += x.w * x.w
	}
	if norm > 0 {
		norm = math.Sqrt(norm)
		for i := range v {
			v[i].w /= norm
		}
	}
	return v
}

// cosine returns the cosine similarity of two normalised vectors.
func cosine(a, b vec) float64 {
	var dot float64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].t < b[j].t:
			i++
		case a[i].t > b[j].t:
			j++
		default:
			dot += a[i].w * b[j].w
			i++
			j++
		}
	}
	return dot
}

// mmr selects up to k of the candidates by maximal marginal relevance:
// each step takes the candidate maximising λ·rel − (1−λ)·(highest
// similarity to one already taken), lowest index on ties. A candidate more
// similar than redundancy to a taken one is never taken; one for which
// allow (asked anew at each step) returns false is skipped; onPick, if set,
// is told of each choice.
func mmr(rel []float64, vs []vec, k int, lambda, redundancy float64, allow func(i int) bool, onPick func(i int)) []int {
	n := len(rel)
	maxSim := make([]float64, n)
	taken := make([]bool, n)
	var out []int
	for len(out) < k {
		best, bestScore := -1, math.Inf(-1)
		for i := range n {
			if taken[i] || maxSim[i] > redundancy || (allow != nil && !allow(i)) {
				continue
			}
			if sc := lambda*rel[i] - (1-lambda)*maxSim[i]; sc > bestScore {
				best, bestScore = i, sc
			}
		}
		if best < 0 {
			break
		}
		taken[best] = true
		out = append(out, best)
		if onPick != nil {
			onPick(best)
		}
		for i := range n {
			if !taken[i] {
				maxSim[i] = max(maxSim[i], cosine(vs[i], vs[best]))
			}
		}
	}
	return out
}

// abbreviations do not end a sentence when followed by a period.
var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "mr": true, "mrs": true, "ms": true, "dr": true,
	"prof": true, "fig": true, "no": true, "st": true, "inc": true, "ltd": true, "jr": true, "sr": true,
	"approx": true, "cf": true, "al": true, "eq": true, "sec": true, "vol": true, "pp": true, "ch": true,
}

// units cuts text into the pieces sentences are split from: paragraphs
// whose wrapped lines are joined, with list items, headings and table rows
// each their own piece, and fenced code blocks dropped.
func units(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
			cur = nil
		}
	}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			flush()
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "#") || strings.HasPrefix(t, "|"):
			flush()
			out = append(out, t)
		case listItem(t) != t:
			flush()
			cur = append(cur, listItem(t))
		case strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t"):
			flush() // an indented code block line
		default:
			cur = append(cur, t)
		}
	}
	flush()
	return out
}

// listItem strips a Markdown list marker ("- ", "* ", "1. ") from t.
func listItem(t string) string {
	for _, p := range []string{"- ", "* ", "+ ", "• "} {
		if strings.HasPrefix(t, p) {
			return strings.TrimSpace(t[len(p):])
		}
	}
	i := 0
	for i < len(t) && i < 3 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' ' {
		return strings.TrimSpace(t[i+2:])
	}
	return t
}

// sentences splits text into sentences: at '.', '!' or '?' (and any
// closing quotes or brackets) before whitespace and a capital, digit or
// opening quote, minding abbreviations, initials and decimals; and at the
// boundaries of units.
func sentences(text string) []string {
	var out []string
	for _, u := range units(text) {
		out = append(out, splitUnit(u)...)
	}
	return out
}

func splitUnit(u string) []string {
	var out []string
	start := 0
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		end := i + 1
		for end < len(u) && strings.IndexByte(`"')]»”’`, u[end]) >= 0 {
			end++
		}
		if end >= len(u) || u[end] != ' ' {
			continue
		}
		next := end
		for next < len(u) && u[next] == ' ' {
			next++
		}
		if next >= len(u) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(u[next:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'“‘([`, r)) {
			continue
		}
		if c == '.' {
			ws := strings.Fields(u[start:i])
			if len(ws) > 0 {
				last := strings.ToLower(strings.TrimLeft(ws[len(ws)-1], `("'`))
				// An initial ends the word: "J." of "Hans-J. Boehm" too.
				initial := last[strings.LastIndexAny(last, "-.")+1:]
				if abbreviations[last] || (utf8.RuneCountInString(initial) == 1 && unicode.IsLetter([]rune(initial)[0])) {
					continue
				}
			}
		}
		if s := strings.TrimSpace(u[start:end]); s != "" {
			out = append(out, s)
		}
		start = next
		i = next - 1
	}
	if s := strings.TrimSpace(u[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// goodSentence reports whether s is worth quoting: a complete sentence of
// prose (capital or digit first, terminal punctuation last, five words or
// more, two content words or more), not a heading, table row, code line or
// text carrying a source key of its own.
func goodSentence(s string) bool {
	if keyRE.MatchString(s) || strings.HasPrefix(s, "#") || strings.Count(s, "|") >= 2 {
		return false
	}
	fs := strings.Fields(s)
	if len(fs) < 5 || len(fs) > 90 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !(unicode.IsUpper(first) || unicode.IsDigit(first) || strings.ContainsRune(`"'“‘(`, first)) {
		return false
	}
	t := strings.TrimRight(s, `"')]»”’`)
	if t == "" || strings.IndexByte(".!?", t[len(t)-1]) < 0 {
		return false
	}
	if codeLike(s) {
		return false
	}
	n := 0
	for _, w := range words(s) {
		if isContent(w) {
			n++
		}
	}
	return n >= 2
}

// codeLike reports text that looks like source code or a shell line rather
// than prose.
func codeLike(s string) bool {
	for _, p := range []string{"```", ":=", "=>", "();", "){", ") {", "func ", "#include", "import (", "$ "} {
		if strings.Contains(s, p) {
			return true
		}
	}
	if strings.HasPrefix(s, "//") || strings.Count(s, ";") >= 2 || strings.Count(s, "{")+strings.Count(s, "}") >= 2 {
		return true
	}
	letters, other := 0, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsSpace(r):
			letters++
		case !unicode.IsDigit(r) && !strings.ContainsRune(".,;:'\"()-–—?!%/", r):
			other++
		}
	}
	return other*8 > letters
}

// shorten cuts s to at most n bytes at a word boundary, adding "…".
func shorten(s string, n int) string {
	s = collapse(s)
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut < n/2 {
		cut = n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}
