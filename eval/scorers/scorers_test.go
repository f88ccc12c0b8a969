package scorers_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/benchmarks/contextbench"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/scorers"
)

// score runs the offline scorer named name.
func score(t *testing.T, name string, s eval.Sample, r eval.Result) (eval.Score, error) {
	t.Helper()
	n, err := scorers.ByName(scorers.Offline(scorers.Options{}), name)
	require.NoError(t, err)
	return n.Scorer.Score(context.Background(), s, r)
}

func mustScore(t *testing.T, name string, s eval.Sample, r eval.Result) eval.Score {
	t.Helper()
	v, err := score(t, name, s, r)
	require.NoError(t, err)
	return v
}

func requireSkip(t *testing.T, name string, s eval.Sample, r eval.Result) {
	t.Helper()
	_, err := score(t, name, s, r)
	require.ErrorIs(t, err, eval.ErrSkip)
}

func TestOfflineOrderAndDirection(t *testing.T) {
	all := scorers.Offline(scorers.Options{})
	assert.Equal(t, []string{
		"fact_recall", "supported_fact_recall", "citation_accuracy", "invalid_citations",
		"effective_citations", "uncited_claims", "source_recall", "abstention",
		"tokens_in", "tokens_out", "tokens_cached", "billed_tokens", "cost_usd",
		"peak_context_tokens", "tool_calls", "wall_s",
	}, scorers.Names(all))
	lower := map[string]bool{
		"invalid_citations": true, "uncited_claims": true, "tokens_in": true, "tokens_out": true,
		"tokens_cached": true, "billed_tokens": true, "cost_usd": true, "peak_context_tokens": true,
		"tool_calls": true, "wall_s": true,
	}
	for _, n := range all {
		assert.Equal(t, !lower[n.Name], n.Higher, n.Name)
		assert.NotNil(t, n.Scorer, n.Name)
	}
}

func TestSelect(t *testing.T) {
	all := scorers.Offline(scorers.Options{})
	tests := []struct {
		name    string
		names   []string
		want    []string
		wantErr string
	}{
		{name: "none selects all", names: nil, want: scorers.Names(all)},
		{name: "order of the list, once each", names: []string{"cost_usd", "fact_recall", "fact_recall"}, want: []string{"fact_recall", "cost_usd"}},
		{name: "comma separated", names: []string{"abstention, source_recall"}, want: []string{"source_recall", "abstention"}},
		{name: "unknown", names: []string{"fact_recal"}, wantErr: `unknown scorer "fact_recal" (valid: fact_recall, supported_fact_recall,`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scorers.Select(all, tt.names...)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, scorers.ErrUnknownScorer)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "wall_s)")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, scorers.Names(got))
		})
	}
	_, err := scorers.ByName(all, "nope")
	require.ErrorIs(t, err, scorers.ErrUnknownScorer)
	n, err := scorers.ByName(all, " abstention ")
	require.NoError(t, err)
	assert.Equal(t, "abstention", n.Name)
}

func TestBody(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no sources", "# T\n\nText [1].", "# T\n\nText [1]."},
		{"sources dropped", "# T\n\nText [1].\n\n## Sources\n\n1. GOGC — a.html\n", "# T\n\nText [1]."},
		{"references dropped", "# T\n\nText.\n\n### References\n1. x\n", "# T\n\nText."},
		{"last heading only", "# T\n\n## Sources\n\nA section about sources.\n\n## Sources\n\n1. x", "# T\n\n## Sources\n\nA section about sources."},
		{"fenced heading kept", "# T\n\n```\n## Sources\n```\nafter", "# T\n\n```\n## Sources\n```\nafter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, scorers.Body(tt.in)) })
	}
}

func TestFactRecall(t *testing.T) {
	sample := eval.Sample{ID: "q", KeyFacts: []eval.Fact{
		{Any: []string{"GOGC=100", "GOGC is 100"}, Weight: 3},
		{Regex: `sync/atomic`},
		{Any: []string{"happens before"}},
	}}
	report := "# GC\n\nThe default GOGC is 100 [1]. Writes happen before reads.\n\n## Sources\n\n1. sync/atomic — happens before\n"
	tests := []struct {
		name   string
		report string
		drafts []eval.Draft
		want   float64
		found  []string
		missed []string
		rounds []float64
	}{
		{name: "weighted, sources list excluded", report: report, want: 3.0 / 5, found: []string{"GOGC=100"}, missed: []string{"/sync/atomic/", "happens before"}},
		{name: "whitespace and case normalised", report: "gogc   IS\n100; Sync/Atomic; HAPPENS before", want: 1, found: []string{"GOGC=100", "/sync/atomic/", "happens before"}, missed: []string{}},
		{name: "none", report: "Nothing relevant.", want: 0, found: []string{}, missed: []string{"GOGC=100", "/sync/atomic/", "happens before"}},
		{
			name: "per round", report: report,
			drafts: []eval.Draft{{Round: 0, Report: "nothing"}, {Round: 1, Report: "happens before"}, {Round: 2, Report: report}},
			want:   3.0 / 5, found: []string{"GOGC=100"}, missed: []string{"/sync/atomic/", "happens before"},
			rounds: []float64{0, 1.0 / 5, 3.0 / 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustScore(t, "fact_recall", sample, eval.Result{Output: eval.Output{Report: tt.report, Drafts: tt.drafts}})
			assert.InDelta(t, tt.want, got.Value, 1e-9)
			assert.Equal(t, tt.found, got.Metadata["found"])
			assert.Equal(t, tt.missed, got.Metadata["missed"])
			if tt.rounds == nil {
				assert.NotContains(t, got.Metadata, "rounds")
			} else {
				assert.InDeltaSlice(t, tt.rounds, got.Metadata["rounds"], 1e-9)
			}
		})
	}
	requireSkip(t, "fact_recall", eval.Sample{ID: "none"}, eval.Result{Output: eval.Output{Report: report}})
}

func TestMatchSource(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"go_mem.html", "/usr/local/go/doc/go_mem.html", true},
		{"go_mem.html", "go_mem.html", true},
		{"go_mem.html", "/doc/go_mem.html.bak", false},
		{"sync/atomic", "/goroot/src/sync/atomic", true},
		{"sync/atomic", "/goroot/src/atomic", false},
		{"sync/atomic", "atomic", false},
		{"atomic/*.go", "/goroot/src/sync/atomic/doc.go", true},
		{"atomic/*.go", "/goroot/src/sync/atomic/x/doc.go", false},
		{"*.html", "/a/b/go_spec.html", true},
		{"go_*.html", "/a/b/go_spec.html", true},
		{"./doc/go_mem.html", "/root/doc/go_mem.html", true},
		{"/doc/go_mem.html", "/root/doc/go_mem.html", true},
		{"sync/", "/goroot/src/sync/", true},
		{"", "/a/b", false},
		{"x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.path, func(t *testing.T) {
			got, err := scorers.MatchSource(tt.pattern, tt.path)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := scorers.MatchSource("[", "/a")
	require.Error(t, err)
}

func TestSourceRecall(t *testing.T) {
	out := eval.Output{Sources: []eval.Source{
		{N: 1, DocID: "d1", Path: "/usr/local/go/doc/go_mem.html"},
		{N: 2, DocID: "d2", Path: "/usr/local/go/src/sync/atomic/doc.go"},
		{N: 3, DocID: "runtime-doc"},
	}}
	tests := []struct {
		name     string
		expected []string
		want     float64
		missed   []string
	}{
		{"basename", []string{"go_mem.html"}, 1, []string{}},
		{"globs and segments", []string{"sync/atomic/*.go", "doc/*.html", "go_spec.html", "runtime/*"}, 0.5, []string{"go_spec.html", "runtime/*"}},
		{"doc id when no path", []string{"runtime-*"}, 1, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustScore(t, "source_recall", eval.Sample{ExpectedSources: tt.expected}, eval.Result{Output: out})
			assert.InDelta(t, tt.want, got.Value, 1e-9)
			assert.Equal(t, tt.missed, got.Metadata["missed"])
		})
	}
	got := mustScore(t, "source_recall", eval.Sample{ExpectedSources: []string{"go_mem.html"}}, eval.Result{Output: out})
	assert.Equal(t, map[string]string{"go_mem.html": "/usr/local/go/doc/go_mem.html"}, got.Metadata["cited"])
	requireSkip(t, "source_recall", eval.Sample{}, eval.Result{Output: out})
	_, err := score(t, "source_recall", eval.Sample{ExpectedSources: []string{"[x"}}, eval.Result{Output: out})
	require.Error(t, err)
	require.NotErrorIs(t, err, eval.ErrSkip)
}

func TestAbstention(t *testing.T) {
	unanswerable := eval.Sample{ID: "u", Tags: []string{"unanswerable"}}
	tests := []struct {
		name   string
		report string
		want   float64
	}{
		{
			name:   "declines in the summary",
			report: "# Go 2.5 GC\n\n## Summary\n\nThe corpus does not mention Go 2.5. It documents GOGC for current releases [1].\n\n## GOGC\n\nGOGC defaults to 100 [1].\n\n## Sources\n\n1. x\n",
			want:   1,
		},
		{
			name:   "no findings",
			report: "# Q\n\n## Summary\n\nNo findings were available.\n",
			want:   1,
		},
		{
			name:   "contraction and emphasis",
			report: "# Q\n\nThe documentation **doesn’t cover** this question.\n",
			want:   1,
		},
		{
			name:   "no summary: first paragraph",
			report: "# Q\n\n## Background\n\nI could not find any statement about this in the corpus.\n\n## Details\n\nGOGC defaults to 100 [1].",
			want:   1,
		},
		{
			name:   "declining sentence with an answer marker is no answer",
			report: "# Q\n\n## Summary\n\nIn short, the corpus does not cover Go 2.5.",
			want:   1,
		},
		{
			name:   "confident invented answer",
			report: "# Go 2.5 GC\n\n## Summary\n\nGo 2.5 raises the default GOGC to 150 [1].\n\n## Sources\n\n1. x\n",
			want:   0,
		},
		{
			name:   "answers up front, concedes at the end",
			report: "# Q\n\n## Summary\n\nGo 2.5 raises GOGC to 150 [1].\n\n## Limitations\n\nThe corpus does not mention Go 2.5 explicitly.",
			want:   0,
		},
		{
			name:   "declines, then answers anyway",
			report: "# Q\n\n## Summary\n\nThe corpus does not say. The answer is 150, certainly [1].",
			want:   0,
		},
		{
			name:   "yes answer",
			report: "# Q\n\n## Summary\n\nNo information on Go 2.5 was found.\n\n## Details\n\n- Yes, it is 150.",
			want:   0,
		},
		{
			name:   "declining phrase only in the sources list",
			report: "# Q\n\n## Summary\n\nGOGC is 150 [1].\n\n## Sources\n\nNo information.",
			want:   0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustScore(t, "abstention", unanswerable, eval.Result{Output: eval.Output{Report: tt.report}})
			assert.Equal(t, tt.want, got.Value, got.Explanation)
			assert.NotEmpty(t, got.Explanation)
		})
	}
	requireSkip(t, "abstention", eval.Sample{ID: "a"}, eval.Result{Output: eval.Output{Report: "No findings."}})

	a := scorers.CheckAbstention("# Q\n\n## Summary\n\nThe corpus does not say. The answer is 150 [1].")
	assert.Equal(t, "The corpus does not say.", a.Declines)
	assert.Equal(t, "The answer is 150 [1].", a.Answers)
	assert.False(t, a.Abstains())
}

func TestEfficiency(t *testing.T) {
	out := eval.Output{
		Usage:       llm.Usage{Input: 1_000_000, CachedInput: 400_000, Output: 200_000, Reasoning: 50_000},
		Model:       "openai:gpt-4.1",
		ToolCalls:   12,
		ModelCalls:  30,
		PeakContext: 48_000,
	}
	r := eval.Result{Output: out, Wall: 90 * time.Second}
	tests := []struct {
		name string
		want float64
	}{
		{"tokens_in", 1_000_000},
		{"tokens_out", 200_000},
		{"tokens_cached", 400_000},
		{"billed_tokens", 600_000 + 200_000 + 40_000},
		// 0.6M × $2 + 0.4M × $0.50 + 0.2M × $8
		{"cost_usd", 1.2 + 0.2 + 1.6},
		{"peak_context_tokens", 48_000},
		{"tool_calls", 12},
		{"wall_s", 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustScore(t, tt.name, eval.Sample{}, r)
			assert.InDelta(t, tt.want, got.Value, 1e-9)
			assert.NotEmpty(t, got.Explanation)
		})
	}
	assert.Equal(t, contextbench.CachedInputPrice, scorers.CachedInputShare)
	requireSkip(t, "wall_s", eval.Sample{}, eval.Result{Output: out})
}

func TestCost(t *testing.T) {
	u := llm.Usage{Input: 2_000_000, CachedInput: 1_000_000, Output: 1_000_000}
	tests := []struct {
		model string
		want  float64 // -1: skipped
	}{
		{"extractive", 0},
		{"gpt-4.1-mini", 0.4 + 0.1 + 1.6},
		{"openai:gpt-4.1-mini-2025-04-14", 0.4 + 0.1 + 1.6},
		{"openai:gpt-4o-mini", 0.15 + 0.075 + 0.6},
		{"openai:o4-mini", 1.1 + 0.275 + 4.4},
		{"anthropic:claude-sonnet-4-5-20250929", 3 + 0.3 + 15},
		{"anthropic:claude-3-5-haiku-latest", 0.8 + 0.08 + 4},
		{"openrouter:openai/gpt-4o", 2.5 + 1.25 + 10},
		{"google:gemini-2.5-flash", 0.3 + 0.075 + 2.5},
		{"openai:GPT-4.1", 2 + 0.5 + 8},
		{"openai:gpt-4.1-turbo", -1},
		{"openai:o3-deep-research", -1},
		{"ollama:qwen3:8b", -1},
		{"my-own-model", -1},
		{"", -1},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			r := eval.Result{Output: eval.Output{Model: tt.model, Usage: u}}
			if tt.want < 0 {
				requireSkip(t, "cost_usd", eval.Sample{}, r)
				return
			}
			got := mustScore(t, "cost_usd", eval.Sample{}, r)
			assert.InDelta(t, tt.want, got.Value, 1e-9)
		})
	}
	// Options.Prices extends the table.
	all := scorers.Offline(scorers.Options{Prices: map[string]scorers.Price{"my-own-model": {Input: 1, Output: 2}}})
	n, err := scorers.ByName(all, "cost_usd")
	require.NoError(t, err)
	got, err := n.Scorer.Score(context.Background(), eval.Sample{}, eval.Result{Output: eval.Output{Model: "my-own-model", Usage: u}})
	require.NoError(t, err)
	assert.InDelta(t, 1+0+2, got.Value, 1e-9)
}

func TestFactRecallSeesThroughMarkdownEmphasis(t *testing.T) {
	s := eval.Sample{ID: "x", KeyFacts: []eval.Fact{{Any: []string{"happens before the receive"}}, {Any: []string{"unbuffered channel"}}}}
	r := eval.Result{Output: eval.Output{Report: "A send **happens before** the receive on an `unbuffered` channel.\n"}}
	got := mustScore(t, "fact_recall", s, r)
	assert.Equal(t, 1.0, got.Value)
}
