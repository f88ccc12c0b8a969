package judge_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
)

// A judge that prefers the report with more citations, whatever its
// position, and one that always picks the first report shown: the order
// swap turns the second one's position bias into a tie.
func ExamplePairwise() {
	citations := scripted.Func(func(req llm.Request) (llm.Response, error) {
		prompt := req.Messages[len(req.Messages)-1].Text()
		one, two := between(prompt, `<report id="1">`), between(prompt, `<report id="2">`)
		if strings.Count(one, "[") > strings.Count(two, "[") {
			return llm.Response{Message: llm.Assistant(`{"winner": "1", "explanation": "more citations"}`)}, nil
		}
		return llm.Response{Message: llm.Assistant(`{"winner": "2", "explanation": "more citations"}`)}, nil
	})
	firstShown := scripted.Func(func(llm.Request) (llm.Response, error) {
		return llm.Response{Message: llm.Assistant(`{"winner": "1"}`)}, nil
	})
	p := &judge.Pairwise{Judges: []llm.Model{citations, firstShown}, Names: []string{"cites", "first"}}

	sample := eval.Sample{ID: "chan", Question: "How do goroutines communicate?"}
	a := eval.Result{Variant: "baseline", Output: eval.Output{Report: "Over channels [1]."}}
	b := eval.Result{Variant: "tuned", Output: eval.Output{Report: "Over channels [1]; select waits on several [2]."}}

	ps, err := p.ScorePair(context.Background(), sample, a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ps.Winner, ps.Value)
	fmt.Println(ps.Explanation)
	fmt.Println(ps.Verdicts)
	// Output:
	// b 0.75
	// b wins: 1 of 2 judge(s) prefer b, 0 prefer a, 1 tie (order swap changed the verdict of first: counted as a tie)
	// [b tie]
}

// between returns the text after open up to the next closing tag.
func between(prompt, open string) string {
	_, rest, _ := strings.Cut(prompt, open)
	text, _, _ := strings.Cut(rest, "</report>")
	return text
}

// RACE grades the report and the reference on each criterion, in both
// orders; the score is the report's share of the two weighted grades.
func ExampleRACE() {
	// The judge gives 9 for coverage to the report that mentions select,
	// 6 to the other, wherever each is shown.
	grader := scripted.Func(func(req llm.Request) (llm.Response, error) {
		prompt := req.Messages[len(req.Messages)-1].Text()
		a, b := 6, 9
		if strings.Contains(between(prompt, `<report id="A">`), "select") {
			a, b = 9, 6
		}
		return llm.Response{Message: llm.Assistant(fmt.Sprintf(`{"scores": [
			{"criterion": 1, "a": %d, "b": %d, "explanation": "one covers select too"},
			{"criterion": 2, "a": 6, "b": 6, "explanation": "both clear"}]}`, a, b))}, nil
	})
	race := &judge.RACE{Judges: []llm.Model{grader}}
	sample := eval.Sample{
		ID:            "chan",
		Question:      "How do goroutines communicate?",
		ReferenceText: "Goroutines communicate over channels.",
		Rubric: []eval.Criterion{
			{Dimension: "comprehensiveness", Criterion: "Covers channels and select"},
			{Dimension: "readability", Criterion: "Is clear"},
		},
	}
	res := eval.Result{Variant: "tuned", Output: eval.Output{Report: "Over channels; select waits on several."}}

	score, err := race.Score(context.Background(), sample, res)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.3f\n", score.Value)
	fmt.Println(score.Explanation)
	// Output:
	// 0.556
	// RACE 0.556 relative to the reference (1 judge): report 7.50/10, reference 6.00/10; by dimension: comprehensiveness 0.60, readability 0.50
}
