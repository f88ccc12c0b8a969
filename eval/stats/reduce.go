package stats

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Reducer collapses the epoch scores of one sample into one score. Reducers
// never modify their argument and return 0 for an empty slice.
type Reducer func([]float64) float64

// ReduceMean returns the mean of the epochs.
func ReduceMean(xs []float64) float64 { return Mean(xs) }

// ReduceMedian returns the median of the epochs: the middle value, or the
// mean of the two middle values when their number is even.
func ReduceMedian(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ReduceMax returns the largest epoch score.
func ReduceMax(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return slices.Max(xs)
}

// ReduceMode returns the most frequent epoch score (exact equality); among
// equally frequent scores it returns the smallest.
func ReduceMode(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	best, bestN := s[0], 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if j-i > bestN {
			best, bestN = s[i], j-i
		}
		if j == i { // NaN never equals itself
			j++
		}
		i = j
	}
	return best
}

// PassAtK returns the reducer computing the unbiased pass@k estimator
// 1 - C(n-c, k)/C(n, k) over n epochs of which c score >= threshold: the
// probability that at least one of k epochs drawn without replacement passes.
// A k larger than n is treated as n and a k below 1 as 1.
func PassAtK(k int, threshold float64) Reducer {
	if k < 1 {
		k = 1
	}
	return func(xs []float64) float64 {
		n := len(xs)
		if n == 0 {
			return 0
		}
		kk := min(k, n)
		c := 0
		for _, x := range xs {
			if x >= threshold {
				c++
			}
		}
		if n-c < kk {
			return 1
		}
		// C(n-c,k)/C(n,k) = prod_{i=n-c+1}^{n} (1 - k/i), stable for large n.
		q := 1.0
		for i := n - c + 1; i <= n; i++ {
			q *= 1 - float64(kk)/float64(i)
		}
		return 1 - q
	}
}

// ReducerByName returns the reducer named name: "mean", "median", "max",
// "mode", or "pass@K" for a positive integer K. Names are case-insensitive.
// "pass@K" uses threshold 1: an epoch passes when its score is >= 1.
// Other names give an error wrapping ErrUnknownReducer.
func ReducerByName(name string) (Reducer, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "mean":
		return ReduceMean, nil
	case "median":
		return ReduceMedian, nil
	case "max":
		return ReduceMax, nil
	case "mode":
		return ReduceMode, nil
	}
	if ks, ok := strings.CutPrefix(n, "pass@"); ok {
		k, err := strconv.Atoi(ks)
		if err == nil && k >= 1 {
			return PassAtK(k, 1), nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownReducer, name)
}

// Reduce collapses each cluster of obs to one observation whose Value is r
// applied to the cluster's values in input order. Clusters appear in the
// order of their first observation; observations with an empty Cluster are
// reduced one by one.
func Reduce(obs []Observation, r Reducer) []Observation {
	c := groupClusters(obs)
	out := make([]Observation, len(c.ids))
	for i, id := range c.ids {
		out[i] = Observation{Cluster: id, Value: r(c.values[i])}
	}
	return out
}
