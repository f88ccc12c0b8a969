package summarize

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExtractiveConfig configures Extractive. The zero value is ready to use.
type ExtractiveConfig struct {
	// Damping is TextRank's damping factor: the weight of the similarity
	// graph against the teleport distribution. Optional. Defaults to 0.85.
	Damping float64
	// MinSimilarity is the cosine similarity two sentences need to be
	// linked in the graph. Optional. Defaults to 0.05.
	MinSimilarity float64
	// FactWeight is added to a sentence's score, scaled by how many facts
	// it carries (see Extractive). Optional. Defaults to 0.6; a negative
	// value disables the bonus.
	FactWeight float64
	// FocusWeight is how much Request.Focus counts when set: the share of
	// TextRank's teleport distribution that goes to sentences in
	// proportion to their similarity with the focus (topic-sensitive
	// PageRank), and the weight of that similarity against centrality in
	// the score. Optional. Defaults to 0.5; a negative value ignores the
	// focus.
	FocusWeight float64
	// Redundancy is the cosine similarity above which a sentence counts as
	// a repeat of one already kept, and is skipped. Optional. Defaults to
	// 0.8.
	Redundancy float64
	// ProvenanceShare is the largest share of the budget that the tags of
	// summarized tool results (tool, call ID, artifact handle, arguments)
	// may take before any sentence is chosen. Optional. Defaults to 0.3.
	ProvenanceShare float64
	// MaxSentenceBytes cuts longer sentences (tables, JSON, run-on text)
	// into pieces at whitespace. Optional. Defaults to 500.
	MaxSentenceBytes int
	// DefaultTokens is the budget used when Request.MaxTokens is 0 or
	// less. Optional. Defaults to 2000.
	DefaultTokens int
}

func (c ExtractiveConfig) withDefaults() ExtractiveConfig {
	def := func(v *float64, d float64) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&c.Damping, 0.85)
	def(&c.MinSimilarity, 0.05)
	def(&c.FactWeight, 0.6)
	def(&c.FocusWeight, 0.5)
	def(&c.Redundancy, 0.8)
	def(&c.ProvenanceShare, 0.3)
	c.Damping = min(c.Damping, 0.99)
	c.FocusWeight = min(c.FocusWeight, 1)
	if c.MaxSentenceBytes <= 0 {
		c.MaxSentenceBytes = 500
	}
	if c.DefaultTokens <= 0 {
		c.DefaultTokens = 2000
	}
	return c
}

// Extractive returns a Summarizer that needs no model: it keeps the most
// informative sentences of the messages, verbatim and in their original
// order, within Request.MaxTokens (counted with Request.Counter). It is
// deterministic: the same request gives the same summary, byte for byte.
// It ignores Request.Instructions.
//
// The messages are cut into pieces tagged with their provenance ("[user]",
// "[assistant]", "[tool web_fetch call_2 artifact=art_1
// args={"url":…}]", "[summary]"), the pieces into sentences (at '.', '!'
// or '?' before whitespace, minding abbreviations, initials, decimals and
// URLs; at paragraph breaks and list items; long ones cut at 500 bytes by
// default). Sentences are ranked by TextRank: weighted PageRank
// over a graph linking each sentence to its 32 most similar ones (TF-IDF
// cosine similarity at least MinSimilarity). The centrality c of a
// sentence is its PageRank divided by the highest. When Request.Focus is
// set, FocusWeight λ of the teleport distribution goes to sentences in
// proportion to their similarity with the focus, and the score mixes in
// the relevance r (that similarity divided by the highest):
// (1-λ)·c + λ·r. Without a focus the score starts from c alone.
//
// Heuristics, on top of that:
//   - facts: FactWeight·f is added, where f in [0, 1] sums 0.6 for a
//     number (any digit), 0.6 for a URL, 0.3 for a name (a capitalised word
//     after the first, or an acronym) and 0.3 for a quotation, capped at 1.
//     With the default weight a sentence with a number and a name gains
//     0.54: it outranks sentences of similar centrality without facts, but
//     not much more central ones.
//   - fragments: a sentence of fewer than four words without a number or
//     URL (a heading, list debris) is never kept.
//   - repeats: a sentence whose cosine similarity with a kept one exceeds
//     Redundancy is skipped (tool results often repeat boilerplate).
//
// Provenance comes first: the tag of every summarized tool result is kept
// (up to ProvenanceShare of the budget, oldest first) even when none of its
// sentences is, so the summary still says which calls were made and which
// artifact handles hold their full content. Then sentences are taken by
// score while they fit; each kept sentence is printed after its piece's
// tag, one line per piece:
//
//	[tool web_fetch call_2 artifact=art_1 args={"url":"https://x.org"}] The launch code is 7391.
//
// An earlier summary in this format is read back line by line, its tags
// kept, so summaries of summaries stay attributed.
//
// Without a focus, a fact stated once among unrelated text ranks low:
// TextRank rewards what many sentences share. The compaction policy passes
// the agent's user messages as the focus; IngestFor takes one.
func Extractive(cfg ExtractiveConfig) Summarizer {
	return &extractive{cfg: cfg.withDefaults()}
}

type extractive struct{ cfg ExtractiveConfig }

// sentence is one candidate of the summary.
type sentence struct {
	piece int // index of its piece
	text  string
	score float64
	words int
	// fragment marks a sentence of fewer than four words without a number
	// or URL (a heading, list debris): never kept.
	fragment bool
}

// piece is a tagged part of the input and what it contributes.
type piece struct {
	tag     string
	tool    bool // a tool result: its tag is provenance
	tagCost int
	open    bool // printed: holds a kept sentence or a kept tag
	kept    []int
}

func (e *extractive) Summarize(ctx context.Context, req Request) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	budget := req.MaxTokens
	if budget <= 0 {
		budget = e.cfg.DefaultTokens
	}
	count := req.counter().Count

	pieces, sents := e.collect(req)
	if len(pieces) == 0 {
		return "", fmt.Errorf("%w: nothing to summarize", ErrEmptySummary)
	}
	vecs := e.score(sents, req.Focus)
	if err := ctx.Err(); err != nil {
		return "", err
	}

	// Provenance first: the tags of tool results, oldest first.
	used := 0
	tagBudget := int(e.cfg.ProvenanceShare * float64(budget))
	for i := range pieces {
		p := &pieces[i]
		p.tagCost = count("["+p.tag+"]") + 1
		if p.tool && used+p.tagCost <= tagBudget {
			p.open = true
			used += p.tagCost
		}
	}
	// Then sentences by score.
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return sents[order[a]].score > sents[order[b]].score })
	var kept []int
	for k, i := range order {
		if k&255 == 0 && ctx.Err() != nil {
			return "", ctx.Err()
		}
		s := &sents[i]
		p := &pieces[s.piece]
		// Every word is at least one token in the BPE vocabularies deepctx
		// counts with, so a sentence with more words than the room left
		// cannot fit: skip it without counting.
		if s.fragment || used+s.words > budget {
			continue
		}
		cost := count(s.text) + 1
		if !p.open {
			cost += p.tagCost
		}
		if used+cost > budget || e.repeats(vecs, kept, i) {
			continue
		}
		used += cost
		p.open = true
		p.kept = append(p.kept, i)
		kept = append(kept, i)
	}
	// Joined text can count differently from its parts: drop the
	// lowest-scored sentences until it fits.
	for {
		text := render(pieces, sents)
		if text == "" {
			return "", fmt.Errorf("%w: no sentence fits in %d tokens", ErrEmptySummary, budget)
		}
		if count(text) <= budget {
			return text, nil
		}
		if !dropLowest(pieces, sents) {
			return "", fmt.Errorf("%w: provenance alone exceeds %d tokens", ErrEmptySummary, budget)
		}
	}
}

// collect splits the request into tagged pieces and their sentences.
func (e *extractive) collect(req Request) ([]piece, []sentence) {
	var pieces []piece
	var sents []sentence
	add := func(tag, text string, tool bool) {
		pieces = append(pieces, piece{tag: tag, tool: tool})
		for _, s := range splitSentences(text, e.cfg.MaxSentenceBytes) {
			sents = append(sents, sentence{piece: len(pieces) - 1, text: s, words: len(strings.Fields(s))})
		}
	}
	for _, seg := range segments(req.Messages, true) {
		if seg.tag != ProvenanceSummary {
			add(seg.tag, seg.text, seg.tool)
			continue
		}
		// An earlier summary: read its tagged lines back; runs of other
		// lines (a model's summary) form one "summary" piece.
		var plain strings.Builder
		flush := func() {
			if plain.Len() > 0 {
				add(ProvenanceSummary, plain.String(), false)
				plain.Reset()
			}
		}
		for line := range strings.Lines(seg.text) {
			trimmed := strings.TrimSpace(line)
			if strings.HasPrefix(trimmed, summaryHeaderPrefix) {
				continue
			}
			if tag, rest, ok := parseTagged(trimmed); ok {
				flush()
				add(tag, rest, strings.HasPrefix(tag, "tool "))
				continue
			}
			plain.WriteString(line)
		}
		flush()
	}
	return pieces, sents
}

// parseTagged splits "[tag] text" into tag and text.
func parseTagged(line string) (tag, rest string, ok bool) {
	if !strings.HasPrefix(line, "[") {
		return "", "", false
	}
	end := strings.Index(line, "]")
	// A tag may hold brackets in its arguments: take the "] " that ends it.
	if i := strings.Index(line, "] "); i > 0 {
		end = i
	}
	if end < 0 || (end+1 < len(line) && line[end+1] != ' ') {
		return "", "", false
	}
	return line[1:end], strings.TrimSpace(line[end+1:]), true
}

// score sets each sentence's score and returns the TF-IDF vectors.
func (e *extractive) score(sents []sentence, focus string) [][]weighted {
	n := len(sents)
	if n == 0 {
		return nil
	}
	v := vocab{ids: map[string]int32{}}
	counts := make([]map[int32]int, n)
	for i, s := range sents {
		counts[i] = v.terms(s.text, true)
	}
	df := make([]int, len(v.ids))
	for _, c := range counts {
		for t := range c {
			df[t]++
		}
	}
	vecs := tfidf(counts, df)

	teleport := make([]float64, n)
	for i := range teleport {
		teleport[i] = 1 / float64(n)
	}
	// Relevance to the focus: cosine similarity, relative to the best.
	rel := make([]float64, n)
	lambda := 0.0
	if f := strings.TrimSpace(focus); f != "" && e.cfg.FocusWeight > 0 {
		fv := weigh(v.terms(f, false), df, float64(n))
		total, top := 0.0, 0.0
		for i := range vecs {
			rel[i] = cosine(vecs[i], fv)
			total += rel[i]
			top = max(top, rel[i])
		}
		if total > 0 {
			lambda = e.cfg.FocusWeight
			for i := range teleport {
				teleport[i] = (1-lambda)/float64(n) + lambda*rel[i]/total
				rel[i] /= top
			}
		}
	}
	pr := pageRank(graph(vecs, len(v.ids), e.cfg.MinSimilarity), teleport, e.cfg.Damping, 100)

	// Centrality in [0, 1]: PageRank relative to the best sentence.
	best := 0.0
	for _, v := range pr {
		best = max(best, v)
	}
	for i := range sents {
		f := facts(sents[i].text)
		sents[i].score = (1-lambda)*pr[i]/best + lambda*rel[i] + e.cfg.FactWeight*f
		if sents[i].words < 4 && !hasNumberOrURL(sents[i].text) {
			sents[i].fragment = true
		}
	}
	return vecs
}

// repeats reports whether sentence i nearly repeats a kept one.
func (e *extractive) repeats(vecs [][]weighted, kept []int, i int) bool {
	if len(vecs[i]) == 0 {
		return false
	}
	for _, k := range kept {
		if cosine(vecs[i], vecs[k]) > e.cfg.Redundancy {
			return true
		}
	}
	return false
}

// facts rates how many checkable facts a sentence carries, in [0, 1]:
// 0.6 for a number, 0.6 for a URL, 0.3 for a name, 0.3 for a quotation.
func facts(s string) float64 {
	f := 0.0
	if hasNumber(s) {
		f += 0.6
	}
	if hasURL(s) {
		f += 0.6
	}
	if hasName(s) {
		f += 0.3
	}
	if hasQuote(s) {
		f += 0.3
	}
	return min(f, 1)
}

func hasNumber(s string) bool { return strings.ContainsFunc(s, unicode.IsDigit) }

func hasURL(s string) bool { return strings.Contains(s, "://") || strings.Contains(s, "www.") }

func hasNumberOrURL(s string) bool { return hasNumber(s) || hasURL(s) }

// hasName reports a capitalised word after the first word, or an acronym.
func hasName(s string) bool {
	for i, w := range strings.Fields(s) {
		w = strings.TrimLeft(w, `"'([“‘`)
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) {
			continue
		}
		if i > 0 {
			return true
		}
		upper := 0
		for _, c := range w {
			if unicode.IsUpper(c) {
				upper++
			}
		}
		if upper >= 2 {
			return true
		}
	}
	return false
}

// hasQuote reports a quoted span of at least three characters.
func hasQuote(s string) bool {
	for _, q := range [][2]string{{`"`, `"`}, {"“", "”"}} {
		if i := strings.Index(s, q[0]); i >= 0 {
			if j := strings.Index(s[i+len(q[0]):], q[1]); j >= 3 {
				return true
			}
		}
	}
	return false
}

// render prints the open pieces, one line each: the tag, then the kept
// sentences in their original order.
func render(pieces []piece, sents []sentence) string {
	var b strings.Builder
	for _, p := range pieces {
		if !p.open {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("[" + p.tag + "]")
		kept := append([]int(nil), p.kept...)
		sort.Ints(kept)
		for _, i := range kept {
			b.WriteByte(' ')
			b.WriteString(sents[i].text)
		}
	}
	return b.String()
}

// dropLowest removes the lowest-scored kept sentence, or, when none is
// left, the last open tag. It reports whether anything was removed.
func dropLowest(pieces []piece, sents []sentence) bool {
	worst, wp, wk := -1, -1, -1
	for pi, p := range pieces {
		for k, i := range p.kept {
			if worst < 0 || sents[i].score < sents[worst].score || (sents[i].score == sents[worst].score && i > worst) {
				worst, wp, wk = i, pi, k
			}
		}
	}
	if worst >= 0 {
		p := &pieces[wp]
		p.kept = append(p.kept[:wk:wk], p.kept[wk+1:]...)
		p.open = len(p.kept) > 0 || p.tool
		return true
	}
	for i := len(pieces) - 1; i >= 0; i-- {
		if pieces[i].open {
			pieces[i].open = false
			return true
		}
	}
	return false
}
