package judge_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
)

func TestRACESkips(t *testing.T) {
	tests := []struct {
		name   string
		race   *judge.RACE
		sample eval.Sample
		reason string
	}{
		{"no judge", &judge.RACE{}, sample("s1"), "no judge model configured"},
		{"no reference", &judge.RACE{Judges: []llm.Model{grader(5, 5)}}, eval.Sample{ID: "s1", Question: "q"}, "no reference report"},
		{"blank reference", &judge.RACE{Judges: []llm.Model{grader(5, 5)}}, eval.Sample{ID: "s1", Question: "q", ReferenceText: " \n"}, "no reference report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.race.Score(t.Context(), tt.sample, result("v", "report"))
			require.ErrorIs(t, err, eval.ErrSkip)
			assert.Contains(t, err.Error(), tt.reason)
		})
	}
}

func TestRACEScoresWithTheSampleRubric(t *testing.T) {
	// Grades per criterion: target, reference. The judge grades the
	// reports, not their positions: the same in both orders.
	grades := map[int][2]float64{1: {8, 4}, 2: {4, 8}, 3: {6, 6}}
	m := scripted.Func(func(req llm.Request) (llm.Response, error) {
		if targetAs(userText(req)) == "A" {
			return reply(`{"scores": [
			{"criterion": 1, "a": 8, "b": 4, "explanation": "A has more on channels"},
			{"criterion": 2, "a": 4, "b": 8, "explanation": "A has less on the memory model"},
			{"criterion": 3, "a": 6, "b": 6}]}`), nil
		}
		return reply(`{"scores": [
			{"criterion": 1, "a": 4, "b": 8, "explanation": "B has more on channels"},
			{"criterion": 2, "a": 8, "b": 4, "explanation": "B has less on the memory model"},
			{"criterion": 3, "a": 6, "b": 6}]}`), nil
	})
	s := sample("s1")
	s.Rubric = []eval.Criterion{
		{Dimension: "comprehensiveness", Criterion: "Covers channels", Weight: 1},
		{Dimension: "comprehensiveness", Criterion: "Covers the memory model", Weight: 3},
		{Dimension: "readability", Criterion: "Is clear"}, // weight 0 counts as 1
	}
	r := &judge.RACE{Judges: []llm.Model{m}, Names: []string{"gpt"}}

	got, err := r.Score(t.Context(), s, result("v", "Channels pass values."))
	require.NoError(t, err)

	// Comprehensiveness: target .25·8+.75·4 = 5, reference .25·4+.75·8 = 7.
	// Readability: 6 and 6. Dimensions weigh .5 each: 5.5 vs 6.5.
	assert.InDelta(t, 5.5/12, got.Value, 1e-12)
	assert.InDelta(t, 5.5, got.Metadata["target"], 1e-12)
	assert.InDelta(t, 6.5, got.Metadata["reference"], 1e-12)
	dims := got.Metadata["dimensions"].(map[string]judge.DimensionScore)
	assert.InDelta(t, 5.0/12, dims["comprehensiveness"].Relative, 1e-12)
	assert.InDelta(t, 0.5, dims["readability"].Relative, 1e-12)
	assert.NotContains(t, dims, "insight", "the sample's rubric has no insight criterion")

	rub := got.Metadata["rubric"].(judge.Rubric)
	assert.False(t, rub.Generated)
	assert.Equal(t, map[string]float64{"comprehensiveness": 0.5, "readability": 0.5}, rub.Dimensions)
	assert.InDelta(t, 0.25, rub.Criteria[0].Weight, 1e-12)
	assert.InDelta(t, 1, rub.Criteria[2].Weight, 1e-12)

	js := got.Metadata["judges"].([]judge.JudgeScores)
	require.Len(t, js, 1)
	assert.Equal(t, "gpt", js[0].Judge)
	assert.Equal(t, 2, js[0].Attempts, "one reply per order")
	require.Len(t, js[0].Orders, 2)
	assert.Equal(t, judge.TargetAsA, js[0].Orders[0].TargetAs)
	assert.Equal(t, judge.TargetAsB, js[0].Orders[1].TargetAs)
	for _, o := range append([]judge.OrderScores{{Criteria: js[0].Criteria}}, js[0].Orders...) {
		for k, g := range grades {
			c := o.Criteria[k-1]
			assert.Equal(t, k, c.Criterion)
			assert.Equal(t, g[0], c.Target, "order %q, criterion %d", o.TargetAs, k)
			assert.Equal(t, g[1], c.Reference, "order %q, criterion %d", o.TargetAs, k)
		}
	}
	for _, o := range js[0].Orders {
		assert.Equal(t, 1, o.Attempts)
		assert.InDelta(t, 5.5/12, o.Relative, 1e-12)
	}
	assert.Equal(t, "A has more on channels", js[0].Orders[0].Criteria[0].Explanation)
	assert.Equal(t, "B has more on channels", js[0].Orders[1].Criteria[0].Explanation)
	assert.Equal(t, "(report as A) A has more on channels (report as B) B has more on channels", js[0].Criteria[0].Explanation)
	assert.Empty(t, js[0].Criteria[2].Explanation)
	assert.Contains(t, got.Explanation, "RACE 0.458")
	assert.Contains(t, got.Explanation, "report 5.50/10, reference 6.50/10")

	// Two requests, one per order, neither saying which is the reference.
	reqs := m.Requests()
	require.Len(t, reqs, 2)
	var orders [][2]string
	for _, req := range reqs {
		assert.Equal(t, llm.CallJudge, req.Role)
		require.NotNil(t, req.Temperature)
		assert.Zero(t, *req.Temperature)
		require.Len(t, req.Messages, 2)
		assert.Equal(t, llm.RoleSystem, req.Messages[0].Role)
		prompt := userText(req)
		a, _ := block(prompt, "report", "A")
		b, _ := block(prompt, "report", "B")
		orders = append(orders, [2]string{a, b})
		assert.Contains(t, prompt, "2. [comprehensiveness, weight 0.75] Covers the memory model")
		assert.NotContains(t, strings.ToLower(outside(prompt)), "reference")
	}
	assert.ElementsMatch(t, [][2]string{
		{"Channels pass values.", s.ReferenceText}, // the target as A
		{s.ReferenceText, "Channels pass values."}, // the reference as A
	}, orders)
}

func TestRACESwapCancelsPositionBias(t *testing.T) {
	// The judge grades report A 8 and report B 4 on every criterion,
	// whatever they say. Shown once in each order, the target and the
	// reference each get 8 once and 4 once: equal, 0.5.
	biased := biasedGrader(8, 4)
	r := &judge.RACE{Judges: []llm.Model{biased}}
	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	assert.InDelta(t, 0.5, got.Value, 1e-12)
	assert.InDelta(t, 6, got.Metadata["target"], 1e-12)
	assert.InDelta(t, 6, got.Metadata["reference"], 1e-12)
	js := got.Metadata["judges"].([]judge.JudgeScores)[0]
	for _, c := range js.Criteria {
		assert.Equal(t, 6.0, c.Target)
		assert.Equal(t, 6.0, c.Reference)
	}
	for _, d := range js.Dimensions {
		assert.InDelta(t, 0.5, d.Relative, 1e-12)
	}
	// The raw grades show the bias: each order alone favours report A.
	require.Len(t, js.Orders, 2)
	assert.Equal(t, judge.TargetAsA, js.Orders[0].TargetAs)
	assert.InDelta(t, 8.0/12, js.Orders[0].Relative, 1e-12)
	assert.Equal(t, 8.0, js.Orders[0].Criteria[0].Target)
	assert.Equal(t, 4.0, js.Orders[0].Criteria[0].Reference)
	assert.Equal(t, judge.TargetAsB, js.Orders[1].TargetAs)
	assert.InDelta(t, 4.0/12, js.Orders[1].Relative, 1e-12)
	assert.Equal(t, 4.0, js.Orders[1].Criteria[0].Target)
	assert.Equal(t, 8.0, js.Orders[1].Criteria[0].Reference)
	assert.Equal(t, 3, biased.Calls(), "a rubric, then one scoring call per order")

	// In a panel, the biased judge counts as a tie; the fair one's
	// verdict is kept.
	panel := &judge.RACE{Judges: []llm.Model{biasedGrader(8, 4), grader(6, 4)}}
	got, err = panel.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	assert.InDelta(t, (0.5+0.6)/2, got.Value, 1e-12)
}

func TestRACEGeneratesTheRubricOnceAndCachesIt(t *testing.T) {
	var mu sync.Mutex
	rubricCalls := 0
	m := scripted.Func(func(req llm.Request) (llm.Response, error) {
		if isRubricRequest(req) {
			mu.Lock()
			rubricCalls++
			mu.Unlock()
			assert.Contains(t, userText(req), "<question>\nHow do goroutines")
			return reply(rubricJSON), nil
		}
		return reply(gradesJSON(userText(req), 6, 4)), nil
	})
	cache := newCache()
	r := &judge.RACE{Judges: []llm.Model{m}, Cache: cache}

	// Several variants and epochs of one sample score concurrently.
	var wg sync.WaitGroup
	scores := make([]eval.Score, 4)
	errs := make([]error, 4)
	for i := range scores {
		wg.Go(func() { scores[i], errs[i] = r.Score(t.Context(), sample("s1"), result("v", "report")) })
	}
	wg.Wait()
	for i := range scores {
		require.NoError(t, errs[i])
		assert.InDelta(t, 0.6, scores[i].Value, 1e-12)
	}
	assert.Equal(t, 1, rubricCalls, "one rubric per question")
	assert.Equal(t, 1, cache.saves)

	var cached judge.Rubric
	ok, err := cache.Load("rubric/s1", &cached)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "rubric/s1", judge.RubricKey("s1"))
	assert.True(t, cached.Generated)
	assert.Equal(t, map[string]float64{"comprehensiveness": 0.3, "insight": 0.3, "instruction_following": 0.2, "readability": 0.2}, cached.Dimensions)
	require.Len(t, cached.Criteria, 5)
	assert.InDelta(t, 2.0/3, cached.Criteria[0].Weight, 1e-12)
	assert.InDelta(t, 1.0/3, cached.Criteria[1].Weight, 1e-12)
	assert.Equal(t, "Covers the memory model", cached.Criteria[1].Criterion)

	assert.Equal(t, "How do goroutines communicate?", cached.Question)

	// A new scorer over the same log (rescoring) reuses the cached rubric.
	again := &judge.RACE{Judges: []llm.Model{m}, Cache: cache}
	got, err := again.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	assert.Equal(t, 1, rubricCalls, "the cached rubric is reused")
	assert.Equal(t, cached, got.Metadata["rubric"])

	// A sample whose question changed gets a new rubric.
	edited := sample("s1")
	edited.Question = "How do goroutines synchronise?"
	_, err = again.Score(t.Context(), edited, result("v", "report"))
	require.NoError(t, err)
	assert.Equal(t, 2, rubricCalls, "a rubric is for its question")
	_, err = cache.Load("rubric/s1", &cached)
	require.NoError(t, err)
	assert.Equal(t, edited.Question, cached.Question)
}

func TestRACEPanelAveragesItsJudges(t *testing.T) {
	r := &judge.RACE{Judges: []llm.Model{grader(6, 4), grader(3, 9)}}
	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)

	assert.InDelta(t, (0.6+0.25)/2, got.Value, 1e-12)
	js := got.Metadata["judges"].([]judge.JudgeScores)
	require.Len(t, js, 2)
	assert.Equal(t, []string{"judge1", "judge2"}, []string{js[0].Judge, js[1].Judge})
	assert.InDelta(t, 0.6, js[0].Relative, 1e-12)
	assert.InDelta(t, 0.25, js[1].Relative, 1e-12)
	assert.InDelta(t, 4.5, got.Metadata["target"], 1e-12)
	assert.Contains(t, got.Explanation, "mean of 2 judges")
}

func TestRACENamesJudges(t *testing.T) {
	r := &judge.RACE{Judges: []llm.Model{grader(5, 5), grader(5, 5), grader(5, 5)}, Names: []string{"gpt", "gpt"}}
	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	var names []string
	for _, j := range got.Metadata["judges"].([]judge.JudgeScores) {
		names = append(names, j.Judge)
	}
	assert.Equal(t, []string{"gpt#1", "gpt#2", "judge3"}, names, "names are unique within the panel")

	named := r.Named()
	assert.Equal(t, judge.NameRACE, named.Name)
	assert.Equal(t, "race", r.Name())
	assert.True(t, named.Higher)
	assert.Same(t, r, named.Scorer)
}

func TestRACEBothReportsZero(t *testing.T) {
	r := &judge.RACE{Judges: []llm.Model{grader(0, 0)}}
	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	assert.Equal(t, 0.5, got.Value, "equally bad reports are equal")
}

func TestRACERetriesMalformedReplies(t *testing.T) {
	valid := scoresJSON(1, 7, 7)
	tests := []struct {
		name       string
		maxRetries int
		replies    []string
		problem    string // in the retry message
		calls      int
		fails      bool
	}{
		{name: "not JSON", replies: []string{"The report is good: 7/10.", valid}, problem: "no JSON object", calls: 2},
		{name: "broken JSON", replies: []string{`{"scores": [{"criterion": 1, "a": 7,`, valid}, problem: "no JSON object", calls: 2},
		{name: "scores missing", replies: []string{`{"grades": []}`, valid}, problem: `"scores" is missing`, calls: 2},
		{name: "grade missing", replies: []string{`{"scores": [{"criterion": 1, "a": 7}]}`, valid}, problem: `criterion 1 has no score "b"`, calls: 2},
		{name: "grade out of range", replies: []string{`{"scores": [{"criterion": 1, "a": 11, "b": 7}]}`, valid}, problem: `score "a" is 11, outside 0 to 10`, calls: 2},
		{name: "negative grade", replies: []string{`{"scores": [{"criterion": 1, "a": 7, "b": -1}]}`, valid}, problem: "outside 0 to 10", calls: 2},
		{name: "criterion unscored", replies: []string{`{"scores": []}`, valid}, problem: "criteria 1 are not scored", calls: 2},
		{name: "unknown criterion", replies: []string{`{"scores": [{"criterion": 1, "a": 7, "b": 7}, {"criterion": 2, "a": 1, "b": 1}]}`, valid}, problem: "criterion 2 does not exist", calls: 2},
		{name: "grade as text", replies: []string{`{"scores": [{"criterion": 1, "a": "seven", "b": 7}]}`, valid}, problem: "not a valid JSON object", calls: 2},
		{name: "malformed twice", replies: []string{"nope", "still nope", valid}, problem: "no JSON object", calls: 3},
		{name: "always malformed", replies: []string{"nope", "nope", "nope", valid}, calls: 3, fails: true},
		{name: "more retries", maxRetries: 3, replies: []string{"nope", "nope", "nope", valid}, calls: 4},
		{name: "no retry", maxRetries: -1, replies: []string{"nope", valid}, calls: 1, fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The order with the target as A gets tt.replies, one per
			// attempt; the other order is answered validly at once.
			m := scripted.Func(func(req llm.Request) (llm.Response, error) {
				if targetAs(userText(req)) == "B" {
					return reply(valid), nil
				}
				return reply(tt.replies[(len(req.Messages)-2)/2]), nil
			})
			s := sample("s1")
			s.Rubric = []eval.Criterion{{Dimension: "insight", Criterion: "Explains why"}}
			r := &judge.RACE{Judges: []llm.Model{m}, MaxRetries: tt.maxRetries}

			got, err := r.Score(t.Context(), s, result("v", "report"))

			var reqs []llm.Request // those of the order with the target as A
			for _, req := range m.Requests() {
				if targetAs(userText(req)) == "A" {
					reqs = append(reqs, req)
				}
			}
			assert.Len(t, reqs, tt.calls)
			if tt.fails {
				require.Error(t, err)
				assert.ErrorIs(t, err, judge.ErrMalformed)
				assert.ErrorIs(t, err, llm.ErrMalformedOutput)
				var mr *judge.MalformedReplyError
				require.ErrorAs(t, err, &mr)
				assert.Equal(t, tt.calls, mr.Attempts)
				assert.Equal(t, "scores", mr.Task)
				assert.Equal(t, "nope", mr.Raw)
				assert.Zero(t, got.Value)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, 0.5, got.Value, 1e-12)
			js := got.Metadata["judges"].([]judge.JudgeScores)[0]
			assert.Equal(t, tt.calls+1, js.Attempts, "both orders' replies")
			assert.Equal(t, tt.calls, js.Orders[0].Attempts)
			assert.Equal(t, 1, js.Orders[1].Attempts)
			if tt.problem == "" {
				return
			}
			retry := reqs[1]
			require.Len(t, retry.Messages, 4, "system, prompt, the bad reply, the correction")
			assert.Equal(t, llm.RoleAssistant, retry.Messages[2].Role)
			assert.Equal(t, tt.replies[0], retry.Messages[2].Text())
			assert.Contains(t, lastUserText(retry), "Your reply could not be used")
			assert.Contains(t, lastUserText(retry), tt.problem)
		})
	}
}

func TestRACERetriesAnInvalidRubric(t *testing.T) {
	bad := `{"dimension_weights": {"comprehensiveness": 1, "insight": 1, "instruction_following": 1, "style": 1},
	  "criteria": [{"dimension": "style", "criterion": "Nice", "weight": 1}]}`
	m := scripted.NewFromConfig(scripted.Config{Turns: []scripted.Turn{
		scripted.Text(bad),
		scripted.Text(rubricJSON),
		scripted.Text(scoresJSON(5, 5, 5)), // one order
		scripted.Text(scoresJSON(5, 5, 5)), // the other
	}})
	cache := newCache()
	r := &judge.RACE{Judges: []llm.Model{m}, Cache: cache}

	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	assert.InDelta(t, 0.5, got.Value, 1e-12)

	retry := m.Requests()[1]
	problem := lastUserText(retry)
	for _, want := range []string{
		`"dimension_weights" has no weight for readability`,
		`"style" is not one of comprehensiveness, insight, instruction_following, readability`,
	} {
		assert.Contains(t, problem, want)
	}
}

func TestRACERubricProblems(t *testing.T) {
	tests := []struct {
		name    string
		dims    map[string]float64
		crit    []eval.Criterion
		problem string
	}{
		{"unknown dimension", nil, []eval.Criterion{{Dimension: "style", Criterion: "x"}}, `"style" is not one of`},
		{"empty criterion", nil, []eval.Criterion{{Dimension: "insight", Criterion: " "}}, "criterion text is empty"},
		{"negative weight", nil, []eval.Criterion{{Dimension: "insight", Criterion: "x", Weight: -1}}, "not a non-negative number"},
		{"weighted dimension without criteria", map[string]float64{"insight": 1, "readability": 1}, []eval.Criterion{{Dimension: "insight", Criterion: "x"}}, "readability has weight 1 but no criteria"},
		{"no weight", map[string]float64{"insight": 0}, []eval.Criterion{{Dimension: "insight", Criterion: "x"}}, "no dimension has a positive weight"},
		{"no criteria", nil, nil, "no dimension has a positive weight"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := judge.NewRubric(tt.dims, tt.crit)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.problem)
		})
	}

	// A sample with an invalid rubric fails without calling the judge.
	m := grader(5, 5)
	s := sample("s1")
	s.Rubric = []eval.Criterion{{Dimension: "style", Criterion: "x"}}
	_, err := (&judge.RACE{Judges: []llm.Model{m}}).Score(t.Context(), s, result("v", "r"))
	require.Error(t, err)
	assert.NotErrorIs(t, err, eval.ErrSkip)
	assert.Zero(t, m.Calls())
}

func TestRACEReturnsTransportErrors(t *testing.T) {
	transient := &llm.ProviderError{Kind: llm.ErrTransient, Provider: "openai", Status: 503, Message: "overloaded"}
	m := scripted.New(scripted.Text(rubricJSON), scripted.Err(transient), scripted.Err(transient))
	r := &judge.RACE{Judges: []llm.Model{m}}

	_, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.Error(t, err)
	assert.ErrorIs(t, err, llm.ErrTransient)
	assert.NotErrorIs(t, err, judge.ErrMalformed)
	assert.Equal(t, 3, m.Calls(), "a rubric and one call per order: a transport error is not retried by the judge, the model layer retries")
	assert.Contains(t, err.Error(), "judge1")
}

func TestRACEFailsWhenOneJudgeOfThePanelFails(t *testing.T) {
	broken := scripted.Func(func(llm.Request) (llm.Response, error) {
		return llm.Response{}, &llm.ProviderError{Kind: llm.ErrAuth, Provider: "openai", Status: 401}
	})
	r := &judge.RACE{Judges: []llm.Model{grader(5, 5), broken}, Names: []string{"good", "bad"}}
	_, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.ErrorIs(t, err, llm.ErrAuth)
	assert.Contains(t, err.Error(), "bad")
}

func TestRACEHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := &judge.RACE{Judges: []llm.Model{grader(5, 5)}}
	_, err := r.Score(ctx, sample("s1"), result("v", "report"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestRACEMetadataSurvivesJSON(t *testing.T) {
	r := &judge.RACE{Judges: []llm.Model{grader(6, 4)}}
	got, err := r.Score(t.Context(), sample("s1"), result("v", "report"))
	require.NoError(t, err)
	back := jsonRoundTrip(t, got)
	assert.InDelta(t, got.Value, back.Value, 1e-12)
	judges := back.Metadata["judges"].([]any)
	first := judges[0].(map[string]any)
	assert.Equal(t, "judge1", first["judge"])
	assert.Len(t, first["criteria"], 5)
	orders := first["orders"].([]any)
	require.Len(t, orders, 2)
	assert.Equal(t, "A", orders[0].(map[string]any)["target_as"])
	assert.Equal(t, "B", orders[1].(map[string]any)["target_as"])
	assert.Len(t, orders[1].(map[string]any)["criteria"], 5)
	assert.True(t, strings.HasPrefix(back.Explanation, "RACE 0.600"))
	assert.False(t, errors.Is(err, eval.ErrSkip))
}

func TestRACERegeneratesAnInvalidCachedRubric(t *testing.T) {
	cache := newCache()
	require.NoError(t, cache.Save("rubric/s1", judge.Rubric{
		Dimensions: map[string]float64{"insight": 2}, // not normalised
		Criteria:   []eval.Criterion{{Dimension: "insight", Criterion: "x", Weight: 1}},
	}))
	m := grader(5, 5)
	_, err := (&judge.RACE{Judges: []llm.Model{m}, Cache: cache}).Score(t.Context(), sample("s1"), result("v", "r"))
	require.NoError(t, err)
	assert.Equal(t, 1, len(filterRubric(m.Requests())), "the judge writes a new rubric")
	var cached judge.Rubric
	_, err = cache.Load("rubric/s1", &cached)
	require.NoError(t, err)
	assert.Len(t, cached.Criteria, 5)
}

func filterRubric(reqs []llm.Request) []llm.Request {
	var out []llm.Request
	for _, r := range reqs {
		if isRubricRequest(r) {
			out = append(out, r)
		}
	}
	return out
}
