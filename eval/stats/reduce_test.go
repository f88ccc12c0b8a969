package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReducers(t *testing.T) {
	tests := []struct {
		name string
		r    Reducer
		xs   []float64
		want float64
	}{
		{"mean", ReduceMean, []float64{1, 0, 1, 1}, 0.75},
		{"mean empty", ReduceMean, nil, 0},
		{"median odd", ReduceMedian, []float64{5, 1, 3}, 3},
		{"median even", ReduceMedian, []float64{4, 1, 3, 2}, 2.5},
		{"median empty", ReduceMedian, nil, 0},
		{"max", ReduceMax, []float64{0.2, 0.9, 0.5}, 0.9},
		{"max empty", ReduceMax, nil, 0},
		{"mode", ReduceMode, []float64{0.5, 1, 0.5, 0}, 0.5},
		{"mode tie takes smallest", ReduceMode, []float64{1, 0, 1, 0, 0.5}, 0},
		{"mode all distinct", ReduceMode, []float64{3, 2, 1}, 1},
		{"mode empty", ReduceMode, nil, 0},
		// 3 of 5 pass. pass@1 = 1 - C(2,1)/C(5,1) = 1 - 2/5.
		{"pass@1", PassAtK(1, 1), []float64{1, 0, 1, 0, 1}, 0.6},
		// pass@2 = 1 - C(2,2)/C(5,2) = 1 - 1/10.
		{"pass@2", PassAtK(2, 1), []float64{1, 0, 1, 0, 1}, 0.9},
		// n-c = 2 < k = 3: every draw of 3 contains a pass.
		{"pass@3", PassAtK(3, 1), []float64{1, 0, 1, 0, 1}, 1},
		// 1 of 4 passes; pass@2 = 1 - C(3,2)/C(4,2) = 1 - 3/6.
		{"pass@2 one pass", PassAtK(2, 1), []float64{0, 0, 1, 0}, 0.5},
		{"pass@k none", PassAtK(2, 1), []float64{0, 0.99, 0}, 0},
		// k > n uses n: any pass among all epochs.
		{"pass@k above n", PassAtK(10, 1), []float64{0, 1, 0}, 1},
		{"pass@k threshold", PassAtK(1, 0.5), []float64{0.5, 0.4, 0.7, 0.1}, 0.5},
		{"pass@k below 1 acts as 1", PassAtK(0, 1), []float64{1, 0}, 0.5},
		{"pass@k empty", PassAtK(1, 1), nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.xs...)
			assert.InDelta(t, tt.want, tt.r(in), 1e-12)
			assert.Equal(t, tt.xs, []float64(in), "reducers must not modify their input")
		})
	}
}

func TestReducerByName(t *testing.T) {
	xs := []float64{1, 0, 1, 0, 1}
	tests := []struct {
		name string
		want float64
	}{
		{"mean", 0.6}, {"median", 1}, {"max", 1}, {"mode", 1},
		{"pass@1", 0.6}, {"pass@2", 0.9}, {" PASS@2 ", 0.9},
	}
	for _, tt := range tests {
		r, err := ReducerByName(tt.name)
		require.NoError(t, err, tt.name)
		assert.InDelta(t, tt.want, r(xs), 1e-12, tt.name)
	}
	// Threshold 1: a score of 0.99 is not a pass.
	r, err := ReducerByName("pass@1")
	require.NoError(t, err)
	assert.Zero(t, r([]float64{0.99, 0.5}))

	for _, bad := range []string{"", "avg", "pass@", "pass@0", "pass@-1", "pass@x", "pass@1.5"} {
		_, err := ReducerByName(bad)
		assert.ErrorIs(t, err, ErrUnknownReducer, bad)
	}
}

func TestReduce(t *testing.T) {
	obs := []Observation{
		{"b", 1}, {"a", 0}, {"b", 0}, {"", 0.5}, {"a", 0}, {"b", 1}, {"", 0.25},
	}
	got := Reduce(obs, ReduceMean)
	assert.Equal(t, []Observation{{"b", 2.0 / 3}, {"a", 0}, {"", 0.5}, {"", 0.25}}, got)
	assert.Equal(t, []Observation{{"b", 1}, {"a", 0}, {"", 0.5}, {"", 0.25}}, Reduce(obs, ReduceMax))
	assert.Empty(t, Reduce(nil, ReduceMean))
}
