package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/research/verify"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

func sum(mean, se, lo, hi float64, n int) stats.Summary {
	return stats.Summary{Mean: mean, StdErr: se, CI: [2]float64{lo, hi}, N: n, Clusters: n}
}

// fixtureSummary is an eval of two variants on three samples, epochs 1:
// baseline's third attempt failed, its race scores were skipped and one
// of deepctx's citation_accuracy scores failed.
func fixtureSummary() eval.Summary {
	return eval.Summary{
		Suite: "demo", Status: eval.StatusStopped, Note: "max cost reached", Epochs: 1, Reducer: "mean",
		Scorers: []string{"fact_recall", "supported_fact_recall", "citation_accuracy", "source_recall", "race",
			"tokens_in", "billed_tokens", "cost_usd", "wall_s"},
		Variants: []eval.VariantSummary{
			{
				Name: "baseline",
				Scores: map[string]stats.Summary{
					"fact_recall":           sum(0.5, 0.1, 0.3, 0.7, 2),
					"supported_fact_recall": sum(0.25, 0.25, 0, 0.5, 2),
					"citation_accuracy":     sum(0.6, 0.2, 0.4, 0.8, 2),
					"source_recall":         sum(0.5, 0, 0.5, 0.5, 2),
					"tokens_in":             sum(15000, 2000, 13000, 17000, 2),
					"billed_tokens":         sum(12000, 1500, 9000, 15000, 2),
					"cost_usd":              sum(0.012, 0.001, 0.01, 0.014, 2),
					"wall_s":                sum(41.25, 3, 38.25, 44.25, 2),
				},
				Splits: map[string]map[string]stats.Summary{
					"test": {"fact_recall": sum(0.5, 0.1, 0.3, 0.7, 2)},
				},
				Attempts: 3, Errors: 1,
				Skipped: map[string]int{"race": 2},
				Failed:  map[string]int{},
			},
			{
				Name: "deepctx",
				Scores: map[string]stats.Summary{
					"fact_recall":           sum(0.8, 0.05, 0.7, 0.9, 3),
					"supported_fact_recall": sum(0.75, 0.1, 0.55, 0.95, 3),
					"citation_accuracy":     sum(0.9, 0.05, 0.8, 1, 2),
					"source_recall":         sum(1, 0, 1, 1, 3),
					"race":                  sum(0.55, 0.02, 0.51, 0.59, 3),
					"tokens_in":             sum(11000, 1000, 9500, 12500, 3),
					"billed_tokens":         sum(9000, 800, 7600, 10400, 3),
					"cost_usd":              sum(0.009, 0.0008, 0.0076, 0.0104, 3),
					"wall_s":                sum(52.5, 4, 45, 60, 3),
				},
				Splits: map[string]map[string]stats.Summary{
					"test": {"fact_recall": sum(0.75, 0.05, 0.7, 0.8, 2)},
					"dev":  {"fact_recall": sum(0.9, 0, 0.9, 0.9, 1)},
				},
				Rounds: map[string][]stats.Summary{
					"fact_recall":       {sum(0.6, 0.1, 0.4, 0.8, 3), sum(0.7, 0.1, 0.5, 0.9, 3), sum(0.8, 0.05, 0.7, 0.9, 3)},
					"citation_accuracy": {sum(0.7, 0.1, 0.5, 0.9, 2), sum(0.9, 0.05, 0.8, 1, 2)},
				},
				Attempts: 3,
				Skipped:  map[string]int{},
				Failed:   map[string]int{"citation_accuracy": 1},
			},
		},
		Samples: []eval.SampleSummary{
			{Variant: "baseline", ID: "q1", Epoch: 1, Split: "test", Status: eval.RecordOK},
			{Variant: "baseline", ID: "q2", Epoch: 1, Split: "test", Status: eval.RecordOK},
			{Variant: "baseline", ID: "q3", Epoch: 1, Split: "dev", Status: eval.RecordError, Error: "research: context deadline exceeded"},
			{Variant: "deepctx", ID: "q1", Epoch: 1, Split: "test", Status: eval.RecordOK},
			{Variant: "deepctx", ID: "q2", Epoch: 1, Split: "test", Status: eval.RecordOK},
			{Variant: "deepctx", ID: "q3", Epoch: 1, Split: "dev", Status: eval.RecordOK},
		},
		Pairwise: []eval.PairSummary{{A: "baseline", B: "deepctx", Pair: "baseline vs deepctx", Scorer: "pairwise",
			WinB: sum(2.0/3, 0.3333, 0, 1, 3), Wins: [3]int{1, 2, 0},
			Agreement: &stats.Agreement{Method: stats.MethodCohenKappa, Value: 0.4, Items: 3, Judges: 2}}},
		Overhead: sum(12.5, 1.2, 10.1, 14.9, 5),
	}
}

func fixtureOptions() Options {
	return Options{
		Command: "deepctx eval suite.yaml --epochs 1",
		Comparisons: []eval.Comparison{
			{Scorer: "fact_recall", A: "baseline", B: "deepctx", Verdict: "better",
				Paired: stats.Paired{MeanDiff: 0.3, CI: [2]float64{0.1, 0.5}, P: 0.25, N: 2, Significant: true}},
			{Scorer: "billed_tokens", A: "baseline", B: "deepctx", Verdict: "no significant difference",
				Paired: stats.Paired{MeanDiff: -3000, CI: [2]float64{-6500, 500}, P: 0.0004, N: 2}},
			{Scorer: "race", A: "baseline", B: "deepctx", Error: "stats: compare paired: no common clusters"},
		},
		Pairs: []eval.PairRecord{{A: "baseline", B: "deepctx", Sample: "q1", Epoch: 1, Scores: map[string]eval.PairScore{
			"pairwise": {Value: 1, Winner: "b", Explanation: "b: 1 of 1 judge(s) prefer b",
				Metadata: map[string]any{"judges": []any{map[string]any{
					"judge": "judge-1", "resolved": "b", "consistent": true,
					"verdicts": []any{
						map[string]any{"order": "ab", "winner": "b", "explanation": "Report 2 cites the release notes."},
						map[string]any{"order": "ba", "winner": "b", "explanation": "Report 1 is better sourced."},
					},
				}}}},
		}}},
	}
}

const q1Report = "# Go history\n\n" +
	"Go was released in 2009 [1]. It has had generics since 1.18 [2][3].\n" +
	"<script>alert(1)</script> runs in no browser here.\n\n" +
	"## Sources\n\n[1] go.dev history\n[2] release notes\n"

// fixtureClaims returns citation_accuracy's claims for q1Report in the
// verifier's shape, as a log holds them after a JSON round trip.
func fixtureClaims(t *testing.T, report string) []any {
	t.Helper()
	claim := func(text string, cites ...int) verify.Claim {
		i := strings.Index(report, text)
		require.GreaterOrEqual(t, i, 0, text)
		return verify.Claim{Text: text, Cites: cites, Offset: i, End: i + len(text)}
	}
	verdicts := []verify.ClaimVerdict{
		{Claim: claim("Go was released in 2009 [1].", 1), Verdicts: []verify.Verdict{
			{N: 1, DocID: "history.md", Status: verify.StatusSupported, Score: 1, Reason: "the passage states 2009"}}},
		{Claim: claim("It has had generics since 1.18 [2][3].", 2, 3), Verdicts: []verify.Verdict{
			{N: 2, DocID: "go1.18.md", Chunk: 3, Status: verify.StatusUnsupported, Reason: "the passage does not mention 1.18"},
			{N: 3, Status: verify.StatusInvalid, Reason: "no source [3]"}}},
		{Claim: claim("<script>alert(1)</script> runs in no browser here.")},
	}
	data, err := json.Marshal(verdicts)
	require.NoError(t, err)
	var back []any
	require.NoError(t, json.Unmarshal(data, &back))
	return back
}

func fixtureRecords(t *testing.T) []eval.Record {
	t.Helper()
	started := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ok := func(v, id, split string, fr float64) eval.Record {
		return eval.Record{Variant: v, Sample: id, Epoch: 1, Split: split, Status: eval.RecordOK, Attempts: 1,
			Started: started, Finished: started.Add(time.Minute), WallNS: 40 * time.Second, ScoreNS: 12 * time.Millisecond,
			Output: eval.Output{Report: "A report on " + id + ".", Usage: llm.Usage{Input: 10000, Output: 900}, ToolCalls: 7, PeakContext: 4000},
			Scores: map[string]eval.Score{
				"fact_recall": {Value: fr, Explanation: "some key facts found"},
				"race":        {Skipped: true, Explanation: "skipped: no judge model configured"},
			}}
	}
	q1 := ok("deepctx", "q1", "test", 0.5)
	q1.Output = eval.Output{
		Report:  q1Report,
		Sources: []eval.Source{{N: 1, DocID: "history.md", Title: "Go history", Chunk: 0}, {N: 2, DocID: "go1.18.md", Chunk: 3}},
		Usage:   llm.Usage{Input: 12345, Output: 1500, CachedInput: 4000}, Model: "offline",
		ModelCalls: 9, ToolCalls: 23, PeakContext: 6789, ContextEdits: 2,
		Warnings: []string{"search timed out once"},
	}
	q1.Scores = map[string]eval.Score{
		"fact_recall": {Value: 0.5, Explanation: "1 of 2 key facts found in the report",
			Metadata: map[string]any{"found": []any{"released in 2009"}, "missed": []any{"generics in 1.18"}, "rounds": []any{0.5, 0.5}}},
		"citation_accuracy": {Value: 0.5, Explanation: "1 of 2 cited claim–passage pairs supported",
			Metadata: map[string]any{"claims": fixtureClaims(t, q1Report), "supported": 1.0, "unsupported": 1.0, "invalid": 1.0, "uncited": 1.0}},
		"billed_tokens": {Value: 8745},
		"cost_usd":      {Value: 0.01234},
		"race": {Value: 0.55, Explanation: "RACE 0.550 relative to the reference (1 judge)", Metadata: map[string]any{
			"judges": []any{map[string]any{"judge": "judge-1", "target": 6.0, "reference": 5.0, "relative": 0.55,
				"criteria": []any{map[string]any{"criterion": 1.0, "dimension": "comprehensiveness", "target": 6.0, "reference": 5.0,
					"explanation": "Covers the <b>history</b> well."}}}}}},
		"source_recall": {Error: "scorers: glob: syntax error in pattern"},
	}
	failed := eval.Record{Variant: "baseline", Sample: "q3", Epoch: 1, Split: "dev", Status: eval.RecordError,
		Error: "research: context deadline exceeded", Attempts: 3}
	return []eval.Record{
		ok("baseline", "q1", "test", 0.5), ok("baseline", "q2", "test", 0.5), failed,
		q1, ok("deepctx", "q2", "test", 1), ok("deepctx", "q3", "dev", 0.9),
	}
}

func fixtureSuite() *eval.Suite {
	return &eval.Suite{Name: "demo", Samples: []eval.Sample{
		{ID: "q1", Question: "When was Go released, and when did it get generics? <script>alert(2)</script>", Split: "test",
			Tags: []string{"multi-hop"}, KeyFacts: []eval.Fact{{Any: []string{"released in 2009"}}, {Any: []string{"generics in 1.18"}}}},
		{ID: "q2", Question: "Who designed Go?", Split: "test"},
		{ID: "q3", Question: "What is Go's mascot?", Split: "dev"},
	}}
}

func renderMarkdown(t *testing.T, s eval.Summary, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, s, opts))
	return b.String()
}

func renderHTML(t *testing.T, s eval.Summary, records []eval.Record, suite *eval.Suite, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, HTML(&b, s, records, suite, opts))
	return b.String()
}

func TestMarkdown(t *testing.T) {
	md := renderMarkdown(t, fixtureSummary(), fixtureOptions())
	for _, want := range []string{
		"# Eval: demo\n",
		"- Suite: demo\n",
		"- Status: stopped — max cost reached\n",
		"- Epochs: 1, reducer: mean\n",
		"- Command: `deepctx eval suite.yaml --epochs 1`\n",
		"| scorer | baseline | deepctx |\n|---|---|---|\n",
		"| fact_recall | 0.500 ± 0.100 [0.300, 0.700] (n=2) | 0.800 ± 0.050 [0.700, 0.900] (n=3) |\n",
		"| race | — | 0.550 ± 0.020 [0.510, 0.590] (n=3) |\n",
		"| billed_tokens | 12,000 ± 1,500 [9,000, 15,000] (n=2) | 9,000 ± 800 [7,600, 10,400] (n=3) |\n",
		"| cost_usd | $0.0120 ± $0.0010 [$0.0100, $0.0140] (n=2) | $0.0090 ± $0.0008 [$0.0076, $0.0104] (n=3) |\n",
		"| wall_s | 41.2 s ± 3.0 s [38.2 s, 44.2 s] (n=2) | 52.5 s ± 4.0 s [45.0 s, 60.0 s] (n=3) |\n",
		"## Test split\n\n| scorer | baseline | deepctx |\n|---|---|---|\n| fact_recall | 0.500 ± 0.100 [0.300, 0.700] (n=2) | 0.750 ± 0.050 [0.700, 0.800] (n=2) |\n",
		"## Dev split\n\n| scorer | baseline | deepctx |\n|---|---|---|\n| fact_recall | — | 0.900 ± 0.000 [0.900, 0.900] (n=1) |\n",
		"## Critique rounds\n",
		"### fact_recall\n\n| round | baseline | deepctx |\n|---|---|---|\n| 0 (first draft) | — | 0.600 ± 0.100 [0.400, 0.800] (n=3) |\n| 1 | — | 0.700 ± 0.100 [0.500, 0.900] (n=3) |\n| 2 | — | 0.800 ± 0.050 [0.700, 0.900] (n=3) |\n",
		"### citation_accuracy\n",
		"| fact_recall | baseline | deepctx | +0.300 | [+0.100, +0.500] | 0.250 | 2 | **better** |\n",
		"| billed_tokens | baseline | deepctx | -3,000 | [-6,500, +500] | <0.001 | 2 | no significant difference |\n",
		"| race | baseline | deepctx | — | — | — | — | error: stats: compare paired: no common clusters |\n",
		"## Pairwise judge\n",
		"| baseline | deepctx | pairwise | 0.667 ± 0.333 [0.000, 1.000] (n=3) | 1 | 2 | 0 | κ 0.40 (3 items) |\n",
		"12.5 ms ± 1.2 ms [10.1 ms, 14.9 ms] (n=5)",
		"| baseline | 3 | 1 | — | race ×2 |\n",
		"| deepctx | 3 | 0 | citation_accuracy ×1 | — |\n",
		"- baseline/q3/e1: research: context deadline exceeded\n",
	} {
		assert.Contains(t, md, want)
	}
	// Sections without data are left out.
	sparse := fixtureSummary()
	sparse.Pairwise = nil
	for i := range sparse.Variants {
		sparse.Variants[i].Rounds, sparse.Variants[i].Splits = nil, nil
	}
	md = renderMarkdown(t, sparse, Options{})
	for _, absent := range []string{"## Critique rounds", "## Comparisons", "## Pairwise judge", "## Test split", "## Dev split", "- Command:"} {
		assert.NotContains(t, md, absent)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	s := fixtureSummary()
	s.Variants[0].Name = "a|b"
	s.Note = "line one\nline two <b>"
	md := renderMarkdown(t, s, Options{Title: "T", Command: "deepctx eval `x` s.yaml"})
	assert.Contains(t, md, "| scorer | a\\|b | deepctx |")
	assert.Contains(t, md, "- Status: stopped — line one line two &lt;b&gt;\n")
	assert.Contains(t, md, "- Command: ``deepctx eval `x` s.yaml``\n")
	assert.Contains(t, md, "# T\n")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	err := Markdown(failingWriter{}, fixtureSummary(), Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report: markdown: disk full")
	err = HTML(failingWriter{}, fixtureSummary(), nil, nil, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "report: html: disk full")
}

func TestHTML(t *testing.T) {
	page := renderHTML(t, fixtureSummary(), fixtureRecords(t), fixtureSuite(), fixtureOptions())

	t.Run("header and tables", func(t *testing.T) {
		for _, want := range []string{
			"<title>Eval: demo</title>",
			"stopped — max cost reached",
			`<code class="cmd">deepctx eval suite.yaml --epochs 1</code>`,
			`<tr><td>fact_recall</td><td class="num">0.500 ± 0.100 [0.300, 0.700] (n=2)</td><td class="num">0.800 ± 0.050 [0.700, 0.900] (n=3)</td></tr>`,
			`<td class="num">12,000 ± 1,500 [9,000, 15,000] (n=2)</td>`,
			`<h2 id="split-test">Test split</h2>`,
			`<h2 id="split-dev">Dev split</h2>`,
			`<td class="better">better</td>`,
			"error: stats: compare paired: no common clusters",
			`<td class="num">0.667 ± 0.333 [0.000, 1.000] (n=3)</td>`,
			"12.5 ms ± 1.2 ms [10.1 ms, 14.9 ms] (n=5)",
			"race ×2", "citation_accuracy ×1",
			"baseline/q3/e1: research: context deadline exceeded",
		} {
			assert.Contains(t, page, want)
		}
		assert.NotContains(t, page, "ZgotmplZ", "every template value is accepted in its context")
	})

	t.Run("per-round table and charts", func(t *testing.T) {
		assert.Contains(t, page, `<h2 id="rounds">Critique rounds</h2>`)
		assert.Contains(t, page, `<tr><td>0 (first draft)</td><td class="num">—</td><td class="num">0.600 ± 0.100 [0.400, 0.800] (n=3)</td></tr>`)
		assert.Contains(t, page, `aria-label="fact_recall per critique round"`)
		assert.Contains(t, page, `aria-label="citation_accuracy per critique round"`)
	})

	t.Run("bar chart", func(t *testing.T) {
		assert.Contains(t, page, `aria-label="Quality scores per variant with 95% confidence intervals"`)
		// One bar per variant and quality scorer with data: 4 + 4.
		assert.Equal(t, 8, strings.Count(page, `<rect class="bar"`))
		assert.Equal(t, 8, strings.Count(page, `class="errorbar"`))
		assert.Contains(t, page, "<title>deepctx fact_recall: 0.800 ± 0.050 [0.700, 0.900] (n=3)</title>")
	})

	t.Run("pareto front", func(t *testing.T) {
		// deepctx costs less and recalls more: it alone is on the front.
		assert.Contains(t, page, `<tr class="pareto"><td>deepctx</td><td class="num">$0.0090 ± $0.0008 [$0.0076, $0.0104] (n=3)</td>`)
		assert.Contains(t, page, `<tr class="dominated"><td>baseline</td>`)
		assert.Equal(t, 1, strings.Count(page, `class="point pareto"`))
		assert.Equal(t, 1, strings.Count(page, `class="point dominated"`))
		assert.Contains(t, page, "Cost vs quality: mean fact_recall against mean cost_usd per sample")
	})

	t.Run("drill-down", func(t *testing.T) {
		for _, want := range []string{
			`<details class="sample" id="sample-q1">`,
			"When was Go released, and when did it get generics? &lt;script&gt;alert(2)&lt;/script&gt;",
			`<span class="cite supported" title="supported: the passage states 2009">[1]</span>`,
			`<span class="cite unsupported" title="unsupported: the passage does not mention 1.18">[2]</span>`,
			`<span class="cite invalid" title="invalid: no source [3]">[3]</span>`,
			`<span class="uncited" title="claim without citation">&lt;script&gt;alert(1)&lt;/script&gt; runs in no browser here.</span>`,
		} {
			assert.Contains(t, page, want)
		}
		assert.Contains(t, page, "3 claims: 1 supported, 1 unsupported, 1 invalid citations; 1 uncited claims")
		assert.Contains(t, page, `<li class="found">released in 2009</li>`)
		assert.Contains(t, page, `<li class="missed">generics in 1.18 <span class="note">(missed)</span></li>`)
		// Scores with explanations, skipped and failed marked.
		assert.Contains(t, page, `<td>race</td><td class="num ">0.550</td><td>RACE 0.550 relative to the reference (1 judge)</td>`)
		assert.Contains(t, page, `<td class="num skipped">skipped</td><td>skipped: no judge model configured</td>`)
		assert.Contains(t, page, `<td class="num failed">failed</td><td>scorers: glob: syntax error in pattern</td>`)
		assert.Contains(t, page, "Covers the &lt;b&gt;history&lt;/b&gt; well.")
		// A record's scores follow the summary's scorer order.
		q1 := page[strings.Index(page, "deepctx · epoch 1"):]
		assert.Less(t, strings.Index(q1, "<td>fact_recall</td>"), strings.Index(q1, "<td>citation_accuracy</td>"))
		assert.Less(t, strings.Index(q1, "<td>citation_accuracy</td>"), strings.Index(q1, "<td>billed_tokens</td>"))
		// Pairwise judges' explanations.
		assert.Contains(t, page, "judge-1 (order ab, prefers deepctx): Report 2 cites the release notes.")
		assert.Contains(t, page, "b: 1 of 1 judge(s) prefer b")
		assert.Contains(t, page, "winner <strong>deepctx</strong>")
		// Figures.
		for _, f := range [][2]string{{"tokens in", "12,345"}, {"tokens out", "1,500"}, {"tokens cached", "4,000"},
			{"billed tokens", "8,745"}, {"cost", "$0.0123"}, {"peak context tokens", "6,789"}, {"tool calls", "23"},
			{"model calls", "9"}, {"wall", "40.0 s"}, {"scoring", "12.0 ms"}} {
			assert.Contains(t, page, `<tr><td>`+f[0]+`</td><td class="num">`+f[1]+`</td></tr>`)
		}
		assert.Contains(t, page, "search timed out once")
		assert.Contains(t, page, `<p class="error">Error: research: context deadline exceeded</p>`)
		assert.Contains(t, page, `<span class="chip error" style="border-color: #1f77b4">baseline e1: error</span>`)
		// A record without citation verdicts says so.
		assert.Contains(t, page, "No citation verdicts recorded: citations are not marked.")
		// Samples follow the suite's order.
		assert.Less(t, strings.Index(page, `id="sample-q1"`), strings.Index(page, `id="sample-q2"`))
		assert.Less(t, strings.Index(page, `id="sample-q2"`), strings.Index(page, `id="sample-q3"`))
	})

	t.Run("escapes report text", func(t *testing.T) {
		assert.NotContains(t, page, "<script>alert(1)</script>")
		assert.NotContains(t, page, "<script>alert(2)</script>")
		assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
		assert.NotContains(t, page, "<b>history</b>")
	})

	t.Run("self-contained", func(t *testing.T) { assertSelfContained(t, page) })
	t.Run("svg well-formed", func(t *testing.T) {
		assert.GreaterOrEqual(t, assertSVGs(t, page), 4, "bar, scatter and two round charts")
	})
}

// TestHTMLHostileNames renders names and messages that are markup in
// every field a report shows.
func TestHTMLHostileNames(t *testing.T) {
	const evil = `<img src=x onerror=alert(1)>"'&`
	s := fixtureSummary()
	s.Suite, s.Note = evil, evil
	s.Variants[0].Name = evil
	s.Samples[2].Error = evil
	s.Pairwise[0].A = evil
	records := fixtureRecords(t)
	for i := range records {
		if records[i].Variant == "baseline" {
			records[i].Variant = evil
		}
		records[i].Output.Sources = append(records[i].Output.Sources, eval.Source{N: 9, DocID: evil, Title: evil, Path: "https://example.com/x"})
	}
	records[2].Error = evil
	suite := fixtureSuite()
	suite.Samples[1].ID = evil
	records[1].Sample = evil
	opts := fixtureOptions()
	opts.Title, opts.Command = evil, evil
	opts.Quality = []string{evil, "fact_recall"}
	page := renderHTML(t, s, records, suite, opts)
	assert.NotContains(t, page, "<img")
	assert.Contains(t, page, "&lt;img src=x onerror=alert(1)&gt;")
	assertSelfContained(t, page)
	assertSVGs(t, page)

	md := renderMarkdown(t, s, opts)
	assert.Equal(t, 1, strings.Count(md, "<img"), "only in the command's code span")
	assert.Contains(t, md, "- Command: `<img src=x onerror=alert(1)>\"'&`\n")
}

func TestHTMLWithoutRecords(t *testing.T) {
	s := fixtureSummary()
	s.Samples[3].Scores = map[string]eval.Score{"fact_recall": {Value: 0.5}, "race": {Skipped: true, Explanation: "skipped: no judge"}}
	page := renderHTML(t, s, nil, nil, Options{})
	assert.Contains(t, page, `<details class="sample" id="sample-q1">`)
	assert.Contains(t, page, "deepctx e1: fact_recall 0.500")
	assert.NotContains(t, page, `<div class="report">`, "no records, no reports")
	assertSelfContained(t, page)
	assertSVGs(t, page)

	// No cost or quality data: no scatter, and a note instead.
	empty := renderHTML(t, eval.Summary{Suite: "x"}, nil, nil, Options{})
	assert.Contains(t, empty, "No quality scores to chart.")
	assert.Contains(t, empty, "No cost-versus-quality plot")
	assert.Contains(t, empty, "No failed attempts, no failed or skipped scores.")
	assertSelfContained(t, empty)
}

// TestFromLog renders a summary computed by eval.Summarize from records
// read back from JSON, as `deepctx eval view` does.
func TestFromLog(t *testing.T) {
	records := fixtureRecords(t)
	data, err := json.Marshal(records)
	require.NoError(t, err)
	var back []eval.Record
	require.NoError(t, json.Unmarshal(data, &back))
	h := eval.Header{Suite: fixtureSuite(), Variants: []string{"baseline", "deepctx"}, Epochs: 1, Reducer: "mean",
		Scorers: []string{"fact_recall", "citation_accuracy", "billed_tokens", "cost_usd"}, Status: eval.StatusFinished}
	s, err := eval.Summarize(h, back, nil, stats.BootstrapOptions{Resamples: 200})
	require.NoError(t, err)
	md := renderMarkdown(t, s, Options{})
	assert.Contains(t, md, "| fact_recall | 0.500 ± 0.000 [0.500, 0.500] (n=2) |")
	page := renderHTML(t, s, back, h.Suite, Options{})
	assert.Contains(t, page, `<span class="cite invalid" title="invalid: no source [3]">[3]</span>`)
	assert.Contains(t, page, `<li class="found">released in 2009</li>`)
	assertSelfContained(t, page)
	assertSVGs(t, page)
}

// refAttrs are the attributes that make a browser fetch or navigate.
var refAttrs = map[string]bool{"src": true, "href": true, "xlink:href": true, "action": true, "formaction": true,
	"poster": true, "data": true, "srcset": true, "background": true, "manifest": true}

// assertSelfContained parses the page as a browser would and checks that
// it loads nothing and runs nothing: no script, link, iframe, object,
// embed or img element, no event handler, no reference but to the page's
// own anchors, no CSS import or url().
func assertSelfContained(t *testing.T, page string) {
	t.Helper()
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.True(t, strings.HasSuffix(strings.TrimSpace(page), "</html>"))
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "iframe", "object", "embed", "img", "image", "use", "base", "form":
				t.Errorf("element <%s> in a self-contained page", n.Data)
			case "style":
				css := textOf(n)
				assert.NotContains(t, css, "@import")
				assert.NotContains(t, css, "url(")
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = a.Namespace + ":" + key
				}
				if refAttrs[key] || strings.HasSuffix(key, ":href") {
					assert.True(t, strings.HasPrefix(a.Val, "#"), "reference outside the page: <%s %s=%q>", n.Data, key, a.Val)
				}
				assert.False(t, strings.HasPrefix(key, "on"), "event handler: <%s %s=%q>", n.Data, key, a.Val)
				assert.NotContains(t, a.Val, "url(", "<%s %s=%q>", n.Data, key, a.Val)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

var svgRE = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

// assertSVGs parses every inline SVG of the page as XML and returns how
// many there are.
func assertSVGs(t *testing.T, page string) int {
	t.Helper()
	svgs := svgRE.FindAllString(page, -1)
	for _, svg := range svgs {
		d := xml.NewDecoder(strings.NewReader(svg))
		d.Strict = true
		depth, elements := 0, 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "SVG is not well-formed XML:\n%s", svg)
			switch tok.(type) {
			case xml.StartElement:
				depth++
				elements++
			case xml.EndElement:
				depth--
			}
		}
		assert.Zero(t, depth, "unbalanced SVG")
		assert.Greater(t, elements, 3)
	}
	return len(svgs)
}

// TestSummaryFromJSON renders a summary read back from --json output,
// where PairSummary keeps only its Pair.
func TestSummaryFromJSON(t *testing.T) {
	data, err := json.Marshal(fixtureSummary())
	require.NoError(t, err)
	var s eval.Summary
	require.NoError(t, json.Unmarshal(data, &s))
	require.Empty(t, s.Pairwise[0].A)
	assert.Equal(t, renderMarkdown(t, fixtureSummary(), fixtureOptions()), renderMarkdown(t, s, fixtureOptions()))
	page := renderHTML(t, s, nil, nil, fixtureOptions())
	assert.Contains(t, page, `<tr><td>baseline</td><td>deepctx</td><td>pairwise</td>`)
}
