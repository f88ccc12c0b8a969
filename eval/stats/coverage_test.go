package stats

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// coverage runs trials of gen, each summarised with a bootstrap CI, and
// returns the fraction of intervals that contain truth. Both the data and the
// bootstrap are seeded, so the result is reproducible.
func coverage(trials int, truth float64, resamples int, gen func(r *rand.Rand) []Observation) float64 {
	r := rand.New(rand.NewPCG(2024, 17))
	hits := 0
	for i := range trials {
		s := Summarize(gen(r), BootstrapOptions{Resamples: resamples, Seed: uint64(i + 1)})
		if s.CI[0] <= truth && truth <= s.CI[1] {
			hits++
		}
	}
	return float64(hits) / float64(trials)
}

// TestBootstrapCoverage checks that nominal 95% intervals cover the true mean
// in 93-97% of 1000 trials. It uses 1000 resamples per interval instead of
// the default 2000 to keep the package test fast under -race; the Monte Carlo
// error that adds to the interval ends is small next to the trial-to-trial
// spread (binomial sd of the coverage over 1000 trials is 0.7 points).
func TestBootstrapCoverage(t *testing.T) {
	const (
		trials    = 1000
		resamples = 1000
	)
	// Clustered data: 20 samples x 3 epochs, sample effect sd 0.15 and epoch
	// noise sd 0.1, so epochs of one sample are strongly correlated.
	clustered := func(r *rand.Rand, clusterIDs bool) []Observation {
		obs := make([]Observation, 0, 60)
		for g := range 20 {
			u := 0.15 * r.NormFloat64()
			for e := range 3 {
				id := fmt.Sprint(g)
				if !clusterIDs {
					id = fmt.Sprint(g, "/", e)
				}
				obs = append(obs, Observation{id, 0.6 + u + 0.1*r.NormFloat64()})
			}
		}
		return obs
	}
	tests := []struct {
		name     string
		truth    float64
		gen      func(r *rand.Rand) []Observation
		trials   int
		min, max float64
	}{
		{"normal(0.6, 0.2) n=30", 0.6, func(r *rand.Rand) []Observation {
			obs := make([]Observation, 30)
			for i := range obs {
				obs[i] = Observation{fmt.Sprint(i), 0.6 + 0.2*r.NormFloat64()}
			}
			return obs
		}, trials, 0.93, 0.97},
		{"bernoulli(0.7) n=30", 0.7, func(r *rand.Rand) []Observation {
			obs := make([]Observation, 30)
			for i := range obs {
				v := 0.0
				if r.Float64() < 0.7 {
					v = 1
				}
				obs[i] = Observation{fmt.Sprint(i), v}
			}
			return obs
		}, trials, 0.93, 0.97},
		{"clustered 20x3", 0.6, func(r *rand.Rand) []Observation { return clustered(r, true) }, trials, 0.93, 0.97},
		// The same data with every epoch treated as independent: the naive
		// bootstrap ignores the correlation and under-covers badly (about 80%
		// in theory for these variances). 300 trials suffice to tell 80% from
		// 90% and keep the test fast.
		{"clustered 20x3 naive", 0.6, func(r *rand.Rand) []Observation { return clustered(r, false) }, 300, 0, 0.90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := coverage(tt.trials, tt.truth, resamples, tt.gen)
			t.Logf("coverage %.3f", got)
			assert.GreaterOrEqual(t, got, tt.min)
			assert.LessOrEqual(t, got, tt.max)
		})
	}
}
