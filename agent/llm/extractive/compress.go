package extractive

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/summarize"
)

// compress shortens a researcher's answer to Request.MaxTokens: it keeps
// the lines that carry a source key, most relevant to the topic first, in
// their original order, under their "Findings on:" headers. Without keyed
// lines it keeps the answer's most relevant sentences instead. A budget of
// 0 keeps every keyed line.
func (m *Model) compress(ctx context.Context, req llm.Request) (reply, error) {
	us := userTexts(req.Messages)
	if len(us) == 0 {
		return reply{}, badRequest("compressor request without a user message")
	}
	topic, answer := splitCompressInput(us[len(us)-1])
	if strings.TrimSpace(answer) == "" {
		return reply{}, badRequest("compressor request has nothing to compress")
	}

	type line struct {
		text   string
		header int // index of its header line, or -1
		keyed  bool
	}
	var lines []line
	header := -1
	seen := map[string]bool{}
	for _, l := range strings.Split(answer, "\n") {
		t := strings.TrimRight(l, " \t")
		switch {
		case strings.TrimSpace(t) == "":
			continue
		case strings.HasPrefix(strings.TrimSpace(t), "Findings on:"):
			header = len(lines)
			lines = append(lines, line{text: strings.TrimSpace(t), header: -1})
			if topic == "" {
				topic = strings.TrimPrefix(strings.TrimSpace(t), "Findings on:")
			}
		case seen[strings.TrimSpace(t)]:
			continue // a repeated line
		default:
			seen[strings.TrimSpace(t)] = true
			lines = append(lines, line{text: t, header: header, keyed: keyRE.MatchString(t)})
		}
	}
	if topic == "" {
		topic = strings.SplitN(strings.TrimSpace(answer), "\n", 2)[0]
	}
	var cands []claim // the keyed lines, as rankable text
	var at []int      // their index in lines
	for i, l := range lines {
		if l.keyed {
			cands = append(cands, claim{text: keyRE.ReplaceAllString(l.text, " ")})
			at = append(at, i)
		}
	}
	if len(cands) == 0 {
		return m.compressSentences(ctx, topic, answer, req.MaxTokens)
	}
	order := m.byRelevance(topic, cands)
	keep := make([]bool, len(lines))
	render := func() string {
		var b strings.Builder
		shown := map[int]bool{}
		for i, l := range lines {
			if !keep[i] {
				continue
			}
			if l.header >= 0 && !shown[l.header] {
				shown[l.header] = true
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString(lines[l.header].text + "\n\n")
			}
			b.WriteString(l.text + "\n")
		}
		return strings.TrimRight(b.String(), "\n")
	}
	tok := m.opts.Tokenizer
	for _, c := range order {
		if err := checkCtx(ctx); err != nil {
			return reply{}, err
		}
		keep[at[c]] = true
		if req.MaxTokens > 0 && tok.Count(render()) > req.MaxTokens {
			keep[at[c]] = false
		}
	}
	out := render()
	if out == "" {
		return reply{}, badRequest("budget of %d tokens holds none of the answer's %d cited lines", req.MaxTokens, len(cands))
	}
	return reply{text: out}, nil
}

// compressSentences keeps the answer's most relevant sentences, in their
// order, within maxTokens.
func (m *Model) compressSentences(ctx context.Context, topic, answer string, maxTokens int) (reply, error) {
	var cands []claim
	for _, s := range sentences(answer) {
		cands = append(cands, claim{text: s})
	}
	order := m.byRelevance(topic, cands)
	keep := make([]bool, len(cands))
	render := func() string {
		var parts []string
		for i, c := range cands {
			if keep[i] {
				parts = append(parts, c.text)
			}
		}
		return strings.Join(parts, " ")
	}
	for _, i := range order {
		if err := checkCtx(ctx); err != nil {
			return reply{}, err
		}
		keep[i] = true
		if maxTokens > 0 && m.opts.Tokenizer.Count(render()) > maxTokens {
			keep[i] = false
		}
	}
	if out := render(); out != "" {
		return reply{text: out}, nil
	}
	return reply{}, badRequest("budget of %d tokens holds no sentence of the answer", maxTokens)
}

// byRelevance returns the indexes of cands by decreasing TF-IDF cosine
// similarity to query, earliest first on ties.
func (m *Model) byRelevance(query string, cands []claim) []int {
	docs := make([][]string, len(cands))
	for i, c := range cands {
		docs[i] = terms(c.text)
	}
	sp := newSpace(docs)
	q := sp.vector(terms(query))
	rel := make([]float64, len(cands))
	order := make([]int, len(cands))
	for i := range cands {
		rel[i] = cosine(q, sp.vector(docs[i]))
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rel[a] > rel[b]:
			return -1
		case rel[a] < rel[b]:
			return 1
		}
		return a - b
	})
	return order
}

// splitCompressInput reads the context engine's compressor prompt,
// "Brief:\n<brief>\n\nAnswer to compress:\n<answer>"; other text is all
// answer, its topic taken from its first line.
func splitCompressInput(text string) (topic, answer string) {
	if before, after, ok := strings.Cut(text, "Answer to compress:"); ok {
		return collapse(strings.TrimPrefix(strings.TrimSpace(before), "Brief:")), strings.TrimSpace(after)
	}
	return "", text
}

// summarize delegates to summarize.Extractive: TextRank over the
// messages, within Request.MaxTokens. A request written by summarize.Model
// (one user message holding <task> and <transcript>) is unwrapped first.
func (m *Model) summarize(ctx context.Context, req llm.Request) (reply, error) {
	var msgs []llm.Message
	focus := ""
	for _, msg := range req.Messages {
		if msg.Role == llm.RoleSystem {
			continue
		}
		t := msg.Text()
		if msg.Role == llm.RoleUser && strings.Contains(t, "<transcript>") {
			focus = collapse(between(t, "<task>", "</task>"))
			msg = llm.Message{ID: msg.ID + "/transcript", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart(between(t, "<transcript>", "</transcript>"))}}
		}
		msgs = append(msgs, msg)
	}
	if len(msgs) == 0 {
		return reply{}, badRequest("summarizer request has no messages to summarize")
	}
	s, err := m.sum.Summarize(ctx, summarize.Request{Messages: msgs, Focus: focus, MaxTokens: req.MaxTokens, Counter: m.opts.Tokenizer})
	if err != nil {
		return reply{}, fmt.Errorf("extractive: summarize: %w", err)
	}
	return reply{text: s}, nil
}

// between returns the text between the first open and the following
// close, or everything after open when close is missing.
func between(s, open, close string) string {
	_, after, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	if in, _, ok := strings.Cut(after, close); ok {
		return strings.TrimSpace(in)
	}
	return strings.TrimSpace(after)
}
