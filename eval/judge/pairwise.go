package judge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/eval"
)

// Verdicts of a side-by-side comparison, as eval.PairScore.Winner spells
// them.
const (
	WinnerA = "a"
	WinnerB = "b"
	Tie     = "tie"
)

// Orders in which a pair is shown to a judge: "ab" shows A as report 1,
// "ba" shows B as report 1.
const (
	OrderAB = "ab"
	OrderBA = "ba"
)

// Pairwise compares two variants' reports for the same question side by
// side. Each judge sees the pair twice, A first and then B first, so that
// a judge who prefers a position rather than a report cancels out: a
// judge whose two verdicts disagree counts as a tie. The score is the
// share of B wins over the panel (ties count half); the winner is the
// side more judges prefer, judges who resolved to a tie abstaining, and a
// tie when both sides have as many votes.
//
// Without judges, ScorePair returns an error wrapping eval.ErrSkip. A
// judge whose replies stay unusable after the retries, or a failing model
// call, makes ScorePair fail.
//
// Pairwise is safe for concurrent use.
type Pairwise struct {
	// Judges compare the reports; several form a panel. Optional: without
	// judges every comparison is skipped.
	Judges []llm.Model
	// Names labels the judges in metadata and errors, parallel to Judges.
	// Optional. Defaults to each model's Name() when it has one, else
	// "judge1", "judge2"…
	Names []string
	// MaxRetries is how many times a judge is asked again, told what was
	// wrong, after a reply that cannot be used. Optional. Defaults to
	// DefaultMaxRetries; a negative value means no retry.
	MaxRetries int
}

var _ eval.PairScorer = (*Pairwise)(nil)

// Name returns the name pairwise scores are recorded under.
func (p *Pairwise) Name() string { return NamePairwise }

// Verdict is one judge's answer for one order of the pair.
type Verdict struct {
	// Order is OrderAB or OrderBA.
	Order string `json:"order"`
	// Said is the judge's raw answer: "1", "2" or "tie".
	Said string `json:"said"`
	// Winner is Said mapped back to the variants: "a", "b" or "tie".
	Winner      string `json:"winner"`
	Explanation string `json:"explanation,omitempty"`
	// Attempts counts the judge's replies, retries included.
	Attempts int `json:"attempts"`
}

// JudgeVerdict is one judge's two verdicts and the one they resolve to.
type JudgeVerdict struct {
	Judge string `json:"judge"`
	// Verdicts are the verdicts in order AB, then BA.
	Verdicts [2]Verdict `json:"verdicts"`
	// Resolved is the common winner of both verdicts, or "tie" when they
	// disagree.
	Resolved string `json:"resolved"`
	// Consistent reports whether both verdicts named the same winner.
	Consistent bool `json:"consistent"`
}

// ScorePair compares a's and b's reports for s. See Pairwise.
//
// PairScore.Verdicts holds each judge's resolved verdict, in panel order
// (eval.Summarize measures the panel's agreement across samples from
// them); Metadata holds "judges" ([]JudgeVerdict), "majority" (the
// winner), "a" and "b" (the variants' names).
func (p *Pairwise) ScorePair(ctx context.Context, s eval.Sample, a, b eval.Result) (eval.PairScore, error) {
	if len(p.Judges) == 0 {
		return eval.PairScore{}, eval.Skip("no judge model configured")
	}
	judges := panel(p.Judges, p.Names, p.MaxRetries)
	question := Delimit("question", "", s.Question)
	prompts := [2]string{
		fmt.Sprintf(pairUser, question, Delimit("report", "1", a.Output.Report), Delimit("report", "2", b.Output.Report)),
		fmt.Sprintf(pairUser, question, Delimit("report", "1", b.Output.Report), Delimit("report", "2", a.Output.Report)),
	}
	out := make([]JudgeVerdict, len(judges))
	err := parallel(ctx, 2*len(judges), func(ctx context.Context, k int) error {
		j, o := k/2, k%2
		v := Verdict{Order: [2]string{OrderAB, OrderBA}[o]}
		attempts, err := judges[j].ask(ctx, "verdict", pairSystem, prompts[o], func(reply string) error {
			said, expl, err := parseVerdict(reply)
			v.Said, v.Explanation = said, expl
			return err
		})
		if err != nil {
			return err
		}
		v.Attempts = attempts
		v.Winner = mapVerdict(v.Said, v.Order)
		out[j].Verdicts[o] = v
		return nil
	})
	if err != nil {
		return eval.PairScore{}, fmt.Errorf("judge: pairwise: sample %s (%s vs %s): %w", s.ID, a.Variant, b.Variant, err)
	}

	resolved := make([]string, len(judges))
	var value float64
	count := map[string]int{}
	var inconsistent []string
	for j := range out {
		jv := &out[j]
		jv.Judge = judges[j].name
		jv.Consistent = jv.Verdicts[0].Winner == jv.Verdicts[1].Winner
		jv.Resolved = Tie
		if jv.Consistent {
			jv.Resolved = jv.Verdicts[0].Winner
		} else {
			inconsistent = append(inconsistent, jv.Judge)
		}
		resolved[j] = jv.Resolved
		count[jv.Resolved]++
		switch jv.Resolved {
		case WinnerB:
			value += 1
		case Tie:
			value += 0.5
		}
	}
	value /= float64(len(judges))
	winner := Tie
	switch {
	case count[WinnerA] > count[WinnerB]:
		winner = WinnerA
	case count[WinnerB] > count[WinnerA]:
		winner = WinnerB
	}

	meta := map[string]any{
		"judges":   out,
		"majority": winner,
		"a":        a.Variant,
		"b":        b.Variant,
	}
	expl := fmt.Sprintf("%s: %d of %d judge(s) prefer b, %d prefer a, %d tie", winnerText(winner),
		count[WinnerB], len(judges), count[WinnerA], count[Tie])
	if len(inconsistent) > 0 {
		expl += fmt.Sprintf(" (order swap changed the verdict of %s: counted as a tie)", strings.Join(inconsistent, ", "))
	}
	return eval.PairScore{Value: value, Winner: winner, Verdicts: resolved, Explanation: expl, Metadata: meta}, nil
}

func winnerText(w string) string {
	switch w {
	case WinnerA:
		return "a wins"
	case WinnerB:
		return "b wins"
	}
	return "tie"
}

// verdictReply is the JSON a judge returns for a pairwise comparison.
type verdictReply struct {
	Winner      json.RawMessage `json:"winner"`
	Explanation string          `json:"explanation"`
}

// parseVerdict validates a pairwise reply; said is "1", "2" or "tie".
func parseVerdict(reply string) (said, explanation string, err error) {
	var vr verdictReply
	if err := decodeReply(reply, &vr); err != nil {
		return "", "", err
	}
	if len(vr.Winner) == 0 || string(vr.Winner) == "null" {
		return "", "", fmt.Errorf(`"winner" is missing; it must be "1", "2" or "tie"`)
	}
	var w string
	if json.Unmarshal(vr.Winner, &w) != nil {
		w = string(vr.Winner) // a bare number: 1 or 2
	}
	w = strings.ToLower(strings.TrimSpace(w))
	switch w {
	case "1", "2", Tie:
		return w, strings.TrimSpace(vr.Explanation), nil
	}
	return "", "", fmt.Errorf(`"winner" is %s; it must be "1", "2" or "tie"`, vr.Winner)
}

// mapVerdict maps a judge's "1"/"2"/"tie" in the given order to a/b/tie.
func mapVerdict(said, order string) string {
	switch {
	case said == Tie:
		return Tie
	case (said == "1") == (order == OrderAB):
		return WinnerA
	}
	return WinnerB
}
