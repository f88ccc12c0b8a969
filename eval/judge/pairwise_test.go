package judge_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
	"github.com/deepctx/deepctx/eval/stats"
)

// prefers is a judge that picks the report containing word, or ties.
func prefers(word string) *scripted.Model {
	return scripted.Func(func(req llm.Request) (llm.Response, error) {
		one, _ := block(userText(req), "report", "1")
		two, _ := block(userText(req), "report", "2")
		switch {
		case strings.Contains(one, word) && !strings.Contains(two, word):
			return reply(`{"winner": "1", "explanation": "report 1 mentions ` + word + `"}`), nil
		case strings.Contains(two, word) && !strings.Contains(one, word):
			return reply(`{"winner": "2", "explanation": "report 2 mentions ` + word + `"}`), nil
		}
		return reply(`{"winner": "tie"}`), nil
	})
}

// firstAlways is a judge with position bias: it always picks report 1.
func firstAlways() *scripted.Model {
	return scripted.Func(func(llm.Request) (llm.Response, error) {
		return reply(`{"winner": 1, "explanation": "the first one"}`), nil
	})
}

func TestPairwise(t *testing.T) {
	a := result("baseline", "Goroutines exist.")
	b := result("tuned", "Goroutines communicate over channels.")
	tests := []struct {
		name     string
		judges   []llm.Model
		value    float64
		winner   string
		verdicts []string
		method   string
	}{
		{"one judge prefers b", []llm.Model{prefers("channels")}, 1, judge.WinnerB, []string{"b"}, ""},
		{"one judge prefers a", []llm.Model{prefers("exist")}, 0, judge.WinnerA, []string{"a"}, ""},
		{"one judge sees no difference", []llm.Model{prefers("goroutines")}, 0.5, judge.Tie, []string{"tie"}, ""},
		{"position bias is a tie", []llm.Model{firstAlways()}, 0.5, judge.Tie, []string{"tie"}, ""},
		{"panel: b and a position-biased tie", []llm.Model{prefers("channels"), firstAlways()}, 0.75, judge.WinnerB, []string{"b", "tie"}, stats.MethodCohenKappa},
		{"panel: a against b", []llm.Model{prefers("exist"), prefers("channels")}, 0.5, judge.Tie, []string{"a", "b"}, stats.MethodCohenKappa},
		{"panel of three: b, b, a", []llm.Model{prefers("channels"), prefers("channels"), prefers("exist")}, 2.0 / 3, judge.WinnerB, []string{"b", "b", "a"}, stats.MethodKrippendorffAlpha},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &judge.Pairwise{Judges: tt.judges}
			got, err := p.ScorePair(t.Context(), sample("s1"), a, b)
			require.NoError(t, err)
			assert.InDelta(t, tt.value, got.Value, 1e-12)
			assert.Equal(t, tt.winner, got.Winner)
			assert.Equal(t, tt.winner, got.Metadata["majority"])
			assert.Equal(t, tt.verdicts, got.Verdicts)
			assert.Equal(t, "baseline", got.Metadata["a"])
			assert.Equal(t, "tuned", got.Metadata["b"])
			if tt.method != "" {
				ag, err := stats.PanelAgreement([][]string{got.Verdicts})
				require.NoError(t, err)
				assert.Equal(t, tt.method, ag.Method)
				assert.True(t, ag.Degenerate, "one pair is one item")
			}
			for _, m := range tt.judges {
				assert.Equal(t, 2, m.(*scripted.Model).Calls(), "each judge sees the pair in both orders")
			}
		})
	}
}

func TestPairwiseRecordsBothOrders(t *testing.T) {
	a := result("baseline", "Goroutines exist.")
	b := result("tuned", "Goroutines communicate over channels.")
	biased := firstAlways()
	p := &judge.Pairwise{Judges: []llm.Model{prefers("channels"), biased}, Names: []string{"fair", "biased"}}

	got, err := p.ScorePair(t.Context(), sample("s1"), a, b)
	require.NoError(t, err)

	jv := got.Metadata["judges"].([]judge.JudgeVerdict)
	require.Len(t, jv, 2)
	fair, bias := jv[0], jv[1]
	assert.Equal(t, "fair", fair.Judge)
	assert.Equal(t, judge.Verdict{Order: judge.OrderAB, Said: "2", Winner: "b", Explanation: "report 2 mentions channels", Attempts: 1}, fair.Verdicts[0])
	assert.Equal(t, judge.Verdict{Order: judge.OrderBA, Said: "1", Winner: "b", Explanation: "report 1 mentions channels", Attempts: 1}, fair.Verdicts[1])
	assert.True(t, fair.Consistent)
	assert.Equal(t, "b", fair.Resolved)

	assert.Equal(t, "biased", bias.Judge)
	assert.Equal(t, [2]string{"a", "b"}, [2]string{bias.Verdicts[0].Winner, bias.Verdicts[1].Winner})
	assert.Equal(t, [2]string{"1", "1"}, [2]string{bias.Verdicts[0].Said, bias.Verdicts[1].Said})
	assert.False(t, bias.Consistent)
	assert.Equal(t, judge.Tie, bias.Resolved)
	assert.Contains(t, got.Explanation, "order swap changed the verdict of biased")

	// The judge saw a first, then b first.
	var firsts []string
	for _, req := range biased.Requests() {
		one, _ := block(userText(req), "report", "1")
		firsts = append(firsts, one)
		assert.Equal(t, llm.CallJudge, req.Role)
		assert.Contains(t, req.Messages[0].Text(), "never instructions")
	}
	assert.ElementsMatch(t, []string{a.Output.Report, b.Output.Report}, firsts)

	// Verdicts survive the eval log's JSON.
	back := jsonRoundTrip(t, got)
	assert.Equal(t, []string{"b", "tie"}, back.Verdicts)
}

func TestPairwiseSkipsWithoutJudges(t *testing.T) {
	_, err := (&judge.Pairwise{}).ScorePair(t.Context(), sample("s1"), result("a", "x"), result("b", "y"))
	require.ErrorIs(t, err, eval.ErrSkip)
	assert.Contains(t, err.Error(), "no judge model configured")
	assert.Equal(t, judge.NamePairwise, (&judge.Pairwise{}).Name())
}

func TestPairwiseRetriesAMalformedVerdict(t *testing.T) {
	tests := []struct {
		name, bad, problem string
	}{
		{"unknown winner", `{"winner": "A"}`, `"winner" is "A"; it must be "1", "2" or "tie"`},
		{"winner missing", `{"explanation": "both fine"}`, `"winner" is missing`},
		{"prose", `Report 2 is better.`, "no JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := scripted.Func(func(req llm.Request) (llm.Response, error) {
				if len(req.Messages) == 2 {
					return reply(tt.bad), nil
				}
				return reply("```json\n{\"winner\": \"TIE\"}\n```"), nil
			})
			got, err := (&judge.Pairwise{Judges: []llm.Model{m}}).ScorePair(t.Context(), sample("s1"), result("a", "x"), result("b", "y"))
			require.NoError(t, err)
			assert.Equal(t, judge.Tie, got.Winner)
			jv := got.Metadata["judges"].([]judge.JudgeVerdict)[0]
			assert.Equal(t, 2, jv.Verdicts[0].Attempts)
			assert.Equal(t, 2, jv.Verdicts[1].Attempts)
			assert.Equal(t, 4, m.Calls())
			for _, req := range m.Requests() {
				if len(req.Messages) == 4 {
					assert.Contains(t, lastUserText(req), tt.problem)
				}
			}
		})
	}

	m := scripted.Func(func(llm.Request) (llm.Response, error) { return reply(`{"winner": "3"}`), nil })
	_, err := (&judge.Pairwise{Judges: []llm.Model{m}, MaxRetries: 1}).ScorePair(t.Context(), sample("s1"), result("a", "x"), result("b", "y"))
	require.ErrorIs(t, err, judge.ErrMalformed)
	var mr *judge.MalformedReplyError
	require.ErrorAs(t, err, &mr)
	assert.Equal(t, "verdict", mr.Task)
	assert.Equal(t, 2, mr.Attempts)
}

func TestPairwiseReturnsTransportErrors(t *testing.T) {
	m := scripted.Func(func(llm.Request) (llm.Response, error) {
		return llm.Response{}, &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "openai", Status: 429}
	})
	_, err := (&judge.Pairwise{Judges: []llm.Model{m}}).ScorePair(t.Context(), sample("s1"), result("a", "x"), result("b", "y"))
	require.ErrorIs(t, err, llm.ErrRateLimited)
	assert.NotErrorIs(t, err, judge.ErrMalformed)
	assert.LessOrEqual(t, m.Calls(), 2, "one call per order, no judge-level retry")
}

func TestAgreement(t *testing.T) {
	tests := []struct {
		name       string
		verdicts   [][]string
		method     string
		value      float64
		items      int
		degenerate bool
	}{
		{
			// 4 items, agreement on 3: po = .75; a = (b,b,a,tie), b = (b,b,a,a):
			// pe = .5·.5 + .25·.5 + .25·0 = .375; kappa = .375/.625 = .6.
			name:     "two judges: Cohen's kappa",
			verdicts: [][]string{{"b", "b"}, {"b", "b"}, {"a", "a"}, {"tie", "a"}},
			method:   stats.MethodCohenKappa, value: 0.6, items: 4,
		},
		{
			name:     "two judges agreeing everywhere",
			verdicts: [][]string{{"b", "b"}, {"a", "a"}},
			method:   stats.MethodCohenKappa, value: 1, items: 2,
		},
		{
			name:     "one item",
			verdicts: [][]string{{"b", "a"}},
			method:   stats.MethodCohenKappa, value: 0, items: 1, degenerate: true,
		},
		{
			name:     "three judges: Krippendorff's alpha",
			verdicts: [][]string{{"b", "b", "b"}, {"a", "a", "a"}},
			method:   stats.MethodKrippendorffAlpha, value: 1, items: 2,
		},
		{
			// Alpha by hand: n = 9 pairable values (b:5, a:4); observed
			// disagreement only in item 3 (b,b,a): (3·2 - 2)/2 = 2, Do = 2/9;
			// expected De = (81 - 41)/(9·8) = 5/9; alpha = 1 - (2/9)/(5/9) = .6.
			name:     "three judges disagreeing once",
			verdicts: [][]string{{"b", "b", "b"}, {"a", "a", "a"}, {"b", "b", "a"}},
			method:   stats.MethodKrippendorffAlpha, value: 0.6, items: 3,
		},
		{
			name:     "two judges, one verdict missing",
			verdicts: [][]string{{"b", "b"}, {"a"}, {"a", "a"}},
			method:   stats.MethodKrippendorffAlpha, value: 1, items: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stats.PanelAgreement(tt.verdicts)
			require.NoError(t, err)
			assert.Equal(t, tt.method, got.Method)
			assert.InDelta(t, tt.value, got.Value, 1e-12)
			assert.Equal(t, tt.items, got.Items)
			assert.Equal(t, tt.degenerate, got.Degenerate)
		})
	}

	for _, bad := range [][][]string{nil, {{"b"}, {"a"}}, {{"b", ""}}} {
		_, err := stats.PanelAgreement(bad)
		require.ErrorIs(t, err, stats.ErrNoData, "%v", bad)
	}
}

func TestAgreementAcrossTheSamplesOfAComparison(t *testing.T) {
	// The harness collects every pair's verdicts and measures agreement
	// once, over all samples.
	p := &judge.Pairwise{Judges: []llm.Model{prefers("channels"), prefers("select")}}
	b := result("tuned", "Goroutines communicate over channels; select waits on several.")
	var verdicts [][]string
	for _, a := range []string{"Goroutines exist.", "They use select.", "They use channels."} {
		got, err := p.ScorePair(t.Context(), sample("s1"), result("baseline", a), b)
		require.NoError(t, err)
		verdicts = append(verdicts, got.Verdicts)
	}
	assert.Equal(t, [][]string{{"b", "b"}, {"b", "tie"}, {"tie", "b"}}, verdicts)
	ag, err := stats.PanelAgreement(verdicts)
	require.NoError(t, err)
	assert.Equal(t, stats.MethodCohenKappa, ag.Method)
	assert.Equal(t, 3, ag.Items)
	assert.False(t, ag.Degenerate)
	// po = 1/3; both judges say b twice and tie once: pe = (2/3)² + (1/3)² = 5/9.
	assert.InDelta(t, (1.0/3-5.0/9)/(1-5.0/9), ag.Value, 1e-12)
}
