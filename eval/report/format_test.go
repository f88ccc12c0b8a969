package report

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/deepctx/deepctx/eval/stats"
)

func TestThousands(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {999.5, "1,000"}, {1000, "1,000"}, {12345, "12,345"},
		{1234567.4, "1,234,567"}, {-1234, "-1,234"}, {-0.4, "0"}, {1e12, "1,000,000,000,000"},
		{math.NaN(), "NaN"}, {math.Inf(1), "+Inf"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Thousands(tt.v), "%v", tt.v)
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		scorer string
		v      float64
		want   string
	}{
		{"fact_recall", 0.66666, "0.667"},
		{"race", 0.5, "0.500"},
		{"some_new_scorer", 1, "1.000"},
		{"tokens_in", 12345.6, "12,346"},
		{"peak_context_tokens", 200000, "200,000"},
		{"cost_usd", 0.012345, "$0.0123"},
		{"cost_usd", -0.5, "-$0.5000"},
		{"tool_calls", 23, "23"},
		{"tool_calls", 2.3333, "2.33"},
		{"invalid_citations", 0, "0"},
		{"wall_s", 61.25, "61.2 s"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, FormatValue(tt.scorer, tt.v), "%s %v", tt.scorer, tt.v)
	}
	assert.Equal(t, "+0.300", UnitShare.signed(0.3))
	assert.Equal(t, "-0.300", UnitShare.signed(-0.3))
	assert.Equal(t, "+$0.0010", UnitUSD.signed(0.001))
	assert.Equal(t, "-$0.0010", UnitUSD.signed(-0.001))
	assert.Equal(t, "+1,500", UnitTokens.signed(1500))
}

func TestFormatSummary(t *testing.T) {
	s := stats.Summary{Mean: 0.6125, StdErr: 0.0412, CI: [2]float64{0.53, 0.69}, N: 12, Clusters: 12}
	assert.Equal(t, "0.613 ± 0.041 [0.530, 0.690] (n=12)", FormatSummary(s))
	assert.Equal(t, "—", FormatSummary(stats.Summary{}))
	tok := stats.Summary{Mean: 12408, StdErr: 1130.4, CI: [2]float64{10377, 14590}, N: 3}
	assert.Equal(t, "12,408 ± 1,130 [10,377, 14,590] (n=3)", FormatScore("tokens_in", tok))
	cost := stats.Summary{Mean: 0.0123, StdErr: 0.001, CI: [2]float64{0.0101, 0.0145}, N: 3}
	assert.Equal(t, "$0.0123 ± $0.0010 [$0.0101, $0.0145] (n=3)", FormatScore("cost_usd", cost))
	assert.Equal(t, "—", FormatScore("cost_usd", stats.Summary{}))
	assert.Equal(t, "<0.001", formatP(0.0004))
	assert.Equal(t, "0.050", formatP(0.05))
}

func TestPareto(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name          string
		cost, quality []float64
		want          []bool
	}{
		{"empty", nil, nil, []bool{}},
		{"one", []float64{1}, []float64{0.5}, []bool{true}},
		{"cheaper and better dominates", []float64{2, 1}, []float64{0.5, 0.8}, []bool{false, true}},
		{"trade-off keeps both", []float64{1, 2}, []float64{0.5, 0.8}, []bool{true, true}},
		{"equal cost, lower quality is dominated", []float64{1, 1}, []float64{0.5, 0.8}, []bool{false, true}},
		{"equal quality, higher cost is dominated", []float64{1, 2}, []float64{0.8, 0.8}, []bool{true, false}},
		{"identical points both stay", []float64{1, 1}, []float64{0.8, 0.8}, []bool{true, true}},
		{
			"front of five",
			[]float64{1, 2, 3, 2.5, 4},
			[]float64{0.4, 0.6, 0.9, 0.5, 0.85},
			[]bool{true, true, true, false, false},
		},
		{"NaN is never on the front and dominates nothing", []float64{nan, 2, 1}, []float64{1, 0.5, nan}, []bool{false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Pareto(tt.cost, tt.quality))
		})
	}
}

func TestNiceMaxAndTicks(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, -3: 1, 0.93: 1, 1: 1, 1.1: 1.2, 13000: 16000, 0.0123: 0.016, 0.0147: 0.016, 7: 8, 95: 100} {
		assert.InDelta(t, want, niceMax(v), 1e-12, "%v", v)
	}
	assert.Equal(t, "12k", tick(UnitTokens, 12000))
	assert.Equal(t, "1.5M", tick(UnitTokens, 1.5e6))
	assert.Equal(t, "$0.015", tick(UnitUSD, 0.015))
	assert.Equal(t, "0.25", tick(UnitShare, 0.25))
	assert.Equal(t, "0", tick(UnitShare, 0))
}

func TestMdText(t *testing.T) {
	assert.Equal(t, `a\|b \*c\* \[x\](y) &lt;b&gt; &amp; fact_recall`, mdText("a|b *c* [x](y) <b> & fact_recall"))
	assert.Equal(t, "one two", mdText("one\ntwo"))
	assert.Equal(t, "`go test`", mdCode("go test"))
	assert.Equal(t, "`` a`b ``", mdCode(" a`b "))
	assert.Equal(t, "`` `x` ``", mdCode("`x`"))
}
