package eval_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

// A custom system under test and a custom scorer: any agent that turns a
// question into a report can be evaluated.
func ExampleRun() {
	suite := &eval.Suite{
		Name:   "capitals",
		Corpus: eval.Paths{"/corpus"},
		Samples: []eval.Sample{
			{ID: "fr", Question: "What is the capital of France?", KeyFacts: []eval.Fact{{Any: []string{"Paris"}}}},
			{ID: "it", Question: "What is the capital of Italy?", KeyFacts: []eval.Fact{{Any: []string{"Rome", "Roma"}}}},
		},
		Variants: []eval.Variant{{Name: "lookup"}},
	}
	capitals := map[string]string{"fr": "Paris", "it": "Milan"}
	agent := eval.SystemFunc(func(ctx context.Context, t eval.Task) (eval.Output, error) {
		return eval.Output{Report: "The capital is " + capitals[t.Sample.ID] + "."}, nil
	})
	mentions := eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
		if s.KeyFacts[0].Found(r.Output.Report) {
			return eval.Score{Value: 1, Explanation: "states the fact"}, nil
		}
		return eval.Score{Value: 0, Explanation: "misses " + s.KeyFacts[0].String()}, nil
	})
	dir, _ := os.MkdirTemp("", "eval-example")
	defer os.RemoveAll(dir)

	out, err := eval.Run(context.Background(), suite, eval.Options{
		System:  agent,
		Dir:     filepath.Join(dir, "log"),
		Scorers: []eval.Named{{Name: "mentions", Scorer: mentions, Higher: true}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range out.Records {
		fmt.Printf("%s: %.0f (%s)\n", r.Sample, r.Scores["mentions"].Value, r.Scores["mentions"].Explanation)
	}
	h, _ := out.Log.Header()
	sum, _ := eval.Summarize(h, out.Records, nil, stats.BootstrapOptions{})
	fmt.Printf("mean %.2f over %d samples\n", sum.Variants[0].Scores["mentions"].Mean, sum.Variants[0].Scores["mentions"].N)
	// Output:
	// fr: 1 (states the fact)
	// it: 0 (misses Rome)
	// mean 0.50 over 2 samples
}

// A scorer that does not apply says so with eval.Skip: the score is
// recorded as skipped, never as zero, and statistics leave it out.
func ExampleScorerFunc() {
	length := eval.ScorerFunc(func(ctx context.Context, s eval.Sample, r eval.Result) (eval.Score, error) {
		if s.Unanswerable() {
			return eval.Score{}, eval.Skip("no answer to measure")
		}
		return eval.Score{Value: float64(len(strings.Fields(r.Output.Report)))}, nil
	})
	scores := eval.ScoreAll(context.Background(), []eval.Named{{Name: "words", Scorer: length}},
		eval.Sample{ID: "x", Tags: []string{eval.TagUnanswerable}}, eval.Result{})
	fmt.Println(scores["words"].Skipped, scores["words"].Explanation)
	// Output:
	// true skipped: no answer to measure
}
