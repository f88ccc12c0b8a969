package summarize

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const planted = "The launch code is 7391."

// plantedPage returns about 5k tokens of Go's documentation with the
// planted fact in the middle, as a fetched page with its call.
func plantedPage(t testing.TB) []llm.Message {
	paras := strings.Split(prefixTokens(goDocProse(t), 5000), "\n\n")
	mid := len(paras) / 2
	paras[mid] += " " + planted
	call := msg("a1", llm.RoleAssistant, llm.ToolCallPart(llm.ToolCall{ID: "call_1", Name: "web_fetch", Args: []byte(`{"url": "https://go.dev/ref/mem"}`)}))
	page := msg("t1", llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: "call_1", Name: "web_fetch", Content: strings.Join(paras, "\n\n")}))
	page.Meta.Artifact = "art_mem"
	return []llm.Message{call, page}
}

func TestExtractiveKeepsPlantedFact(t *testing.T) {
	msgs := plantedPage(t)
	tok := newTok()
	require.Greater(t, tok.Count(msgs[1].Text()+msgs[1].ToolResults()[0].Content), 4500)
	s := Extractive(ExtractiveConfig{})
	for _, budget := range []int{150, 300, 600, 1200} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			out, err := s.Summarize(context.Background(), Request{
				Messages:  msgs,
				Focus:     "What is the launch code of the mission?",
				MaxTokens: budget,
				Counter:   tok,
			})
			require.NoError(t, err)
			assert.Contains(t, out, planted)
			assert.LessOrEqual(t, tok.Count(out), budget)
			assert.True(t, strings.HasPrefix(out, `[tool web_fetch call_1 artifact=art_mem args={"url":"https://go.dev/ref/mem"}]`), out)
		})
	}
}

// TestExtractiveFactBonus checks that, without a focus, a sentence with a
// number and a name beats its twin without them.
func TestExtractiveFactBonus(t *testing.T) {
	text := "The cache stores recent pages for the agent. " +
		"The cache stores recent pages for the agent in memory. " +
		"The cache was measured by Alice at 4312 pages per second. " +
		"The cache was measured by someone at many pages per second. " +
		"Pages in the cache expire after a while."
	tok := newTok()
	budget := tok.Count("[tool f c] The cache was measured by Alice at 4312 pages per second.") + 3 // room for one sentence
	out, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), Request{
		Messages:  []llm.Message{msg("t", llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: "c", Name: "f", Content: text}))},
		MaxTokens: budget,
		Counter:   tok,
	})
	require.NoError(t, err)
	assert.Equal(t, "[tool f c] The cache was measured by Alice at 4312 pages per second.", out)
}

func TestExtractiveDeterministic(t *testing.T) {
	msgs := toolResults(t, 6, 800)
	req := Request{Messages: msgs, MaxTokens: 700, Focus: "memory model and goroutines"}
	first, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), req)
	require.NoError(t, err)
	for range 20 { // map order differs per run: many tries catch order-dependent sums
		again, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
}

func TestExtractiveBudgetAndProvenance(t *testing.T) {
	msgs := toolResults(t, 10, 600)
	tok := newTok()
	for _, budget := range []int{40, 100, 400, 2000, 5000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			out, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), Request{Messages: msgs, MaxTokens: budget, Counter: tok})
			require.NoError(t, err)
			assert.LessOrEqual(t, tok.Count(out), budget)
			lines := strings.Split(out, "\n")
			for _, l := range lines {
				assert.True(t, strings.HasPrefix(l, "[tool web_fetch call_"), l)
			}
			if budget >= 2000 { // room for every tag: all ten results named
				for i := range 10 {
					assert.Contains(t, out, fmt.Sprintf("artifact=art_%04d", i))
				}
				assert.Contains(t, out, ". ", "sentences, not just tags")
			}
		})
	}
}

func TestExtractiveSkipsRepeats(t *testing.T) {
	s := "Chromem stores vectors on disk."
	text := strings.Repeat(s+" ", 5) + "Offloaded results keep a handle."
	out, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), Request{
		Messages:  []llm.Message{llm.Assistant(text)},
		MaxTokens: 200,
	})
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(out, s), out)
	assert.Contains(t, out, "Offloaded results keep a handle.")
}

// TestExtractiveReadsItsSummaries checks that an earlier summary's tagged
// lines keep their tags in the next summary.
func TestExtractiveReadsItsSummaries(t *testing.T) {
	earlier := llm.User(summaryHeaderPrefix + " 4 earlier messages condensed.]\n" +
		"[tool web_fetch c1 artifact=art_1 args={\"url\":\"https://a.org/x\"}] Alpha reached 42 users in 2021.\n" +
		"[tool web_search c2]\n" +
		"[assistant] Decided to compare alpha and beta.")
	earlier.Meta.Provenance = ProvenanceSummary
	later := llm.Tool(llm.ToolResult{CallID: "c3", Name: "web_fetch", Content: "Beta reached 17 users in 2022. Beta is written in Go."})
	out, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), Request{Messages: []llm.Message{earlier, later}, MaxTokens: 300})
	require.NoError(t, err)
	assert.Equal(t, "[tool web_fetch c1 artifact=art_1 args={\"url\":\"https://a.org/x\"}] Alpha reached 42 users in 2021.\n"+
		"[tool web_search c2]\n"+
		"[assistant] Decided to compare alpha and beta.\n"+
		"[tool web_fetch c3] Beta reached 17 users in 2022. Beta is written in Go.", out)
}

func TestExtractiveErrors(t *testing.T) {
	s := Extractive(ExtractiveConfig{})
	_, err := s.Summarize(context.Background(), Request{})
	assert.ErrorIs(t, err, ErrEmptySummary)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Summarize(ctx, Request{Messages: []llm.Message{llm.Assistant("Some text here.")}})
	assert.ErrorIs(t, err, context.Canceled)

	// A budget too small for any sentence or tag.
	_, err = s.Summarize(context.Background(), Request{Messages: []llm.Message{llm.Assistant("A rather long sentence about nothing in particular.")}, MaxTokens: 3})
	assert.ErrorIs(t, err, ErrEmptySummary)
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"plain", "One fact. Two facts! Three? Four", []string{"One fact.", "Two facts!", "Three?", "Four"}},
		{"numbers and urls", "Pi is 3.14 here. See https://go.dev/ref/mem. Done.", []string{"Pi is 3.14 here.", "See https://go.dev/ref/mem.", "Done."}},
		{"abbreviations", "Use e.g. maps. Dr. Smith agreed. J. R. Tolkien wrote it.", []string{"Use e.g. maps.", "Dr. Smith agreed.", "J. R. Tolkien wrote it."}},
		{"lowercase after period", "It costs approx. three dollars. Next.", []string{"It costs approx. three dollars.", "Next."}},
		{"quotes", `He said "stop." Then left.`, []string{`He said "stop."`, "Then left."}},
		{"wrapped prose", "A sentence that\nwraps over lines. Another one.", []string{"A sentence that wraps over lines.", "Another one."}},
		{"paragraphs", "Title\n\nBody text", []string{"Title", "Body text"}},
		{"lists", "Intro:\n- first item\n- second item\n1. numbered", []string{"Intro:", "- first item", "- second item", "1. numbered"}},
		{"no words", "--- *** ---\n\nReal.", []string{"Real."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, splitSentences(tc.in, 500))
		})
	}
	long := strings.Repeat("word ", 300)
	for _, s := range splitSentences(long, 100) {
		assert.LessOrEqual(t, len(s), 100)
	}
}

func TestFacts(t *testing.T) {
	assert.Zero(t, facts("the cache keeps pages."))
	assert.InDelta(t, 0.6, facts("it holds 12 pages."), 1e-9)
	assert.InDelta(t, 0.3, facts("then Alice left."), 1e-9)
	assert.InDelta(t, 0.3, facts("NASA said nothing."), 1e-9)
	assert.InDelta(t, 0.3, facts(`it was "very fast" indeed.`), 1e-9)
	assert.InDelta(t, 1.0, facts("see https://x.org for 3 more."), 1e-9)
}

func TestParseTagged(t *testing.T) {
	tag, rest, ok := parseTagged(`[tool f c1 args={"a":[1,2]}] Text [x] here.`)
	require.True(t, ok)
	assert.Equal(t, `tool f c1 args={"a":[1,2]}`, tag)
	assert.Equal(t, "Text [x] here.", rest)
	tag, rest, ok = parseTagged("[tool f c2]")
	require.True(t, ok)
	assert.Equal(t, "tool f c2", tag)
	assert.Empty(t, rest)
	_, _, ok = parseTagged("[x]y not a tag")
	assert.False(t, ok)
	_, _, ok = parseTagged("plain")
	assert.False(t, ok)
}

// TestExtractiveReadsModelSummaries checks that a free-text earlier
// summary (a model's) is one piece, not one per line.
func TestExtractiveReadsModelSummaries(t *testing.T) {
	earlier := llm.User(summaryHeaderPrefix + " 9 earlier messages condensed.]\n" +
		"- Alpha reached 42 users in 2021 (https://a.org/x).\n" +
		"- Beta is written in Go.\n")
	earlier.Meta.Provenance = ProvenanceSummary
	out, err := Extractive(ExtractiveConfig{}).Summarize(context.Background(), Request{Messages: []llm.Message{earlier}, MaxTokens: 300})
	require.NoError(t, err)
	assert.Equal(t, "[summary] - Alpha reached 42 users in 2021 (https://a.org/x). - Beta is written in Go.", out)
}
