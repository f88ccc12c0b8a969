package extractive

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/llm"
)

// question returns the # Question section, or the last user message.
func question(req llm.Request) (q, clarifications string, err error) {
	if s, ok := sectionsOf(req.Messages); ok && s[SectionQuestion] != "" {
		return collapse(s[SectionQuestion]), strings.TrimSpace(s[SectionClarifications]), nil
	}
	us := userTexts(req.Messages)
	if len(us) == 0 {
		return "", "", badRequest("no question: the request has no user message")
	}
	return collapse(us[len(us)-1]), "", nil
}

func jsonReply(v any) (reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return reply{}, fmt.Errorf("extractive: encode reply: %w", err)
	}
	return reply{text: string(b)}, nil
}

// clarify asks for clarification only when the question has fewer than
// two content words.
func (m *Model) clarify(_ context.Context, req llm.Request) (reply, error) {
	q, _, err := question(req)
	if err != nil {
		return reply{}, err
	}
	var out struct {
		Need         bool   `json:"need_clarification"`
		Question     string `json:"question"`
		Verification string `json:"verification"`
	}
	if len(termSet(q)) < 2 {
		out.Need = true
		out.Question = fmt.Sprintf("Your question %q names too little to research. What exactly do you want to know about it: which subject, aspect or context?", q)
		out.Verification = "Research will start once the question names its subject."
	} else {
		out.Verification = "I will research: " + q
	}
	return jsonReply(out)
}

// brief restates the question (and clarifications) and decomposes it into
// sub-questions.
func (m *Model) brief(_ context.Context, req llm.Request) (reply, error) {
	q, clar, err := question(req)
	if err != nil {
		return reply{}, err
	}
	if q == "" {
		return reply{}, badRequest("empty # Question")
	}
	b := q
	if clar != "" {
		b += "\n\nClarifications from the user: " + collapse(clar)
	}
	return jsonReply(struct {
		Brief        string   `json:"brief"`
		SubQuestions []string `json:"sub_questions"`
	}{b, decompose(q)})
}

// phrase is a RAKE key phrase.
type phrase struct {
	text  string // original words, joined by spaces
	terms []string
	score float64
	pos   int
}

// keyPhrases extracts RAKE key phrases (Rose et al., 2010): candidate
// phrases are maximal runs of content words between stopwords and
// punctuation; a word scores degree/frequency over the candidates, a phrase
// the sum of its words' scores. Phrases are returned best first (earliest
// first on ties), deduplicated.
func keyPhrases(text string) []phrase {
	var cands []phrase
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			var ts []string
			for _, w := range cur {
				ts = append(ts, stem(strings.ToLower(strings.Trim(w, "-'’"))))
			}
			cands = append(cands, phrase{text: strings.Join(cur, " "), terms: ts, pos: len(cands)})
			cur = nil
		}
	}
	for _, tok := range rakeTokens(text) {
		if tok == "" {
			flush()
			continue
		}
		lw := strings.ToLower(strings.Trim(tok, "-'’"))
		if !isContent(lw) || len(words(lw)) == 0 {
			flush()
			continue
		}
		cur = append(cur, tok)
		if len(cur) == 5 { // overlong runs are split
			flush()
		}
	}
	flush()
	freq, degree := map[string]float64{}, map[string]float64{}
	for _, c := range cands {
		for _, t := range c.terms {
			freq[t]++
			degree[t] += float64(len(c.terms))
		}
	}
	seen := map[string]bool{}
	var out []phrase
	for _, c := range cands {
		k := strings.Join(c.terms, " ")
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, t := range c.terms {
			c.score += degree[t] / freq[t]
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b phrase) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.pos - b.pos
	})
	return out
}

// rakeTokens splits text into words keeping their case and inner hyphens
// and apostrophes ("TF-IDF", "Go's"); "" marks punctuation, a phrase
// boundary.
func rakeTokens(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			w := b.String()
			if i := strings.IndexAny(w, "'’"); i > 0 && (w[i:] == "'s" || w[i:] == "’s") {
				w = w[:i]
			}
			out = append(out, w)
			b.Reset()
		}
	}
	rs := []rune(text)
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case (r == '-' || r == '\'' || r == '’' || r == '.') && b.Len() > 0 && i+1 < len(rs) && (unicode.IsLetter(rs[i+1]) || unicode.IsDigit(rs[i+1])):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		default:
			flush()
			out = append(out, "")
		}
	}
	flush()
	return out
}

var (
	clauseSplitRE = regexp.MustCompile(`(?i)(?:,|;)?\s+(?:and|but|also|as well as)\s+(how|what|why|when|where|which|who|whether|does|do|is|are|can|should|will|did)\b`)
	listRE        = regexp.MustCompile(`(?i)^(.*?\b(?:of|for|between|in|on|about|from|with|to|like|including|among|across)\s+)(.+?,.+?,?\s+(?:and|or)\s+[^,]+?)([?.!]*)$`)
	listSepRE     = regexp.MustCompile(`(?i)\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+`)
	pronounRE     = regexp.MustCompile(`(?i)\b(it|they|them)\b`)
)

// decompose turns a question into 1 to 5 sub-questions: one per question
// mark or sentence, compound clauses ("… and how …") split, enumerations
// ("of A, B and C") expanded into one question per item; a single simple
// question gets up to two variants focused on its best key phrases.
// Sub-questions with the same content words are merged.
func decompose(q string) []string {
	var parts []string
	for _, s := range splitQuestions(q) {
		for _, c := range splitClauses(s) {
			parts = append(parts, expandList(c)...)
		}
	}
	out := dedupeQuestions(parts)
	if len(out) == 1 {
		ps := keyPhrases(out[0])
		all := termSet(out[0])
		for _, p := range ps {
			if len(out) == 3 {
				break
			}
			if len(p.terms) == len(all) || p.score < 1 {
				continue // the phrase is the whole question
			}
			out = dedupeQuestions(append(out, "What do the sources say about "+p.text+"?"))
		}
	}
	if len(out) == 0 {
		out = []string{q}
	}
	return out[:min(len(out), 5)]
}

// splitQuestions splits text after each '?' and at sentence ends.
func splitQuestions(q string) []string {
	var out []string
	for _, s := range splitUnit(collapse(q)) {
		for s != "" {
			i := strings.IndexByte(s, '?')
			if i < 0 || i == len(s)-1 {
				out = append(out, strings.TrimSpace(s))
				break
			}
			out = append(out, strings.TrimSpace(s[:i+1]))
			s = strings.TrimSpace(s[i+1:])
		}
	}
	return out
}

// splitClauses splits "What is X and how does it Y?" into "What is X?" and
// "How does X Y?": at a conjunction followed by a question word, a pronoun
// in the second clause replaced by the first clause's best key phrase.
func splitClauses(s string) []string {
	end := ""
	if strings.HasSuffix(s, "?") {
		end = "?"
	}
	locs := clauseSplitRE.FindAllStringSubmatchIndex(s, -1)
	if len(locs) == 0 {
		return []string{s}
	}
	var out []string
	prev := 0
	for _, loc := range locs {
		out = append(out, s[prev:loc[0]])
		prev = loc[2] // the question word starts the next clause
	}
	out = append(out, s[prev:])
	var subject string
	if ps := keyPhrases(out[0]); len(ps) > 0 {
		subject = ps[0].text
	}
	var res []string
	for i, c := range out {
		c = strings.TrimRight(strings.TrimSpace(c), "?.!,;")
		if c == "" {
			continue
		}
		if i > 0 && subject != "" {
			replaced := false
			c = pronounRE.ReplaceAllStringFunc(c, func(p string) string {
				if replaced {
					return p
				}
				replaced = true
				return subject
			})
		}
		res = append(res, capitalize(c)+end)
	}
	return res
}

// expandList turns "What are the trade-offs of A, B and C?" into one
// question per item.
func expandList(s string) []string {
	m := listRE.FindStringSubmatch(s)
	if m == nil {
		return []string{s}
	}
	var items []string
	for _, it := range listSepRE.Split(m[2], -1) {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		if len(strings.Fields(it)) > 5 {
			return []string{s}
		}
		items = append(items, it)
	}
	if len(items) < 3 {
		return []string{s}
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = m[1] + it + m[3]
	}
	return out
}

// dedupeQuestions drops empty questions and those whose content words
// repeat an earlier one's.
func dedupeQuestions(qs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, q := range qs {
		q = collapse(q)
		ts := terms(q)
		if len(ts) == 0 {
			continue
		}
		slices.Sort(ts)
		k := strings.Join(slices.Compact(ts), " ")
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, q)
	}
	return out
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// reformulate returns the topic's three best key phrases, in the order
// they appear, joined by spaces: the topic a retry uses.
func reformulate(topic string) string {
	ps := keyPhrases(topic)
	ps = ps[:min(3, len(ps))]
	slices.SortFunc(ps, func(a, b phrase) int { return a.pos - b.pos })
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.text
	}
	return strings.Join(texts, " ")
}

// supervise runs the supervisor policy: dispatch one conduct_research per
// sub-question (at most max_concurrent_researchers per turn), retry once
// with a reformulated topic each topic whose findings cite no source,
// then call research_complete.
func (m *Model) supervise(_ context.Context, req llm.Request) (reply, error) {
	us := userTexts(req.Messages)
	if len(us) == 0 {
		return reply{}, badRequest("supervisor request without a user message")
	}
	sec := parseSections(us[0])
	subqs := bulletItems(sec[SectionSubQuestions])
	if len(subqs) == 0 {
		if b := collapse(sec[SectionBrief]); b != "" {
			subqs = []string{b}
		} else if len(sec) == 0 {
			subqs = []string{collapse(us[0])}
		}
	}
	if len(subqs) == 0 {
		return reply{}, badRequest("supervisor request has neither # Sub-questions nor # Research brief")
	}
	limits := parseLimits(sec[SectionLimits])
	conc, iters := limits["max_concurrent_researchers"], limits["max_iterations"]
	if conc <= 0 {
		conc = 3
	}
	if iters <= 0 {
		iters = 4
	}
	complete := func() (reply, error) {
		if !hasTool(req.Tools, ToolResearchComplete) {
			return reply{text: "Research is complete."}, nil
		}
		return reply{calls: []call{{name: ToolResearchComplete, args: struct{}{}}}}, nil
	}
	if req.ToolChoice.Mode == llm.ToolChoiceNone || !hasTool(req.Tools, ToolConductResearch) {
		return complete()
	}

	// What was dispatched, in order, and how it came back.
	type dispatch struct {
		topic    string
		answered bool
		notRun   bool // refused (concurrency), to be sent again
		sources  bool // the findings cite a source
	}
	var ds []dispatch
	for _, st := range toolSteps(req.Messages) {
		if st.call.Name != ToolConductResearch {
			continue
		}
		var a struct {
			Topic string `json:"topic"`
		}
		if st.call.DecodeArgs(&a) != nil || strings.TrimSpace(a.Topic) == "" {
			continue
		}
		d := dispatch{topic: collapse(a.Topic)}
		if r := st.result; r != nil {
			d.answered = true
			d.notRun = r.IsError && strings.HasPrefix(r.Content, "not run")
			d.sources = !r.IsError && keyRE.MatchString(r.Content)
		}
		ds = append(ds, d)
	}
	norm := func(s string) string { return strings.ToLower(collapse(s)) }
	sent := map[string]bool{}    // dispatched and run (or running)
	retryOf := map[string]bool{} // topics that are retries
	hasSrc := map[string]bool{}  // topics with cited findings
	pending := 0                 // dispatched, not answered
	var resend []string          // refused, to send again
	for _, d := range ds {
		switch {
		case d.notRun:
			resend = append(resend, d.topic)
			continue
		case !d.answered:
			pending++
		}
		sent[norm(d.topic)] = true
		if d.sources {
			hasSrc[norm(d.topic)] = true
		}
	}
	for _, d := range ds {
		if r := reformulate(d.topic); r != "" && norm(r) != norm(d.topic) {
			retryOf[norm(r)] = true
		}
	}
	if assistantTurns(req.Messages) >= iters {
		return complete()
	}
	var todo []string
	add := func(t string) {
		if len(todo) < conc && !sent[norm(t)] && !containsStr(todo, t) {
			todo = append(todo, t)
		}
	}
	for _, t := range resend {
		add(t)
	}
	for _, q := range subqs {
		add(collapse(q))
	}
	if len(todo) == 0 && pending == 0 {
		for _, d := range ds {
			if !d.answered || d.notRun || hasSrc[norm(d.topic)] || retryOf[norm(d.topic)] {
				continue
			}
			if r := reformulate(d.topic); r != "" && norm(r) != norm(d.topic) {
				add(r)
			}
		}
	}
	if len(todo) == 0 {
		if pending > 0 && hasTool(req.Tools, ToolThink) {
			return reply{calls: []call{{name: ToolThink, args: map[string]string{
				"thought": fmt.Sprintf("Waiting for %d researcher(s) to report back.", pending),
			}}}}, nil
		}
		return complete()
	}
	r := reply{}
	for _, t := range todo {
		r.calls = append(r.calls, call{name: ToolConductResearch, args: map[string]string{"topic": t}})
	}
	return r, nil
}

// parseLimits reads "name: number" lines.
func parseLimits(text string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			out[strings.ToLower(strings.TrimSpace(k))] = n
		}
	}
	return out
}
