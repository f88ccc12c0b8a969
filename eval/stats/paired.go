package stats

import (
	"fmt"
	"math"
)

// Paired is the result of comparing two runs on the same samples. MeanDiff
// is the mean over paired samples of b - a; CI is a bootstrap interval for
// it; P is the two-sided sign-flip permutation p-value for "no difference";
// N counts paired samples. Significant is true only when N >= 2, the CI
// excludes 0 and P is below 1 − Confidence as well: with a handful of
// pairs that all differ the same way, the bootstrap interval is [min,
// max] and excludes 0 while the exact test cannot reject (two pairs give
// P = 0.5), and a verdict should not rest on that.
type Paired struct {
	MeanDiff    float64    `json:"mean_diff"`
	CI          [2]float64 `json:"ci"`
	P           float64    `json:"p"`
	N           int        `json:"n"`
	Significant bool       `json:"significant"`
}

const (
	// exactPermutationMax is the largest N tested by full enumeration of the
	// 2^N sign flips.
	exactPermutationMax = 16
	// permutationResamples is the number of random sign flips drawn above
	// exactPermutationMax.
	permutationResamples = 10000
)

// ComparePaired compares run b against run a sample by sample. Observations
// are paired by Cluster: the epochs of a cluster are averaged first, clusters
// present on one side only are dropped, and observations with an empty
// Cluster cannot be paired and are ignored. Pairs follow the order of first
// appearance in a. It returns an error wrapping ErrNoCommonClusters when no
// cluster is shared.
//
// The interval is the expanded percentile bootstrap of the mean difference
// over resampled pairs (see Summarize). The p-value comes from the paired
// sign-flip permutation test of |mean difference|: exact over all 2^N flips
// when N <= 16, otherwise Monte Carlo with 10000 flips seeded by opts.Seed
// and the +1 correction (p = (1+hits)/(1+10000)). Identical runs give
// MeanDiff 0, P 1 and Significant false. With a single pair CI is
// [MeanDiff, MeanDiff]. The result is deterministic for a
// given opts.Seed.
func ComparePaired(a, b []Observation, opts BootstrapOptions) (Paired, error) {
	opts = opts.withDefaults()
	ca, cb := groupClusters(a), groupClusters(b)
	meanB := make(map[string]float64, len(cb.ids))
	for i, id := range cb.ids {
		if id != "" {
			meanB[id] = Mean(cb.values[i])
		}
	}
	var diffs []float64
	for i, id := range ca.ids {
		if id == "" {
			continue
		}
		if mb, ok := meanB[id]; ok {
			diffs = append(diffs, mb-Mean(ca.values[i]))
			delete(meanB, id) // guard against double counting
		}
	}
	if len(diffs) == 0 {
		return Paired{}, fmt.Errorf("stats: compare paired: %w", ErrNoCommonClusters)
	}
	n := len(diffs)
	p := Paired{MeanDiff: Mean(diffs), N: n}
	p.CI = [2]float64{p.MeanDiff, p.MeanDiff}
	if n >= 2 {
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		p.CI = bootstrapCI(diffs, ones, opts, opts.rng(0))
	}
	if n <= exactPermutationMax {
		p.P = signFlipExact(diffs)
	} else {
		p.P = signFlipMonteCarlo(diffs, opts)
	}
	p.Significant = n >= 2 && (p.CI[0] > 0 || p.CI[1] < 0) && p.P < 1-opts.Confidence
	return p, nil
}

// tolerance returns the slack used when comparing permuted sums with the
// observed one, so that ties survive floating-point rounding.
func tolerance(diffs []float64) float64 {
	var s float64
	for _, d := range diffs {
		s += math.Abs(d)
	}
	return 1e-9 * s
}

// signFlipExact returns the fraction of the 2^n sign assignments whose
// |sum| is at least the observed |sum|.
func signFlipExact(diffs []float64) float64 {
	n := len(diffs)
	var obs float64
	for _, d := range diffs {
		obs += d
	}
	obs = math.Abs(obs) - tolerance(diffs)
	total := uint32(1) << n
	hits := 0
	for mask := range total {
		var s float64
		for i, d := range diffs {
			if mask&(1<<i) != 0 {
				s -= d
			} else {
				s += d
			}
		}
		if math.Abs(s) >= obs {
			hits++
		}
	}
	return float64(hits) / float64(total)
}

// signFlipMonteCarlo estimates the sign-flip p-value from random flips with
// the +1 correction, so that it is never 0.
func signFlipMonteCarlo(diffs []float64, opts BootstrapOptions) float64 {
	var obs float64
	for _, d := range diffs {
		obs += d
	}
	obs = math.Abs(obs) - tolerance(diffs)
	r := opts.rng(1)
	hits := 0
	for range permutationResamples {
		var s float64
		var word uint64
		for i, d := range diffs {
			if i%64 == 0 {
				word = r.Uint64()
			}
			if word&1 != 0 {
				s -= d
			} else {
				s += d
			}
			word >>= 1
		}
		if math.Abs(s) >= obs {
			hits++
		}
	}
	return float64(1+hits) / float64(1+permutationResamples)
}
