package report_test

import (
	"os"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/report"
	"github.com/deepctx/deepctx/eval/stats"
)

func ExampleMarkdown() {
	s := eval.Summary{
		Suite: "go-history", Status: eval.StatusFinished, Epochs: 1, Reducer: "mean",
		Scorers: []string{"fact_recall", "billed_tokens", "cost_usd"},
		Variants: []eval.VariantSummary{
			{Name: "baseline", Attempts: 3, Scores: map[string]stats.Summary{
				"fact_recall":   {Mean: 0.5, StdErr: 0.1, CI: [2]float64{0.3, 0.7}, N: 3},
				"billed_tokens": {Mean: 12000, StdErr: 1500, CI: [2]float64{9000, 15000}, N: 3},
				"cost_usd":      {Mean: 0.012, StdErr: 0.0015, CI: [2]float64{0.009, 0.015}, N: 3},
			}},
			{Name: "deepctx", Attempts: 3, Skipped: map[string]int{"cost_usd": 1}, Scores: map[string]stats.Summary{
				"fact_recall":   {Mean: 0.8, StdErr: 0.05, CI: [2]float64{0.7, 0.9}, N: 3},
				"billed_tokens": {Mean: 9000, StdErr: 800, CI: [2]float64{7600, 10400}, N: 3},
				"cost_usd":      {Mean: 0.009, StdErr: 0.0008, CI: [2]float64{0.0076, 0.0104}, N: 2},
			}},
		},
		Overhead: stats.Summary{Mean: 12.5, StdErr: 1.2, CI: [2]float64{10.1, 14.9}, N: 6},
	}
	opts := report.Options{
		Command: "deepctx eval go-history.yaml",
		Comparisons: []eval.Comparison{{Scorer: "fact_recall", A: "baseline", B: "deepctx", Verdict: "better",
			Paired: stats.Paired{MeanDiff: 0.3, CI: [2]float64{0.1, 0.5}, P: 0.25, N: 3, Significant: true}}},
	}
	if err := report.Markdown(os.Stdout, s, opts); err != nil {
		panic(err)
	}
	// Output:
	// # Eval: go-history
	//
	// - Suite: go-history
	// - Status: finished
	// - Epochs: 1, reducer: mean
	// - Variants: 2, attempts: 6
	// - Command: `deepctx eval go-history.yaml`
	//
	// ## Scores
	//
	// Mean ± standard error [95% CI] (n samples), all samples.
	//
	// | scorer | baseline | deepctx |
	// |---|---|---|
	// | fact_recall | 0.500 ± 0.100 [0.300, 0.700] (n=3) | 0.800 ± 0.050 [0.700, 0.900] (n=3) |
	// | billed_tokens | 12,000 ± 1,500 [9,000, 15,000] (n=3) | 9,000 ± 800 [7,600, 10,400] (n=3) |
	// | cost_usd | $0.0120 ± $0.0015 [$0.0090, $0.0150] (n=3) | $0.0090 ± $0.0008 [$0.0076, $0.0104] (n=2) |
	//
	// ## Comparisons
	//
	// Paired difference B − A over the samples both ran, with its 95% CI and the sign-flip permutation p-value. A difference is significant only when its CI excludes 0 and p < 0.05.
	//
	// | scorer | A | B | B − A | 95% CI | p | n | verdict |
	// |---|---|---|---|---|---|---|---|
	// | fact_recall | baseline | deepctx | +0.300 | [+0.100, +0.500] | 0.250 | 3 | **better** |
	//
	// ## Harness overhead
	//
	// Scoring and log writing per sample (the system under test excluded): 12.5 ms ± 1.2 ms [10.1 ms, 14.9 ms] (n=6).
	//
	// ## Failures
	//
	// | variant | attempts | errors | failed scores | skipped scores |
	// |---|---|---|---|---|
	// | baseline | 3 | 0 | — | — |
	// | deepctx | 3 | 0 | — | cost_usd ×1 |
}
