package stats

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestComparePairedIdentical(t *testing.T) {
	for _, n := range []int{5, 16, 40} { // exact and Monte Carlo paths
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 7))
			var a []Observation
			for i := range n {
				for range 3 {
					a = append(a, Observation{fmt.Sprint("s", i), r.Float64()})
				}
			}
			p, err := ComparePaired(a, a, BootstrapOptions{})
			require.NoError(t, err)
			assert.Equal(t, Paired{MeanDiff: 0, CI: [2]float64{0, 0}, P: 1, N: n, Significant: false}, p)
		})
	}
}

func TestComparePairedShift(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	var a, b []Observation
	for i := range 20 {
		id := fmt.Sprint("s", i)
		base := 0.3 + 0.3*r.Float64() // sample difficulty
		for range 3 {
			a = append(a, Observation{id, base + 0.1*r.NormFloat64()})
			b = append(b, Observation{id, base + 0.2 + 0.1*r.NormFloat64()})
		}
	}
	p, err := ComparePaired(a, b, BootstrapOptions{})
	require.NoError(t, err)
	assert.Equal(t, 20, p.N)
	assert.InDelta(t, 0.2, p.MeanDiff, 0.05)
	assert.True(t, p.Significant)
	assert.Greater(t, p.CI[0], 0.0)
	assert.Less(t, p.P, 0.01)
	assert.GreaterOrEqual(t, p.P, 1.0/10001, "Monte Carlo p-value carries the +1 correction")

	rev, err := ComparePaired(b, a, BootstrapOptions{})
	require.NoError(t, err)
	assert.InDelta(t, -p.MeanDiff, rev.MeanDiff, 1e-12, "diff is b - a")
	assert.True(t, rev.Significant)
	assert.Less(t, rev.CI[1], 0.0)
}

func TestComparePairedExactPermutation(t *testing.T) {
	tests := []struct {
		name  string
		a, b  []Observation
		diff  float64
		n     int
		wantP float64
	}{
		{
			// diffs 1, 2, 3: of the 8 sign flips only +++ and --- reach
			// |sum| >= 6, so p = 2/8.
			name: "three pairs",
			a:    []Observation{{"x", 0}, {"y", 0}, {"z", 0}},
			b:    []Observation{{"x", 1}, {"y", 2}, {"z", 3}},
			diff: 2, n: 3, wantP: 0.25,
		},
		{
			// Epochs are averaged first: diffs are x: 1-0.5, y: 0.5-0,
			// z: 0-(-0.5) = 0.5 each; unmatched clusters "only-a" and
			// "only-b" are dropped. Sums: |±0.5±0.5±0.5| >= 1.5 for 2 of 8.
			name: "epochs averaged, unmatched dropped",
			a: []Observation{{"x", 0}, {"x", 1}, {"only-a", 9}, {"y", 0},
				{"z", -0.5}, {"", 3}},
			b:    []Observation{{"z", 0}, {"y", 0.5}, {"x", 1}, {"only-b", -9}, {"", 7}},
			diff: 0.5, n: 3, wantP: 0.25,
		},
		{
			// diffs 1, -1, 2, 0.5 (sum 2.5): flipped sums are (±1±1) + (±2±0.5)
			// = {2,0,0,-2} + {2.5,1.5,-1.5,-2.5}; |sum| >= 2.5 holds for
			// 4.5, 3.5, 2.5, -2.5 (twice each for the two zeros), -3.5, -4.5:
			// 8 of 16.
			name: "four pairs with ties",
			a:    []Observation{{"p", 0}, {"q", 1}, {"r", 0}, {"s", 0}},
			b:    []Observation{{"p", 1}, {"q", 0}, {"r", 2}, {"s", 0.5}},
			diff: 0.625, n: 4, wantP: 0.5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ComparePaired(tt.a, tt.b, BootstrapOptions{})
			require.NoError(t, err)
			assert.InDelta(t, tt.diff, p.MeanDiff, 1e-12)
			assert.Equal(t, tt.n, p.N)
			assert.InDelta(t, tt.wantP, p.P, 1e-12)
		})
	}
}

func TestSignFlipMonteCarloMatchesExact(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	diffs := make([]float64, 18)
	for i := range diffs {
		diffs[i] = 0.05 + 0.3*r.NormFloat64()
	}
	exact := signFlipExact(diffs)
	mc := signFlipMonteCarlo(diffs, BootstrapOptions{}.withDefaults())
	assert.InDelta(t, exact, mc, 0.015, "exact %.4f vs Monte Carlo %.4f", exact, mc)
}

func TestComparePairedErrorsAndDeterminism(t *testing.T) {
	_, err := ComparePaired([]Observation{{"a", 1}}, []Observation{{"b", 1}}, BootstrapOptions{})
	require.ErrorIs(t, err, ErrNoCommonClusters)
	_, err = ComparePaired(nil, nil, BootstrapOptions{})
	require.ErrorIs(t, err, ErrNoCommonClusters)
	_, err = ComparePaired([]Observation{{"", 1}}, []Observation{{"", 1}}, BootstrapOptions{})
	require.ErrorIs(t, err, ErrNoCommonClusters, "empty clusters cannot be paired")

	one, err := ComparePaired([]Observation{{"a", 0.25}}, []Observation{{"a", 1}}, BootstrapOptions{})
	require.NoError(t, err)
	assert.Equal(t, Paired{MeanDiff: 0.75, CI: [2]float64{0.75, 0.75}, P: 1, N: 1, Significant: false}, one,
		"one pair gives no interval, so never significant")

	r := rand.New(rand.NewPCG(9, 9))
	var a, b []Observation
	for i := range 30 {
		a = append(a, Observation{fmt.Sprint(i), r.Float64()})
		b = append(b, Observation{fmt.Sprint(i), r.Float64()})
	}
	opts := BootstrapOptions{Seed: 99}
	first, err := ComparePaired(a, b, opts)
	require.NoError(t, err)
	second, err := ComparePaired(a, b, opts)
	require.NoError(t, err)
	assert.Equal(t, first, second)
}

func TestPairedJSON(t *testing.T) {
	b, err := json.Marshal(Paired{MeanDiff: 0.1, CI: [2]float64{0.05, 0.15}, P: 0.01, N: 20, Significant: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"mean_diff":0.1,"ci":[0.05,0.15],"p":0.01,"n":20,"significant":true}`, string(b))
}

func TestFewPairsAreNotSignificantOnTheIntervalAlone(t *testing.T) {
	a := []Observation{{Cluster: "x", Value: 0}, {Cluster: "y", Value: 0}}
	b := []Observation{{Cluster: "x", Value: 0.1}, {Cluster: "y", Value: 0.2}}
	p, err := ComparePaired(a, b, BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !(p.CI[0] > 0) || p.P != 0.5 || p.Significant {
		t.Fatalf("two same-signed pairs: CI %v excludes 0 but p = %v; want not significant, got %+v", p.CI, p.P, p)
	}
}
