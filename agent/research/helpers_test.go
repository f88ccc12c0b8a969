package research_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/research"
	"github.com/deepctx/deepctx/agent/search"
)

// corpusDocs is a small corpus with one document per topic; each has
// several paragraphs so the index holds several passages per document.
var corpusDocs = map[string]string{
	"channels.md":  "# Channels\n\n" + paragraphs("Channels", "A send on a channel happens before the corresponding receive from that channel completes.", 8),
	"mutex.md":     "# Mutexes\n\n" + paragraphs("Mutexes", "For any sync.Mutex variable l, call n of l.Unlock() happens before call m of l.Lock() returns when n < m.", 8),
	"atomics.md":   "# Atomics\n\n" + paragraphs("Atomics", "Atomic operations in sync/atomic behave as if executed in some sequentially consistent order.", 8),
	"gardening.md": "# Gardening\n\n" + paragraphs("Gardening", "Tomatoes need at least six hours of direct sunlight a day.", 4),
}

// paragraphs writes n paragraphs about topic, the first holding fact.
func paragraphs(topic, fact string, n int) string {
	var b strings.Builder
	b.WriteString(fact + "\n\n")
	for i := range n {
		fmt.Fprintf(&b, "%s note %d. This paragraph explains detail number %d of %s in enough words to fill a passage of the index with text that is about %s and nothing else, so that searches for %s find it reliably.\n\n", topic, i, i, strings.ToLower(topic), strings.ToLower(topic), strings.ToLower(topic))
	}
	return b.String()
}

// newIndex builds a real search index of corpusDocs in a temp dir.
func newIndex(t *testing.T) *search.Index {
	t.Helper()
	docs := filepath.Join(t.TempDir(), "docs")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	for name, text := range corpusDocs {
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(text), 0o644))
	}
	idx, err := search.Open(filepath.Join(t.TempDir(), "index"), search.Options{ChunkSize: 400, ChunkOverlap: 40})
	require.NoError(t, err)
	t.Cleanup(func() { idx.Close() })
	_, err = idx.Add(context.Background(), docs)
	require.NoError(t, err)
	return idx
}

var keyRe = regexp.MustCompile(`\[([A-Za-z0-9_.-]+#\d+)\]`)

// section returns the body of the "# name" section of a protocol message.
func section(text, name string) string {
	_, rest, ok := strings.Cut(text, "# "+name+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n# "); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}

func lastUser(req llm.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == llm.RoleUser {
			return req.Messages[i].Text()
		}
	}
	return ""
}

func firstUser(req llm.Request) string {
	for _, m := range req.Messages {
		if m.Role == llm.RoleUser {
			return m.Text()
		}
	}
	return ""
}

func toolResults(req llm.Request) []llm.ToolResult {
	var out []llm.ToolResult
	for _, m := range req.Messages {
		out = append(out, m.ToolResults()...)
	}
	return out
}

func reply(text string, calls ...llm.ToolCall) llm.Response {
	finish := llm.FinishStop
	if len(calls) > 0 {
		finish = llm.FinishToolCalls
	}
	return llm.Response{Message: llm.Assistant(text, calls...), FinishReason: finish}
}

func call(id, name string, args any) llm.ToolCall {
	data, _ := json.Marshal(args)
	return llm.ToolCall{ID: id, Name: name, Args: data}
}

// researchModel plays every role of the research agent like a diligent
// LLM would, deterministically, and records what each role was sent.
type researchModel struct {
	mu       sync.Mutex
	requests map[llm.CallRole][]llm.Request
	// topics are the supervisor's conduct_research topics.
	topics []string
	// bogusKey makes the writer cite a passage that does not exist.
	bogusKey bool
	// reads is how many read_document calls a researcher makes after its
	// search (at most one per hit).
	reads int
	// onResearcher, if set, runs before each researcher call.
	onResearcher func(topic string) error
}

func (m *researchModel) record(req llm.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests == nil {
		m.requests = map[llm.CallRole][]llm.Request{}
	}
	m.requests[req.Role] = append(m.requests[req.Role], req)
}

func (m *researchModel) sent(role llm.CallRole) []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.requests[role])
}

func (m *researchModel) Respond(req llm.Request) (llm.Response, error) {
	m.record(req)
	switch req.Role {
	case llm.CallPlanner:
		switch {
		case req.Schema != nil && req.Schema.Name == "clarify_decision":
			return reply(`{"need_clarification": true, "question": "Which aspect matters most?", "verification": "ok"}`), nil
		case req.Schema != nil:
			return reply(`{"brief": "Explain how Go synchronizes goroutines.", "sub_questions": ["How do channels synchronize?", "How does sync.Mutex order operations?", "What do atomics guarantee?"]}`), nil
		}
		if len(toolResults(req)) == 0 {
			var calls []llm.ToolCall
			for i, topic := range m.topics {
				calls = append(calls, call(fmt.Sprintf("sv_%d", i+1), "conduct_research", map[string]string{"topic": topic}))
			}
			return reply("", calls...), nil
		}
		return reply("", call("sv_done", "research_complete", map[string]string{})), nil
	case llm.CallResearcher:
		topic := firstUser(req)
		if m.onResearcher != nil {
			if err := m.onResearcher(topic); err != nil {
				return llm.Response{}, err
			}
		}
		results := toolResults(req)
		if req.ToolChoice.Mode != llm.ToolChoiceNone && len(results) == 0 {
			return reply("", call("r_search", "search", map[string]any{"query": topic, "k": 3})), nil
		}
		if req.ToolChoice.Mode != llm.ToolChoiceNone && len(results) >= 1 && len(results) <= m.reads {
			// Read around each of the first hits of the search, one by one.
			keys := keyRe.FindAllStringSubmatch(results[0].Content, -1)
			if len(keys) >= len(results) {
				return reply("", call(fmt.Sprintf("r_read%d", len(results)), "read_document", map[string]any{"id": keys[len(results)-1][1], "limit": 4})), nil
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Findings on: %s\n\n", topic)
		seen := map[string]bool{}
		for _, r := range results {
			for _, k := range keyRe.FindAllStringSubmatch(r.Content, -1) {
				if !seen[k[1]] {
					seen[k[1]] = true
					fmt.Fprintf(&b, "- %s is documented here [%s]\n", topic, k[1])
				}
			}
		}
		return reply(b.String()), nil
	case llm.CallCompressor, llm.CallSummarizer:
		text := lastUser(req)
		keys := keyRe.FindAllString(text, 3)
		return reply("Compressed findings " + strings.Join(keys, " ")), nil
	case llm.CallWriter:
		findings := section(lastUser(req), "Findings")
		keys := keyRe.FindAllString(findings, -1)
		var b strings.Builder
		b.WriteString("# Go synchronization\n\n## Summary\n\n")
		for i, k := range keys {
			if i == 6 {
				break
			}
			fmt.Fprintf(&b, "Claim %d is supported by a passage %s.\n\n", i+1, k)
		}
		if m.bogusKey && section(lastUser(req), "Critique") == "" {
			b.WriteString("A claim citing nothing real [ffffffffffff#99].\n\n")
			b.WriteString("An uncited paragraph that makes a claim without any source at all.\n")
		}
		return reply(b.String()), nil
	case llm.CallCritic:
		report := section(lastUser(req), "Report")
		check := section(lastUser(req), "Citation check")
		if check != "" {
			return reply(fmt.Sprintf(`{"score": 0.5, "issues": [%q], "uncovered": []}`, check)), nil
		}
		if strings.Contains(report, "Claim 1") {
			return reply(`{"score": 0.9, "issues": [], "uncovered": []}`), nil
		}
		return reply(`{"score": 0.1, "issues": ["empty"], "uncovered": []}`), nil
	}
	return llm.Response{}, fmt.Errorf("unexpected role %q", req.Role)
}

func searchKey(s research.Source) search.Key { return search.Key{DocID: s.DocID, Chunk: s.Chunk} }
