package judge

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/eval"
)

// Scorer names, as scores are recorded in logs and reports.
const (
	NameRACE     = "race"
	NamePairwise = "pairwise"
)

// RACE scores a report relative to the sample's reference report, the way
// Deep Research Bench's RACE does: each judge grades the report and the
// reference on every rubric criterion (0–10), criteria are averaged by
// weight within each dimension and dimensions by weight into one grade per
// report, and the score is target / (target + reference). 0.5 means as
// good as the reference; a panel's score is the mean over its judges.
//
// The judge is not told which report is the reference, and it grades the
// pair twice, once with the report as "A" and the reference as "B", once
// the other way round (the two calls run concurrently, as the panel's
// judges do). Each report's grade on a criterion is the mean of its two
// grades, so a judge that favours a position (always grades "A" higher)
// favours both reports equally and the bias cancels, as Pairwise's order
// swap cancels it for verdicts. The rubric is the sample's own
// (Sample.Rubric, dimensions weighted equally) or is written once per
// question by the first judge and kept in Cache under RubricKey(sample
// ID).
//
// Without judges or without a reference report, Score returns an error
// wrapping eval.ErrSkip. A judge whose replies stay unusable after the
// retries, or a failing model call, makes Score fail: the harness records
// an error, never a zero.
//
// A RACE must not be copied after first use. It is safe for concurrent use.
type RACE struct {
	// Judges grade the reports; several form a panel. The first also
	// writes rubrics. Optional: without judges every score is skipped.
	Judges []llm.Model
	// Names labels the judges in metadata and errors, parallel to Judges.
	// Optional. Defaults to each model's Name() when it has one, else
	// "judge1", "judge2"…
	Names []string
	// Cache keeps generated rubrics so that rescoring reuses them.
	// Optional. Defaults to keeping them in memory only.
	Cache eval.Cache
	// MaxRetries is how many times a judge is asked again, told what was
	// wrong, after a reply that cannot be used. Optional. Defaults to
	// DefaultMaxRetries; a negative value means no retry.
	MaxRetries int

	mu      sync.Mutex
	rubrics map[string]*rubricCall
}

var _ eval.Scorer = (*RACE)(nil)

// Name returns the name RACE scores are recorded under.
func (r *RACE) Name() string { return NameRACE }

// Named returns r under its recorded name, higher being better.
func (r *RACE) Named() eval.Named { return eval.Named{Name: NameRACE, Scorer: r, Higher: true} }

// CriterionScore is one judge's grades of both reports on one criterion.
type CriterionScore struct {
	// Criterion numbers the criterion in the rubric, from 1.
	Criterion int    `json:"criterion"`
	Dimension string `json:"dimension"`
	// Target and Reference are the grades, 0–10: in JudgeScores.Criteria
	// the means over both orders, in OrderScores.Criteria the judge's raw
	// grades in that order.
	Target    float64 `json:"target"`
	Reference float64 `json:"reference"`
	// Explanation is the judge's, which names the reports "A" and "B";
	// in JudgeScores.Criteria both orders' explanations, each prefixed
	// with the label the target had.
	Explanation string `json:"explanation,omitempty"`
}

// Labels the target report is shown under, in OrderScores.TargetAs.
const (
	TargetAsA = "A" // the target is report A, the reference report B
	TargetAsB = "B" // the reference is report A, the target report B
)

// OrderScores is one judge's raw grading of the two reports in one order.
type OrderScores struct {
	// TargetAs is the label the target was shown under, TargetAsA or
	// TargetAsB; the reference had the other.
	TargetAs string `json:"target_as"`
	// Target, Reference and Relative are this order's overall weighted
	// grades (0–10) and target/(target+reference).
	Target    float64 `json:"target"`
	Reference float64 `json:"reference"`
	Relative  float64 `json:"relative"`
	// Criteria are the judge's grades in this order, mapped from "a" and
	// "b" back to the target and the reference.
	Criteria []CriterionScore `json:"criteria"`
	// Attempts counts the judge's replies in this order, retries included.
	Attempts int `json:"attempts"`
}

// DimensionScore is the weighted grade (0–10) of both reports in one
// dimension, and the target's relative score target/(target+reference).
type DimensionScore struct {
	Target    float64 `json:"target"`
	Reference float64 `json:"reference"`
	Relative  float64 `json:"relative"`
}

// JudgeScores is one judge's grading of a report against the reference,
// both orders together.
type JudgeScores struct {
	Judge string `json:"judge"`
	// Target and Reference are the overall weighted grades, 0–10, of the
	// criterion grades averaged over both orders.
	Target    float64 `json:"target"`
	Reference float64 `json:"reference"`
	// Relative is target/(target+reference), 0.5 when both are 0.
	Relative   float64                   `json:"relative"`
	Dimensions map[string]DimensionScore `json:"dimensions"`
	// Criteria are the criterion grades averaged over both orders.
	Criteria []CriterionScore `json:"criteria"`
	// Orders are the raw grades of each order: the target as "A" first,
	// then the target as "B".
	Orders []OrderScores `json:"orders"`
	// Attempts counts the judge's replies in both orders, retries
	// included.
	Attempts int `json:"attempts"`
}

// Score grades res's report against s's reference report. See RACE.
//
// Metadata holds "rubric" (Rubric), "judges" ([]JudgeScores, each with
// both orders' raw grades), "dimensions" (map of dimension to
// DimensionScore, averaged over the panel), "target" and "reference" (the
// panel's mean overall grades, 0–10).
func (r *RACE) Score(ctx context.Context, s eval.Sample, res eval.Result) (eval.Score, error) {
	if len(r.Judges) == 0 {
		return eval.Score{}, eval.Skip("no judge model configured")
	}
	if strings.TrimSpace(s.ReferenceText) == "" {
		return eval.Score{}, eval.Skip("no reference report")
	}
	judges := panel(r.Judges, r.Names, r.MaxRetries)
	rub, err := r.rubricFor(ctx, judges[0], s)
	if err != nil {
		return eval.Score{}, err
	}

	// Every judge grades both orders: call 2i shows judge i the report as
	// A, call 2i+1 the reference as A.
	orders := [2]string{TargetAsA, TargetAsB}
	var prompts [2]string
	for k, as := range orders {
		a, b := res.Output.Report, s.ReferenceText
		if as == TargetAsB {
			a, b = b, a
		}
		prompts[k] = fmt.Sprintf(scoreUser,
			Delimit("question", "", s.Question),
			Delimit("criteria", "", criteriaList(rub)),
			Delimit("report", "A", a),
			Delimit("report", "B", b))
	}
	graded := make([]OrderScores, 2*len(judges))
	err = parallel(ctx, len(graded), func(ctx context.Context, i int) error {
		j, k := judges[i/2], i%2
		var grades []CriterionScore
		attempts, err := j.ask(ctx, "scores", scoreSystem, prompts[k], func(reply string) error {
			var err error
			grades, err = parseScores(reply, rub, orders[k])
			return err
		})
		if err != nil {
			return err
		}
		agg := aggregate(j.name, rub, grades)
		graded[i] = OrderScores{
			TargetAs: orders[k], Target: agg.Target, Reference: agg.Reference, Relative: agg.Relative,
			Criteria: grades, Attempts: attempts,
		}
		return nil
	})
	if err != nil {
		return eval.Score{}, fmt.Errorf("judge: race: sample %s: %w", s.ID, err)
	}
	out := make([]JudgeScores, len(judges))
	for i, j := range judges {
		out[i] = bothOrders(j.name, rub, graded[2*i:2*i+2])
	}
	return raceScore(rub, out), nil
}

// bothOrders averages each criterion's grades over a judge's two orders
// and aggregates the means.
func bothOrders(judge string, rub Rubric, orders []OrderScores) JudgeScores {
	mean := make([]CriterionScore, len(rub.Criteria))
	attempts := 0
	for k := range mean {
		c := &mean[k]
		var expl []string
		for _, o := range orders {
			g := o.Criteria[k]
			c.Criterion, c.Dimension = g.Criterion, g.Dimension
			c.Target += g.Target / float64(len(orders))
			c.Reference += g.Reference / float64(len(orders))
			if g.Explanation != "" {
				expl = append(expl, fmt.Sprintf("(report as %s) %s", o.TargetAs, g.Explanation))
			}
		}
		c.Explanation = strings.Join(expl, " ")
	}
	for _, o := range orders {
		attempts += o.Attempts
	}
	js := aggregate(judge, rub, mean)
	js.Orders = slices.Clone(orders)
	js.Attempts = attempts
	return js
}

// criteriaList numbers the rubric's criteria for the scoring prompt.
func criteriaList(rub Rubric) string {
	var b strings.Builder
	for i, c := range rub.Criteria {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d. [%s, weight %.2f] %s", i+1, c.Dimension, c.Weight, c.Criterion)
	}
	return b.String()
}

// scoresReply is the JSON a judge returns for RACE scoring.
type scoresReply struct {
	Scores []struct {
		Criterion   *int     `json:"criterion"`
		A           *float64 `json:"a"`
		B           *float64 `json:"b"`
		Explanation string   `json:"explanation"`
	} `json:"scores"`
}

// parseScores validates a scoring reply: one entry per criterion, both
// grades present and within 0–10. targetAs says which of "a" and "b" is
// the target (TargetAsA or TargetAsB).
func parseScores(reply string, rub Rubric, targetAs string) ([]CriterionScore, error) {
	var sr scoresReply
	if err := decodeReply(reply, &sr); err != nil {
		return nil, err
	}
	n := len(rub.Criteria)
	if sr.Scores == nil {
		return nil, fmt.Errorf(`"scores" is missing; expected one entry for each of the %d criteria`, n)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	got := make([]*CriterionScore, n)
	for i, e := range sr.Scores {
		if e.Criterion == nil {
			bad(`scores[%d] has no "criterion" number`, i)
			continue
		}
		k := *e.Criterion
		switch {
		case k < 1 || k > n:
			bad("scores[%d]: criterion %d does not exist (criteria are numbered 1 to %d)", i, k, n)
			continue
		case got[k-1] != nil:
			bad("criterion %d is scored twice", k)
			continue
		}
		ok := true
		for _, g := range []struct {
			name string
			v    *float64
		}{{"a", e.A}, {"b", e.B}} {
			switch {
			case g.v == nil:
				bad(`criterion %d has no score "%s"`, k, g.name)
				ok = false
			case *g.v < 0 || *g.v > 10:
				bad(`criterion %d: score "%s" is %v, outside 0 to 10`, k, g.name, *g.v)
				ok = false
			}
		}
		if ok {
			c := rub.Criteria[k-1]
			target, reference := *e.A, *e.B
			if targetAs == TargetAsB {
				target, reference = reference, target
			}
			got[k-1] = &CriterionScore{Criterion: k, Dimension: c.Dimension, Target: target, Reference: reference, Explanation: strings.TrimSpace(e.Explanation)}
		} else {
			got[k-1] = &CriterionScore{} // reported above; not "missing" too
		}
	}
	var missing []string
	for k, g := range got {
		if g == nil {
			missing = append(missing, strconv.Itoa(k+1))
		}
	}
	if len(missing) > 0 {
		bad("criteria %s are not scored", strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	out := make([]CriterionScore, n)
	for k, g := range got {
		out[k] = *g
	}
	return out, nil
}

// aggregate weighs one judge's criterion grades into dimension and
// overall grades and relative scores.
func aggregate(judge string, rub Rubric, grades []CriterionScore) JudgeScores {
	js := JudgeScores{Judge: judge, Dimensions: map[string]DimensionScore{}, Criteria: grades}
	for i, c := range rub.Criteria {
		d := js.Dimensions[c.Dimension]
		d.Target += c.Weight * grades[i].Target
		d.Reference += c.Weight * grades[i].Reference
		js.Dimensions[c.Dimension] = d
	}
	for _, name := range eval.Dimensions {
		d, ok := js.Dimensions[name]
		if !ok {
			continue
		}
		d.Relative = relative(d.Target, d.Reference)
		js.Dimensions[name] = d
		w := rub.Dimensions[name]
		js.Target += w * d.Target
		js.Reference += w * d.Reference
	}
	js.Relative = relative(js.Target, js.Reference)
	return js
}

// relative is RACE's relative score t/(t+r); 0.5 when both are 0.
func relative(t, r float64) float64 {
	if t+r == 0 {
		return 0.5
	}
	return t / (t + r)
}

// raceScore averages the judges' scores into the panel's Score.
func raceScore(rub Rubric, judges []JudgeScores) eval.Score {
	n := float64(len(judges))
	var value, target, reference float64
	dims := map[string]DimensionScore{}
	for _, j := range judges {
		value += j.Relative / n
		target += j.Target / n
		reference += j.Reference / n
		for name, d := range j.Dimensions {
			m := dims[name]
			m.Target += d.Target / n
			m.Reference += d.Reference / n
			m.Relative += d.Relative / n
			dims[name] = m
		}
	}
	byDim := make([]string, 0, len(dims))
	for _, d := range eval.Dimensions {
		if m, ok := dims[d]; ok {
			byDim = append(byDim, fmt.Sprintf("%s %.2f", d, m.Relative))
		}
	}
	panelOf := "1 judge"
	if len(judges) > 1 {
		panelOf = fmt.Sprintf("mean of %d judges", len(judges))
	}
	expl := fmt.Sprintf("RACE %.3f relative to the reference (%s): report %.2f/10, reference %.2f/10; by dimension: %s",
		value, panelOf, target, reference, strings.Join(byDim, ", "))
	return eval.Score{
		Value:       value,
		Explanation: expl,
		Metadata: map[string]any{
			"rubric":     rub,
			"judges":     slices.Clone(judges),
			"dimensions": dims,
			"target":     target,
			"reference":  reference,
		},
	}
}
