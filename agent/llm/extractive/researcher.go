package extractive

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// research runs the researcher policy. One tool call per turn: search the
// topic, then up to MaxSearches-1 key-phrase queries while searches keep
// bringing new passages; then read_document around the most relevant
// hits (at most MaxReads, in one turn); then the findings. Tool choice
// "none", no tools offered, or MaxToolCalls reached: the findings at once.
func (m *Model) research(ctx context.Context, req llm.Request) (reply, error) {
	us := userTexts(req.Messages)
	if len(us) == 0 {
		return reply{}, badRequest("researcher request without a user message (the topic)")
	}
	topic := collapse(us[0])
	steps := toolSteps(req.Messages)
	pool := collectPassages(steps)

	final := func() (reply, error) {
		text, err := m.findings(ctx, topic, pool)
		return reply{text: text}, err
	}
	if req.ToolChoice.Mode == llm.ToolChoiceNone || len(req.Tools) == 0 || len(steps) >= m.opts.MaxToolCalls {
		return final()
	}
	searchDef, canSearch := toolDef(req.Tools, "search")
	readDef, canRead := toolDef(req.Tools, "read_document")
	if req.ToolChoice.Mode == llm.ToolChoiceTool {
		canSearch = canSearch && req.ToolChoice.Name == "search"
		canRead = canRead && req.ToolChoice.Name == "read_document"
	}

	// Replay the searches: which queries ran, whether the last one found
	// anything new.
	done := map[string]bool{}
	seen := map[string]bool{}
	searches, lastNew, reads := 0, true, 0
	readDocs := map[string]bool{}
	for _, st := range steps {
		switch st.call.Name {
		case "search":
			searches++
			if q := searchQuery(st.call); q != "" {
				done[strings.ToLower(collapse(q))] = true
			}
		case "read_document":
			reads++
			var a map[string]any
			if json.Unmarshal(st.call.Args, &a) == nil {
				for _, k := range []string{"id", "doc_id", "document_id", "doc"} {
					if s, ok := a[k].(string); ok {
						readDocs[s] = true
					}
				}
			}
		}
		if st.result == nil {
			continue
		}
		fresh := 0
		for _, p := range parsePassages(st.result.Content) {
			if !seen[p.key] {
				seen[p.key] = true
				fresh++
			}
		}
		if st.call.Name == "search" {
			lastNew = fresh > 0
		}
	}

	searching := canSearch && searches < m.opts.MaxSearches && (lastNew || len(seen) == 0)
	if searching {
		for _, q := range m.queries(topic) {
			if !done[strings.ToLower(collapse(q))] {
				return reply{calls: []call{{name: "search", args: searchArgs(searchDef, q, m.opts.SearchK)}}}, nil
			}
		}
	}
	if canRead && reads == 0 && m.opts.MaxReads > 0 {
		room := min(m.opts.MaxReads, m.opts.MaxToolCalls-len(steps))
		var calls []call
		for _, p := range m.readTargets(topic, pool, seen, readDocs, room) {
			calls = append(calls, call{name: "read_document", args: readArgs(readDef, p.doc, max(0, p.chunk-1), 3)})
		}
		if len(calls) > 0 {
			return reply{calls: calls}, nil
		}
	}
	return final()
}

// queries returns the researcher's searches, in order: the topic, then
// its best key phrases.
func (m *Model) queries(topic string) []string {
	out := []string{shorten(topic, 300)}
	all := termSet(topic)
	for _, p := range keyPhrases(topic) {
		if len(out) >= m.opts.MaxSearches {
			break
		}
		if len(p.terms) == len(all) {
			continue // the phrase is the topic itself
		}
		out = append(out, p.text)
	}
	return out
}

// collectPassages reads the passages of every tool result, first
// occurrence of a key kept unless a later one has more text (a full
// read_document chunk after a search snippet).
func collectPassages(steps []toolStep) []passage {
	var out []passage
	index := map[string]int{}
	for _, st := range steps {
		if st.result == nil || st.result.IsError {
			continue
		}
		for _, p := range parsePassages(st.result.Content) {
			if i, ok := index[p.key]; ok {
				if len(p.text) > len(out[i].text) {
					if p.title == "" {
						p.title = out[i].title
					}
					out[i] = p
				}
				continue
			}
			index[p.key] = len(out)
			out = append(out, p)
		}
	}
	return out
}

// readTargets picks the passages to read around: most relevant to the
// topic first, one per document, documents not yet read, and only where
// a neighbouring chunk is still unseen.
func (m *Model) readTargets(topic string, pool []passage, seen, readDocs map[string]bool, n int) []passage {
	if n <= 0 || len(pool) == 0 {
		return nil
	}
	docs := make([][]string, len(pool))
	for i, p := range pool {
		docs[i] = terms(p.title + " " + p.text)
	}
	sp := newSpace(docs)
	q := sp.vector(terms(topic))
	type scored struct {
		i   int
		rel float64
	}
	var cands []scored
	for i, p := range pool {
		if r := cosine(q, sp.vector(docs[i])); r > 0 && p.text != "" {
			cands = append(cands, scored{i, r})
		}
	}
	slices.SortStableFunc(cands, func(a, b scored) int {
		switch {
		case a.rel > b.rel:
			return -1
		case a.rel < b.rel:
			return 1
		}
		return a.i - b.i
	})
	var out []passage
	for _, c := range cands {
		p := pool[c.i]
		if readDocs[p.doc] {
			continue
		}
		prev, next := p.doc+"#"+strconv.Itoa(p.chunk-1), p.doc+"#"+strconv.Itoa(p.chunk+1)
		if (p.chunk == 0 || seen[prev]) && seen[next] {
			continue
		}
		readDocs[p.doc] = true
		out = append(out, p)
		if len(out) == n {
			break
		}
	}
	return out
}

// findings renders the researcher's answer: the sentences of the passages
// read, chosen by MMR over TF-IDF relevance to the topic, each with its key.
func (m *Model) findings(ctx context.Context, topic string, pool []passage) (string, error) {
	head := "Findings on: " + topic + "\n\n"
	var cands []claim
	index := map[string]bool{}
	for _, p := range pool {
		// The corpus tools print one paragraph per line: a heading and the
		// paragraph under it are separate lines, never one sentence.
		for _, line := range strings.Split(p.text, "\n") {
			for _, s := range sentences(line) {
				norm := strings.ToLower(s)
				if index[norm] || !goodSentence(s) {
					continue
				}
				index[norm] = true
				cands = append(cands, claim{text: s, keys: []string{p.key}})
			}
		}
	}
	if err := checkCtx(ctx); err != nil {
		return "", err
	}
	if len(cands) == 0 {
		return head + "No sources found.", nil
	}
	picked := m.rank(topic, cands, m.opts.MaxFindings, 3)
	var b strings.Builder
	b.WriteString(head)
	for _, i := range picked {
		b.WriteString("- " + cite(cands[i]) + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// rank selects up to k claims by MMR against query; claims with no
// relevance are taken only to reach a minimum of min(k, 4), in their
// order. perKey caps the claims taken from one passage (0: no cap).
func (m *Model) rank(query string, cands []claim, k, perKey int) []int {
	docs := make([][]string, len(cands))
	for i, c := range cands {
		docs[i] = terms(c.text)
	}
	sp := newSpace(docs)
	q := sp.vector(terms(query))
	vs := make([]vec, len(cands))
	rel := make([]float64, len(cands))
	for i := range cands {
		vs[i] = sp.vector(docs[i])
		rel[i] = cosine(q, vs[i])
	}
	used := map[string]int{}
	allow := func(i int) bool {
		return perKey <= 0 || len(cands[i].keys) == 0 || used[cands[i].keys[0]] < perKey
	}
	picked := mmr(rel, vs, k, m.opts.Lambda, m.opts.Redundancy,
		func(i int) bool { return rel[i] > 0 && allow(i) },
		func(i int) {
			if ks := cands[i].keys; len(ks) > 0 {
				used[ks[0]]++
			}
		})
	for i := 0; i < len(cands) && len(picked) < min(k, 4); i++ {
		if rel[i] == 0 && allow(i) && !tooSimilar(vs, picked, i, m.opts.Redundancy) {
			picked = append(picked, i)
			if ks := cands[i].keys; len(ks) > 0 {
				used[ks[0]]++
			}
		}
	}
	return picked
}

func tooSimilar(vs []vec, picked []int, i int, redundancy float64) bool {
	for _, j := range picked {
		if cosine(vs[i], vs[j]) > redundancy {
			return true
		}
	}
	return false
}

// toolDef returns the offered tool called name.
func toolDef(tools []llm.ToolDef, name string) (llm.ToolDef, bool) {
	for _, t := range tools {
		if t.Name == name {
			return t, true
		}
	}
	return llm.ToolDef{}, false
}

// params returns the property names of a tool's parameter schema, or nil
// when it has none.
func params(def llm.ToolDef) map[string]bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if len(def.Parameters) == 0 || json.Unmarshal(def.Parameters, &s) != nil || len(s.Properties) == 0 {
		return nil
	}
	out := map[string]bool{}
	for k := range s.Properties {
		out[k] = true
	}
	return out
}

// pick returns the first of names the schema has, or names[0] when the
// schema lists no properties or none of them.
func pick(ps map[string]bool, names ...string) (string, bool) {
	for _, n := range names {
		if ps[n] {
			return n, true
		}
	}
	return names[0], ps == nil
}

// searchArgs builds search arguments, naming them as the tool's schema
// does ({"query", "k"} by default).
func searchArgs(def llm.ToolDef, q string, k int) map[string]any {
	ps := params(def)
	qn, _ := pick(ps, "query", "q", "text")
	out := map[string]any{qn: q}
	if kn, ok := pick(ps, "k", "limit", "top_k", "n"); ok {
		out[kn] = k
	}
	return out
}

// readArgs builds read_document arguments ({"id", "offset", "limit"} by
// default).
func readArgs(def llm.ToolDef, doc string, offset, limit int) map[string]any {
	ps := params(def)
	idn, _ := pick(ps, "id", "doc_id", "document_id", "doc")
	out := map[string]any{idn: doc}
	if on, ok := pick(ps, "offset", "start", "chunk"); ok {
		out[on] = offset
	}
	if ln, ok := pick(ps, "limit", "count", "n"); ok {
		out[ln] = limit
	}
	return out
}

// searchQuery returns the query of a search call, whatever its name.
func searchQuery(c llm.ToolCall) string {
	var a map[string]any
	if json.Unmarshal(c.Args, &a) != nil {
		return ""
	}
	for _, k := range []string{"query", "q", "text"} {
		if s, ok := a[k].(string); ok {
			return s
		}
	}
	return ""
}
