package stats

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeanStdErr(t *testing.T) {
	tests := []struct {
		name       string
		xs         []float64
		mean, serr float64
	}{
		{"empty", nil, 0, 0},
		{"one", []float64{3}, 3, 0},
		// mean 2; squares 1+0+1 = 2; sd = sqrt(2/2) = 1; se = 1/sqrt(3).
		{"three", []float64{1, 2, 3}, 2, 1 / math.Sqrt(3)},
		// mean 5; squares 9+1+1+1+0+0+4+16 = 32; var = 32/7; se = sqrt(32/7/8).
		{"eight", []float64{2, 4, 4, 4, 5, 5, 7, 9}, 5, math.Sqrt(32.0 / 7 / 8)},
		{"constant", []float64{0.5, 0.5, 0.5, 0.5}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.mean, Mean(tt.xs), 1e-12)
			assert.InDelta(t, tt.serr, StdErr(tt.xs), 1e-12)
		})
	}
}

func obsOf(values ...float64) []Observation {
	out := make([]Observation, len(values))
	for i, v := range values {
		out[i] = Observation{Cluster: string(rune('a' + i)), Value: v}
	}
	return out
}

func TestSummarize(t *testing.T) {
	t.Run("empty is zero and NaN free", func(t *testing.T) {
		s := Summarize(nil, BootstrapOptions{})
		assert.Equal(t, Summary{}, s)
		_, err := json.Marshal(s)
		require.NoError(t, err)
	})
	t.Run("single observation", func(t *testing.T) {
		s := Summarize(obsOf(0.7), BootstrapOptions{})
		assert.Equal(t, Summary{Mean: 0.7, CI: [2]float64{0.7, 0.7}, N: 1, Clusters: 1}, s)
	})
	t.Run("single cluster with epochs", func(t *testing.T) {
		s := Summarize([]Observation{{"q", 1}, {"q", 0}}, BootstrapOptions{})
		assert.Equal(t, Summary{Mean: 0.5, CI: [2]float64{0.5, 0.5}, N: 2, Clusters: 1}, s)
	})
	t.Run("singleton clusters match plain stderr", func(t *testing.T) {
		xs := []float64{0.1, 0.4, 0.35, 0.8, 0.6, 0.9}
		s := Summarize(obsOf(xs...), BootstrapOptions{})
		assert.InDelta(t, Mean(xs), s.Mean, 1e-12)
		assert.InDelta(t, StdErr(xs), s.StdErr, 1e-12)
		assert.Equal(t, 6, s.N)
		assert.Equal(t, 6, s.Clusters)
		assert.Less(t, s.CI[0], s.Mean)
		assert.Greater(t, s.CI[1], s.Mean)
	})
	t.Run("empty cluster IDs are singletons", func(t *testing.T) {
		s := Summarize([]Observation{{"", 1}, {"", 0}, {"", 1}}, BootstrapOptions{})
		assert.Equal(t, 3, s.Clusters)
		assert.InDelta(t, StdErr([]float64{1, 0, 1}), s.StdErr, 1e-12)
	})
	t.Run("equal clusters use stderr of cluster means", func(t *testing.T) {
		obs := []Observation{
			{"a", 1}, {"a", 0}, {"a", 1},
			{"b", 0}, {"b", 0}, {"b", 0},
			{"c", 1}, {"c", 1}, {"c", 1},
			{"d", 1}, {"d", 0}, {"d", 0},
		}
		s := Summarize(obs, BootstrapOptions{})
		means := []float64{2.0 / 3, 0, 1, 1.0 / 3}
		assert.InDelta(t, 0.5, s.Mean, 1e-12)
		assert.InDelta(t, StdErr(means), s.StdErr, 1e-12)
		assert.Equal(t, 12, s.N)
		assert.Equal(t, 4, s.Clusters)
	})
	t.Run("unequal clusters weight observations", func(t *testing.T) {
		// Mean over observations is 3/5, not the mean of cluster means (1/2).
		// CR1: residuals S_g - n_g*mean = 2-1.2 = 0.8 and 1-1.8 = -0.8;
		// var = 2/1 * (0.64+0.64) / 25 = 0.1024; se = 0.32.
		obs := []Observation{{"a", 1}, {"a", 1}, {"b", 1}, {"b", 0}, {"b", 0}}
		s := Summarize(obs, BootstrapOptions{})
		assert.InDelta(t, 0.6, s.Mean, 1e-12)
		assert.InDelta(t, 0.32, s.StdErr, 1e-12)
	})
	t.Run("constant values give a degenerate interval", func(t *testing.T) {
		s := Summarize(obsOf(1, 1, 1, 1), BootstrapOptions{})
		assert.Equal(t, [2]float64{1, 1}, s.CI)
		assert.Zero(t, s.StdErr)
	})
}

func TestSummarizeDeterministic(t *testing.T) {
	obs := obsOf(0.2, 0.9, 0.4, 0.4, 1, 0, 0.75, 0.3, 0.6, 0.55)
	opts := BootstrapOptions{Seed: 42, Resamples: 500}
	first := Summarize(obs, opts)
	second := Summarize(obs, opts)
	assert.Equal(t, first, second)
	assert.Equal(t, Summarize(obs, BootstrapOptions{}), Summarize(obs, BootstrapOptions{Seed: 1, Resamples: 2000, Confidence: 0.95}),
		"zero options select the documented defaults")
	other := Summarize(obs, BootstrapOptions{Seed: 43, Resamples: 500})
	assert.NotEqual(t, first.CI, other.CI, "the seed drives the resampling")
	wide := Summarize(obs, BootstrapOptions{Seed: 42, Resamples: 500, Confidence: 0.99})
	assert.Less(t, wide.CI[0], first.CI[0])
	assert.Greater(t, wide.CI[1], first.CI[1])
}

func TestSummaryJSON(t *testing.T) {
	b, err := json.Marshal(Summary{Mean: 0.5, StdErr: 0.1, CI: [2]float64{0.3, 0.7}, N: 4, Clusters: 2})
	require.NoError(t, err)
	assert.JSONEq(t, `{"mean":0.5,"stderr":0.1,"ci":[0.3,0.7],"n":4,"clusters":2}`, string(b))
}

func TestStudentTQuantile(t *testing.T) {
	// Two-sided 95% critical values from standard t tables.
	tests := []struct {
		nu   int
		want float64
	}{
		{1, 12.7062}, {2, 4.3027}, {3, 3.1824}, {4, 2.7764}, {10, 2.2281},
		{19, 2.0930}, {29, 2.0452}, {100, 1.9840}, {1000, 1.9623},
	}
	for _, tt := range tests {
		assert.InDelta(t, tt.want, studentTQuantile(0.95, tt.nu), 1e-4, "nu=%d", tt.nu)
	}
	assert.InDelta(t, 1.959964, normalQuantile(0.975), 1e-6)
	assert.InDelta(t, 0.975, normalCDF(1.959964), 1e-6)
}

func TestQuantile(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5}
	assert.Equal(t, 1.0, quantile(xs, 0))
	assert.Equal(t, 5.0, quantile(xs, 1))
	assert.Equal(t, 3.0, quantile(xs, 0.5))
	assert.InDelta(t, 1.4, quantile(xs, 0.1), 1e-12)
}
