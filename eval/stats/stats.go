package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Observation is one score. Cluster is the sample ID: the epochs of one
// sample share a Cluster and are treated as correlated. An empty Cluster
// makes the observation a cluster of its own.
type Observation struct {
	Cluster string  `json:"cluster"`
	Value   float64 `json:"value"`
}

// Mean returns the arithmetic mean of xs, or 0 when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// StdErr returns the standard error of the mean of xs: the sample standard
// deviation (n-1 denominator) divided by sqrt(n). It returns 0 when xs has
// fewer than two values.
func StdErr(xs []float64) float64 {
	n := len(xs)
	if n < 2 {
		return 0
	}
	m := Mean(xs)
	var ss float64
	for _, x := range xs {
		d := x - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(n-1) / float64(n))
}

// Summary describes a set of observations. CI is a two-sided confidence
// interval for the mean at the requested confidence; N counts observations
// and Clusters counts distinct clusters. The zero Summary describes no data.
type Summary struct {
	Mean     float64    `json:"mean"`
	StdErr   float64    `json:"stderr"`
	CI       [2]float64 `json:"ci"`
	N        int        `json:"n"`
	Clusters int        `json:"clusters"`
}

// BootstrapOptions configures the randomised procedures of this package.
// The zero value selects every default.
type BootstrapOptions struct {
	// Resamples is the number of bootstrap resamples; 2000 when <= 0.
	Resamples int
	// Confidence is the two-sided confidence level of intervals; 0.95 when
	// outside (0, 1).
	Confidence float64
	// Seed seeds the PCG generator; 1 when 0. Equal seeds give equal results.
	Seed uint64
}

const (
	defaultResamples  = 2000
	defaultConfidence = 0.95
	defaultSeed       = 1
	// pcgStream is the fixed second PCG word; only Seed varies the stream.
	pcgStream = 0x9e3779b97f4a7c15
)

func (o BootstrapOptions) withDefaults() BootstrapOptions {
	if o.Resamples <= 0 {
		o.Resamples = defaultResamples
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		o.Confidence = defaultConfidence
	}
	if o.Seed == 0 {
		o.Seed = defaultSeed
	}
	return o
}

func (o BootstrapOptions) rng(salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(o.Seed, pcgStream^salt))
}

// clusters groups observations by Cluster in order of first appearance.
// Observations with an empty Cluster each form their own cluster.
type clusters struct {
	ids    []string
	values [][]float64
}

func groupClusters(obs []Observation) clusters {
	var c clusters
	index := make(map[string]int)
	for _, o := range obs {
		if o.Cluster != "" {
			if i, ok := index[o.Cluster]; ok {
				c.values[i] = append(c.values[i], o.Value)
				continue
			}
			index[o.Cluster] = len(c.ids)
		}
		c.ids = append(c.ids, o.Cluster)
		c.values = append(c.values, []float64{o.Value})
	}
	return c
}

// Summarize describes obs: Mean is the mean over all observations; StdErr is
// the cluster-robust standard error of that mean, which equals StdErr of the
// cluster means when clusters have equal sizes (and so the plain StdErr when
// every cluster holds one observation); CI is a bootstrap interval that
// resamples whole clusters with replacement.
//
// The interval is the expanded percentile bootstrap (Hesterberg 2015): the
// percentile interval with its tail levels widened by the small-sample factor
// sqrt(G/(G-1))·t(G-1)/z, where G is the number of clusters. This keeps
// coverage close to nominal with as few as 20 clusters, where the plain
// percentile interval under-covers. It is deterministic for a given
// opts.Seed.
//
// With no observations Summarize returns the zero Summary; with a single
// cluster the CI is [Mean, Mean]. Values must be finite.
func Summarize(obs []Observation, opts BootstrapOptions) Summary {
	if len(obs) == 0 {
		return Summary{}
	}
	opts = opts.withDefaults()
	c := groupClusters(obs)
	g := len(c.ids)
	sums := make([]float64, g)
	counts := make([]float64, g)
	var total float64
	for i, vs := range c.values {
		for _, v := range vs {
			sums[i] += v
		}
		counts[i] = float64(len(vs))
		total += sums[i]
	}
	n := float64(len(obs))
	mean := total / n
	s := Summary{Mean: mean, N: len(obs), Clusters: g, CI: [2]float64{mean, mean}}
	if g < 2 {
		return s
	}
	// Cluster-robust (CR1) variance of the ratio mean sum/count.
	var ss float64
	for i := range sums {
		r := sums[i] - counts[i]*mean
		ss += r * r
	}
	s.StdErr = math.Sqrt(float64(g)/float64(g-1)*ss) / n
	s.CI = bootstrapCI(sums, counts, opts, opts.rng(0))
	return s
}

// bootstrapCI resamples the clusters (sums[i], counts[i]) with replacement and
// returns the expanded percentile interval of sum/count. len(sums) >= 2.
func bootstrapCI(sums, counts []float64, opts BootstrapOptions, r *rand.Rand) [2]float64 {
	g := len(sums)
	equal := !slices.ContainsFunc(counts, func(c float64) bool { return c != counts[0] })
	est := make([]float64, opts.Resamples)
	for b := range est {
		var s, c float64
		if equal { // every resample has the same total count
			for range g {
				s += sums[r.IntN(g)]
			}
			c = float64(g) * counts[0]
		} else {
			for range g {
				i := r.IntN(g)
				s += sums[i]
				c += counts[i]
			}
		}
		est[b] = s / c
	}
	slices.Sort(est)
	lo := expandedTail(1-opts.Confidence, g)
	return [2]float64{quantile(est, lo), quantile(est, 1-lo)}
}

// expandedTail returns the lower tail probability of Hesterberg's expanded
// percentile interval for a two-sided level 1-alpha with n independent units.
func expandedTail(alpha float64, n int) float64 {
	if n < 2 {
		return alpha / 2
	}
	t := studentTQuantile(1-alpha, n-1)
	z := math.Sqrt(float64(n)/float64(n-1)) * t
	return normalCDF(-z)
}

// quantile returns the p-quantile of sorted xs by linear interpolation
// between order statistics (R type 7). len(xs) > 0.
func quantile(sorted []float64, p float64) float64 {
	if p <= 0 {
		return sorted[0]
	}
	if p >= 1 {
		return sorted[len(sorted)-1]
	}
	h := p * float64(len(sorted)-1)
	i := int(math.Floor(h))
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}
