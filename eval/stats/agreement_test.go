package stats

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func repeat(label string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = label
	}
	return out
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestCohenKappa(t *testing.T) {
	// Wikipedia "Cohen's kappa" example: 50 proposals, both yes 20, A yes/B
	// no 5, A no/B yes 10, both no 15. po = 35/50 = 0.7; A says yes 25/50,
	// B 30/50, so pe = 0.5*0.6 + 0.5*0.4 = 0.5 and kappa = 0.2/0.5 = 0.4.
	wikiA := concat(repeat("yes", 20), repeat("yes", 5), repeat("no", 10), repeat("no", 15))
	wikiB := concat(repeat("yes", 20), repeat("no", 5), repeat("yes", 10), repeat("no", 15))

	tests := []struct {
		name string
		a, b []string
		want float64
	}{
		{"wikipedia 50 items", wikiA, wikiB, 0.4},
		{"perfect", []string{"a", "b", "c"}, []string{"a", "b", "c"}, 1},
		{"all one category", repeat("x", 4), repeat("x", 4), 1},
		// po = 0, pe = 0.5*0.5*2 = 0.5: kappa = -1.
		{"perfect disagreement", []string{"y", "n"}, []string{"n", "y"}, -1},
		// Agreement at chance: po = 0.5, pe = 0.5.
		{"chance", []string{"y", "y", "n", "n"}, []string{"y", "n", "y", "n"}, 0},
		// Missing labels drop items: the remaining 50 are the wiki example.
		{"missing skipped", append(wikiA, "", "yes"), append(wikiB, "no", ""), 0.4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CohenKappa(tt.a, tt.b)
			require.NoError(t, err)
			assert.InDelta(t, tt.want, got, 1e-12)
		})
	}

	_, err := CohenKappa([]string{"a"}, []string{"a", "b"})
	require.ErrorIs(t, err, ErrLengthMismatch)
	_, err = CohenKappa(nil, nil)
	require.ErrorIs(t, err, ErrNoData)
	_, err = CohenKappa([]string{"", "a"}, []string{"b", ""})
	require.ErrorIs(t, err, ErrNoData)
}

// grid parses rows of space-separated labels where "." means missing and
// returns ratings[item][rater] from a rater-by-item table.
func grid(rows ...string) [][]string {
	var byRater [][]string
	for _, r := range rows {
		byRater = append(byRater, strings.Fields(r))
	}
	items := make([][]string, len(byRater[0]))
	for i := range items {
		for _, r := range byRater {
			v := r[i]
			if v == "." {
				v = ""
			}
			items[i] = append(items[i], v)
		}
	}
	return items
}

func TestKrippendorffAlpha(t *testing.T) {
	tests := []struct {
		name    string
		ratings [][]string
		want    float64
	}{
		{
			// Krippendorff (2011), "Computing Krippendorff's alpha-
			// reliability", nominal example (also on Wikipedia): 4 observers,
			// 12 units, published alpha = 0.743. By hand: unit 12 has one
			// value and is dropped, leaving n = 40 pairable values with
			// n_1..n_5 = 9, 13, 10, 5, 3. Only units 2 {2,2,2,3}, 6
			// {1,2,3,4} and 8 {1,1,1,2} disagree, contributing 6/3, 12/3
			// and 6/3 ordered off-diagonal pairs: Do = 8/40. De =
			// (40^2 - (81+169+100+25+9)) / (40*39) = 1216/1560. alpha =
			// 1 - (8/40)(1560/1216) = 904/1216 = 0.74342.
			name: "krippendorff 2011 nominal",
			ratings: grid(
				"1 2 3 3 2 1 4 1 2 . . .",
				"1 2 3 3 2 2 4 1 2 5 . 3",
				". 3 3 3 2 3 4 2 2 5 1 .",
				"1 2 3 3 2 4 4 1 2 5 1 .",
			),
			want: 904.0 / 1216,
		},
		{
			// Krippendorff (2011) binary example, 2 observers, 10 units,
			// published alpha = 0.095. By hand: n = 20, n_0 = 14, n_1 = 6; 4
			// disagreeing units give 8 ordered pairs: Do = 8/20; De =
			// (400-196-36)/380 = 168/380; alpha = 1 - 152/168 = 2/21.
			name: "krippendorff 2011 binary",
			ratings: grid(
				"0 1 0 0 0 0 0 0 1 0",
				"1 1 1 0 0 1 0 0 0 0",
			),
			want: 2.0 / 21,
		},
		{
			name:    "all one category",
			ratings: grid("a a a", "a a a"),
			want:    1,
		},
		{
			name:    "perfect agreement",
			ratings: grid("a b c a", "a b c a", "a b . a"),
			want:    1,
		},
		{
			// Ragged rows and empty rows are allowed.
			name:    "ragged",
			ratings: [][]string{{"a", "a"}, {"b", "b", ""}, {}, {"a"}},
			want:    1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KrippendorffAlpha(tt.ratings)
			require.NoError(t, err)
			assert.InDelta(t, tt.want, got, 1e-12)
		})
	}
	assert.InDelta(t, 0.743, must(KrippendorffAlpha(tests[0].ratings)), 0.0005, "published value")

	_, err := KrippendorffAlpha(nil)
	require.ErrorIs(t, err, ErrNoData)
	_, err = KrippendorffAlpha([][]string{{"a", ""}, {"b"}})
	require.ErrorIs(t, err, ErrNoData)
}

func must(v float64, err error) float64 {
	if err != nil {
		panic(err)
	}
	return v
}
