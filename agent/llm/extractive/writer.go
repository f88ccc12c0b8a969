package extractive

import (
	"context"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// noFindings is the report body when the findings cite nothing. It is
// short enough that the agent's uncited-paragraph check ignores it.
const noFindings = "No findings were available."

// write answers a writer request: a report from the findings, or, when the
// request carries # Report and # Critique, its revision.
func (m *Model) write(ctx context.Context, req llm.Request) (reply, error) {
	sec, ok := sectionsOf(req.Messages)
	if !ok {
		return reply{}, badRequest("writer request has no # Findings section")
	}
	if _, ok := sec[SectionFindings]; !ok {
		return reply{}, badRequest("writer request has no # Findings section")
	}
	w := newWriting(m, sec)
	if _, ok := sec[SectionReport]; ok {
		return reply{text: w.revise(ctx)}, checkCtx(ctx)
	}
	return reply{text: w.report(ctx)}, checkCtx(ctx)
}

// writing is one writer request's material.
type writing struct {
	m      *Model
	brief  string
	subqs  []string
	claims []claim
	keys   map[string]bool
	sec    map[string]string
	vs     []vec  // claim vectors
	sp     *space // over the claims
}

func newWriting(m *Model, sec map[string]string) *writing {
	w := &writing{m: m, brief: strings.TrimSpace(sec[SectionBrief]), subqs: bulletItems(sec[SectionSubQuestions]), sec: sec}
	w.claims, w.keys = findingClaims(sec[SectionFindings])
	docs := make([][]string, len(w.claims))
	for i, c := range w.claims {
		docs[i] = terms(c.text)
	}
	w.sp = newSpace(docs)
	w.vs = make([]vec, len(w.claims))
	for i := range w.claims {
		w.vs[i] = w.sp.vector(docs[i])
	}
	return w
}

// title is the brief's first sentence (or first sub-question).
func (w *writing) title() string {
	src := w.brief
	if src == "" && len(w.subqs) > 0 {
		src = w.subqs[0]
	}
	if ss := sentences(src); len(ss) > 0 {
		src = ss[0]
	}
	t := strings.TrimRight(collapse(src), ".:; ")
	if t == "" {
		return "Research report"
	}
	return shorten(t, 120)
}

// sims returns the similarity of every claim to text.
func (w *writing) sims(text string) []float64 {
	q := w.sp.vector(terms(text))
	out := make([]float64, len(w.claims))
	for i := range w.claims {
		out[i] = cosine(q, w.vs[i])
	}
	return out
}

// pick selects up to k unused claims by MMR against text, only claims with
// some relevance, and marks them used.
func (w *writing) pick(text string, k int, used []bool) []int {
	rel := w.sims(text)
	got := mmr(rel, w.vs, k, w.m.opts.Lambda, w.m.opts.Redundancy, func(i int) bool { return rel[i] > 0 && !used[i] }, nil)
	for _, i := range got {
		used[i] = true
	}
	return got
}

func (w *writing) paragraph(idx []int) string {
	parts := make([]string, len(idx))
	for i, c := range idx {
		parts[i] = cite(w.claims[c])
	}
	return strings.Join(parts, " ")
}

// summaryCount is how many sentences the Summary takes: a quarter of the
// findings, at least 1, at most SummarySentences.
func (w *writing) summaryCount() int {
	return max(1, min(w.m.opts.SummarySentences, len(w.claims)/4))
}

// report writes the report: title, Summary (the sentences most relevant to
// the brief), then one section per sub-question holding the unused claims
// most similar to it. Each claim is used once; a sub-question no claim is
// relevant to gets no section.
func (w *writing) report(ctx context.Context) string {
	var b strings.Builder
	b.WriteString("# " + w.title() + "\n\n## Summary\n\n")
	if len(w.claims) == 0 {
		b.WriteString(noFindings + "\n")
		return b.String()
	}
	used := make([]bool, len(w.claims))
	query := w.brief + " " + strings.Join(w.subqs, " ")
	sum := w.pick(query, w.summaryCount(), used)
	if len(sum) == 0 { // nothing relates to the brief: lead with the first findings
		for i := 0; i < len(w.claims) && len(sum) < w.summaryCount(); i++ {
			used[i] = true
			sum = append(sum, i)
		}
	}
	b.WriteString(w.paragraph(sum) + "\n")
	for j, body := range w.sections(ctx, used) {
		if len(body) == 0 {
			continue
		}
		b.WriteString("\n## " + strings.TrimRight(collapse(w.subqs[j]), " ") + "\n\n" + w.paragraph(body) + "\n")
	}
	return b.String()
}

// sections assigns the unused claims to sub-questions: each claim to the
// sub-question it is most similar to, best first, near-duplicates and
// claims beyond SectionSentences dropped; a sub-question left empty takes
// the most similar claim still unused, or one from a section that has
// more than one.
func (w *writing) sections(ctx context.Context, used []bool) [][]int {
	out := make([][]int, len(w.subqs))
	if len(w.subqs) == 0 {
		return out
	}
	sims := make([][]float64, len(w.subqs))
	for j, q := range w.subqs {
		sims[j] = w.sims(q)
	}
	assigned := make([][]int, len(w.subqs))
	for i := range w.claims {
		if used[i] {
			continue
		}
		best := -1
		for j := range w.subqs {
			if sims[j][i] > 0 && (best < 0 || sims[j][i] > sims[best][i]) {
				best = j
			}
		}
		if best >= 0 {
			assigned[best] = append(assigned[best], i)
		}
	}
	for j, idx := range assigned {
		if checkCtx(ctx) != nil {
			return out
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case sims[j][a] > sims[j][b]:
				return -1
			case sims[j][a] < sims[j][b]:
				return 1
			}
			return a - b
		})
		for _, i := range idx {
			if len(out[j]) >= w.m.opts.SectionSentences || tooSimilar(w.vs, out[j], i, w.m.opts.Redundancy) {
				continue
			}
			out[j] = append(out[j], i)
			used[i] = true
		}
	}
	for j := range out {
		if len(out[j]) > 0 {
			continue
		}
		best, from := -1, -1
		for i := range w.claims {
			if sims[j][i] <= 0 || (best >= 0 && sims[j][i] <= sims[j][best]) {
				continue
			}
			if !used[i] {
				best, from = i, -1
				continue
			}
			for k := range out {
				if k != j && len(out[k]) > 1 && slices.Contains(out[k], i) {
					best, from = i, k
				}
			}
		}
		if best < 0 {
			continue
		}
		if from >= 0 {
			out[from] = slices.DeleteFunc(out[from], func(i int) bool { return i == best })
		}
		used[best] = true
		out[j] = []int{best}
	}
	return out
}

// block is one section of a report being revised.
type block struct {
	heading string   // "## …" text without the hashes; "" for the preamble
	lines   []string // body lines, blank lines between paragraphs kept
}

// revise fixes a report after a critique: body sentences without a key
// that resolves in the findings, and those the # Claim check lists, are
// removed (unresolved keys, and the keys the # Claim check names as bad
// citations of a sentence, are dropped from sentences that keep a good
// one); each sub-question the critique
// names as uncovered, or whose section was emptied, gets the most similar
// unused findings; an emptied Summary is refilled. Everything else is kept.
func (w *writing) revise(ctx context.Context) string {
	if len(w.claims) == 0 {
		return w.report(ctx)
	}
	title, blocks := parseReport(w.sec[SectionReport])
	if title == "" {
		title = w.title()
	}
	used := make([]bool, len(w.claims))
	index := map[string]int{}
	for i, c := range w.claims {
		index[strings.ToLower(collapse(c.text))] = i
	}
	// Claims the verifier found unsupported or invalid are dropped, and
	// the findings they quote are not used again.
	drop := newClaimMatcher(claimCheck(w.sec[SectionClaimCheck]))
	// Bad citations of otherwise supported claims: only the key goes.
	dropKey := newCitationDropper(citationCheck(w.sec[SectionClaimCheck]))
	for i, c := range w.claims {
		if drop.match(c.text) {
			used[i] = true
		}
	}
	for bi := range blocks {
		var kept []string
		for _, l := range blocks[bi].lines {
			if strings.TrimSpace(l) == "" {
				kept = append(kept, "")
				continue
			}
			var parts []string
			for _, c := range parseClaims(listItem(strings.TrimSpace(l))) {
				if drop.match(c.text) {
					continue
				}
				var good []string
				for _, k := range c.keys {
					if w.keys[k] && !containsStr(good, k) && !dropKey.drops(c.text, k) {
						good = append(good, k)
					}
				}
				if len(good) == 0 {
					continue
				}
				if i, ok := index[strings.ToLower(collapse(c.text))]; ok {
					used[i] = true
				}
				parts = append(parts, cite(claim{text: c.text, keys: good}))
			}
			if len(parts) > 0 {
				kept = append(kept, strings.Join(parts, " "))
			}
		}
		blocks[bi].lines = tidyLines(kept)
	}

	// Which sub-questions need material.
	need := map[int]bool{}
	for _, issue := range bulletItems(w.sec[SectionCritique]) {
		if rest, ok := cutPrefixFold(issue, "uncovered:"); ok {
			if j := w.matchSubq(rest); j >= 0 {
				need[j] = true
			}
		}
	}
	for j, q := range w.subqs {
		bi := findBlock(blocks, q)
		if bi >= 0 && len(blocks[bi].lines) == 0 {
			need[j] = true
		}
	}
	for j, q := range w.subqs {
		if !need[j] || checkCtx(ctx) != nil {
			continue
		}
		add := w.pick(q, min(3, w.m.opts.SectionSentences), used)
		if len(add) == 0 {
			continue
		}
		para := w.paragraph(add)
		if bi := findBlock(blocks, q); bi >= 0 {
			if len(blocks[bi].lines) > 0 {
				blocks[bi].lines = append(blocks[bi].lines, "")
			}
			blocks[bi].lines = append(blocks[bi].lines, para)
			continue
		}
		nb := block{heading: collapse(q), lines: []string{para}}
		at := len(blocks)
		for k := j + 1; k < len(w.subqs); k++ { // before the next sub-question's section
			if bi := findBlock(blocks, w.subqs[k]); bi >= 0 {
				at = bi
				break
			}
		}
		blocks = slices.Insert(blocks, at, nb)
	}
	if bi := findBlock(blocks, "Summary"); bi < 0 {
		blocks = slices.Insert(blocks, min(1, len(blocks)), block{heading: "Summary"})
	}
	if bi := findBlock(blocks, "Summary"); len(blocks[bi].lines) == 0 {
		if idx := w.pick(w.brief+" "+strings.Join(w.subqs, " "), w.summaryCount(), used); len(idx) > 0 {
			blocks[bi].lines = []string{w.paragraph(idx)}
		}
	}

	var b strings.Builder
	b.WriteString("# " + title + "\n")
	for _, bl := range blocks {
		if bl.heading == "" && len(bl.lines) == 0 {
			continue
		}
		if bl.heading != "" {
			if len(bl.lines) == 0 && !strings.EqualFold(bl.heading, "Summary") {
				continue // an emptied section with nothing to put back
			}
			b.WriteString("\n## " + bl.heading + "\n")
		}
		if len(bl.lines) > 0 {
			b.WriteString("\n" + strings.Join(bl.lines, "\n") + "\n")
		}
	}
	return b.String()
}

// parseReport splits a Markdown report into its "# " title and its "## "
// sections; a Sources or References section is dropped.
func parseReport(text string) (title string, blocks []block) {
	blocks = []block{{}}
	skip := false
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case title == "" && strings.HasPrefix(t, "# "):
			title = strings.TrimSpace(t[2:])
			continue
		case strings.HasPrefix(t, "## "):
			h := strings.TrimSpace(strings.TrimLeft(t, "#"))
			skip = strings.EqualFold(h, "Sources") || strings.EqualFold(h, "References")
			if !skip {
				blocks = append(blocks, block{heading: h})
			}
			continue
		}
		if skip {
			continue
		}
		blocks[len(blocks)-1].lines = append(blocks[len(blocks)-1].lines, l)
	}
	for i := range blocks {
		blocks[i].lines = tidyLines(blocks[i].lines)
	}
	return title, blocks
}

// tidyLines trims blank lines at both ends and collapses runs of them.
func tidyLines(ls []string) []string {
	var out []string
	for _, l := range ls {
		blank := strings.TrimSpace(l) == ""
		if blank && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		if blank {
			l = ""
		}
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// findBlock returns the block whose heading is heading (compared without
// case, spacing and trailing punctuation), or -1.
func findBlock(blocks []block, heading string) int {
	want := normHeading(heading)
	for i, b := range blocks {
		if b.heading != "" && normHeading(b.heading) == want {
			return i
		}
	}
	return -1
}

func normHeading(s string) string {
	return strings.ToLower(strings.TrimRight(collapse(s), "?.!: "))
}

// matchSubq returns the sub-question text names: equal headings first,
// else the one sharing the most content words (at least half of them).
func (w *writing) matchSubq(text string) int {
	for j, q := range w.subqs {
		if normHeading(q) == normHeading(text) {
			return j
		}
	}
	ts := termSet(text)
	best, bestN := -1, 0
	for j, q := range w.subqs {
		qs := termSet(q)
		n := 0
		for t := range qs {
			if ts[t] {
				n++
			}
		}
		if n > bestN && n*2 >= len(qs) {
			best, bestN = j, n
		}
	}
	return best
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return strings.TrimSpace(s[len(prefix):]), true
	}
	return "", false
}
