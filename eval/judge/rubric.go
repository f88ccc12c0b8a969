package judge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/eval"
)

// Rubric is a question's RACE rubric: the weight of each dimension and
// the criteria within each, every weight normalised.
type Rubric struct {
	// Dimensions maps each dimension used (one of eval.Dimensions) to its
	// weight; the weights sum to 1.
	Dimensions map[string]float64 `json:"dimensions"`
	// Criteria are the rubric's items, grouped by dimension in the order
	// of eval.Dimensions; within each dimension the weights sum to 1.
	Criteria []eval.Criterion `json:"criteria"`
	// Generated reports whether a judge wrote the rubric; otherwise it is
	// the sample's own.
	Generated bool `json:"generated,omitempty"`
	// Question is the question a generated rubric was written for; a
	// cached rubric for another question (the suite changed) is written
	// anew.
	Question string `json:"question,omitempty"`
}

// NewRubric returns the normalised rubric of a dimension weighting and
// criteria. dims maps dimensions to non-negative weights; a nil dims
// weighs every dimension that has criteria equally. A criterion's weight
// of 0 counts as 1 (eval.Criterion's default of equal weights). Criteria
// of a dimension of weight 0 are dropped. It fails, saying why, on an
// unknown dimension, a negative or non-finite weight, an empty criterion,
// a weighted dimension without criteria, or no weight at all.
func NewRubric(dims map[string]float64, criteria []eval.Criterion) (Rubric, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	byDim := map[string][]eval.Criterion{}
	for i, c := range criteria {
		c.Criterion = strings.TrimSpace(c.Criterion)
		switch {
		case !slices.Contains(eval.Dimensions, c.Dimension):
			bad("criteria[%d]: dimension %q is not one of %s", i, c.Dimension, strings.Join(eval.Dimensions, ", "))
			continue
		case c.Criterion == "":
			bad("criteria[%d]: the criterion text is empty", i)
		case c.Weight < 0 || math.IsNaN(c.Weight) || math.IsInf(c.Weight, 0):
			bad("criteria[%d]: weight %v is not a non-negative number", i, c.Weight)
		}
		if c.Weight == 0 {
			c.Weight = 1
		}
		byDim[c.Dimension] = append(byDim[c.Dimension], c)
	}
	if dims == nil {
		dims = map[string]float64{}
		for d := range byDim {
			dims[d] = 1
		}
	}
	var total float64
	for d, w := range dims {
		switch {
		case !slices.Contains(eval.Dimensions, d):
			bad("dimension_weights: %q is not one of %s", d, strings.Join(eval.Dimensions, ", "))
		case w < 0 || math.IsNaN(w) || math.IsInf(w, 0):
			bad("dimension_weights: %s has weight %v, not a non-negative number", d, w)
		case w > 0 && len(byDim[d]) == 0:
			bad("dimension %s has weight %v but no criteria", d, w)
		default:
			total += w
		}
	}
	if len(problems) == 0 && total == 0 {
		bad("no dimension has a positive weight")
	}
	if len(problems) > 0 {
		return Rubric{}, errors.New(strings.Join(problems, "; "))
	}

	r := Rubric{Dimensions: map[string]float64{}}
	for _, d := range eval.Dimensions {
		w := dims[d]
		if w == 0 {
			continue
		}
		r.Dimensions[d] = w / total
		var sum float64
		for _, c := range byDim[d] {
			sum += c.Weight
		}
		for _, c := range byDim[d] {
			c.Weight /= sum
			r.Criteria = append(r.Criteria, c)
		}
	}
	return r, nil
}

// rubricReply is the JSON a judge returns for rubric generation.
type rubricReply struct {
	DimensionWeights map[string]*float64 `json:"dimension_weights"`
	Criteria         []struct {
		Dimension string   `json:"dimension"`
		Criterion string   `json:"criterion"`
		Weight    *float64 `json:"weight"`
	} `json:"criteria"`
}

// parseRubric validates a generated rubric: all four dimensions weighted,
// every criterion complete.
func parseRubric(reply string) (Rubric, error) {
	var rr rubricReply
	if err := decodeReply(reply, &rr); err != nil {
		return Rubric{}, err
	}
	var problems []string
	if rr.DimensionWeights == nil {
		problems = append(problems, `"dimension_weights" is missing`)
	}
	dims := map[string]float64{}
	for _, d := range eval.Dimensions {
		w, ok := rr.DimensionWeights[d]
		if rr.DimensionWeights != nil && (!ok || w == nil) {
			problems = append(problems, fmt.Sprintf(`"dimension_weights" has no weight for %s`, d))
			continue
		}
		if w != nil {
			dims[d] = *w
		}
	}
	for d, w := range rr.DimensionWeights {
		if !slices.Contains(eval.Dimensions, d) {
			dims[d] = 0
			if w != nil {
				dims[d] = *w
			}
		}
	}
	if len(rr.Criteria) == 0 {
		problems = append(problems, `"criteria" is missing or empty`)
	}
	criteria := make([]eval.Criterion, 0, len(rr.Criteria))
	for i, c := range rr.Criteria {
		if c.Weight == nil {
			problems = append(problems, fmt.Sprintf(`criteria[%d] has no "weight"`, i))
			continue
		}
		criteria = append(criteria, eval.Criterion{Dimension: c.Dimension, Criterion: c.Criterion, Weight: *c.Weight})
	}
	r, err := NewRubric(dims, criteria)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return Rubric{}, errors.New(strings.Join(problems, "; "))
	}
	r.Generated = true
	return r, nil
}

// valid reports whether r is a normalised rubric, as a cached one must be.
func (r Rubric) valid() bool {
	if len(r.Criteria) == 0 {
		return false
	}
	again, err := NewRubric(r.Dimensions, r.Criteria)
	if err != nil || len(again.Criteria) != len(r.Criteria) {
		return false
	}
	const eps = 1e-9
	for d, w := range r.Dimensions {
		if math.Abs(again.Dimensions[d]-w) > eps {
			return false
		}
	}
	for i := range r.Criteria {
		if math.Abs(again.Criteria[i].Weight-r.Criteria[i].Weight) > eps {
			return false
		}
	}
	return true
}

// RubricKey is the eval.Cache key a generated rubric is kept under.
func RubricKey(sampleID string) string { return "rubric/" + sampleID }

// rubricFor returns the sample's rubric: its own criteria when it has
// any, else one generated by the first judge, kept in the cache and in
// memory so that every variant and epoch is judged against the same one.
func (r *RACE) rubricFor(ctx context.Context, judge panelist, s eval.Sample) (Rubric, error) {
	if len(s.Rubric) > 0 {
		rub, err := NewRubric(nil, s.Rubric)
		if err != nil {
			return Rubric{}, fmt.Errorf("judge: race: sample %s: rubric: %v", s.ID, err)
		}
		return rub, nil
	}
	key := RubricKey(s.ID)
	memo := key + "\x00" + s.Question

	r.mu.Lock()
	if r.rubrics == nil {
		r.rubrics = map[string]*rubricCall{}
	}
	call, ok := r.rubrics[memo]
	if !ok {
		call = &rubricCall{done: make(chan struct{})}
		r.rubrics[memo] = call
	}
	r.mu.Unlock()

	if ok {
		select {
		case <-call.done:
		case <-ctx.Done():
			return Rubric{}, fmt.Errorf("judge: race: waiting for the rubric: %w", ctx.Err())
		}
		if call.err == nil {
			return call.rubric, nil
		}
		// The call that failed is forgotten below; try again.
		return r.rubricFor(ctx, judge, s)
	}

	call.rubric, call.err = r.loadOrGenerate(ctx, judge, s, key)
	if call.err != nil {
		r.mu.Lock()
		delete(r.rubrics, memo)
		r.mu.Unlock()
	}
	close(call.done)
	return call.rubric, call.err
}

// rubricCall is one rubric generation, shared by concurrent callers.
type rubricCall struct {
	done   chan struct{}
	rubric Rubric
	err    error
}

// loadOrGenerate reads the rubric from the cache or asks the judge for
// one and caches it.
func (r *RACE) loadOrGenerate(ctx context.Context, judge panelist, s eval.Sample, key string) (Rubric, error) {
	if r.Cache != nil {
		var cached Rubric
		ok, err := r.Cache.Load(key, &cached)
		if err != nil {
			return Rubric{}, fmt.Errorf("judge: race: loading %s: %w", key, err)
		}
		if ok && cached.valid() && cached.Question == s.Question {
			return cached, nil
		}
	}
	var rub Rubric
	_, err := judge.ask(ctx, "rubric", rubricSystem, fmt.Sprintf(rubricUser, Delimit("question", "", s.Question)),
		func(reply string) error {
			var err error
			rub, err = parseRubric(reply)
			return err
		})
	if err != nil {
		return Rubric{}, fmt.Errorf("judge: race: sample %s: %w", s.ID, err)
	}
	rub.Question = s.Question
	if r.Cache != nil {
		if err := r.Cache.Save(key, rub); err != nil {
			return Rubric{}, fmt.Errorf("judge: race: saving %s: %w", key, err)
		}
	}
	return rub, nil
}
