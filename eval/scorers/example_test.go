package scorers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/scorers"
)

// A custom scorer runs beside the offline ones, and --scorer style
// selection picks among them all.
func Example() {
	words := eval.Named{Name: "words", Higher: false, Scorer: eval.ScorerFunc(
		func(_ context.Context, _ eval.Sample, r eval.Result) (eval.Score, error) {
			n := len(strings.Fields(scorers.Body(r.Output.Report)))
			return eval.Score{Value: float64(n), Explanation: fmt.Sprintf("%d words before the Sources list", n)}, nil
		})}
	all := append(scorers.Offline(scorers.Options{}), words)
	selected, err := scorers.Select(all, "fact_recall,words", "cost_usd,abstention")
	if err != nil {
		fmt.Println(err)
		return
	}

	sample := eval.Sample{
		ID:       "gogc",
		Question: "What is the garbage collector's default GOGC?",
		KeyFacts: []eval.Fact{{Any: []string{"GOGC=100"}}, {Any: []string{"GOGC=off"}}},
	}
	result := eval.Result{Output: eval.Output{
		Report: "# GOGC\n\nThe default is GOGC=100 [1].\n\n## Sources\n\n1. runtime — GOGC=off\n",
		Model:  "extractive",
	}}
	for _, n := range selected {
		s, err := n.Scorer.Score(context.Background(), sample, result)
		switch {
		case err != nil:
			fmt.Printf("%s: %v\n", n.Name, err)
		default:
			fmt.Printf("%s: %.2f (%s)\n", n.Name, s.Value, s.Explanation)
		}
	}

	_, err = scorers.Select(all, "recall")
	fmt.Println(errors.Is(err, scorers.ErrUnknownScorer))
	// Output:
	// fact_recall: 0.50 (1 of 2 key facts found in the report)
	// abstention: skipped: the sample is answerable
	// cost_usd: 0.00 (extractive costs nothing)
	// words: 7.00 (7 words before the Sources list)
	// true
}
