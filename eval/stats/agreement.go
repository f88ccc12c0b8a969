package stats

import "fmt"

// CohenKappa returns Cohen's kappa for two raters who labelled the same
// items: a[i] and b[i] are their labels for item i. An empty label means
// missing and drops the item. Kappa is (po - pe) / (1 - pe), with po the
// observed agreement and pe the agreement expected from each rater's label
// frequencies. When pe is 1 (both raters used one and the same label) the
// observed disagreement is 0 and CohenKappa returns 1.
//
// It returns an error wrapping ErrLengthMismatch when len(a) != len(b) and
// ErrNoData when no item has both labels.
func CohenKappa(a, b []string) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("stats: cohen kappa: %w: %d and %d labels", ErrLengthMismatch, len(a), len(b))
	}
	ca := make(map[string]float64)
	cb := make(map[string]float64)
	var n, agree float64
	for i := range a {
		if a[i] == "" || b[i] == "" {
			continue
		}
		n++
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("stats: cohen kappa: %w: no item rated by both raters", ErrNoData)
	}
	po := agree / n
	var pe float64
	for k, x := range ca {
		pe += x / n * cb[k] / n
	}
	if po == 1 {
		return 1, nil
	}
	return (po - pe) / (1 - pe), nil
}

// KrippendorffAlpha returns Krippendorff's alpha for nominal data, where
// ratings[item][rater] is a label and "" means missing; rows may have
// different lengths. Items with fewer than two labels are not pairable and
// are ignored. Alpha is 1 - Do/De, the observed over the expected
// disagreement computed from the coincidence matrix. When the observed
// disagreement is 0 (in particular when every label is the same, which makes
// alpha formally undefined) KrippendorffAlpha returns 1.
//
// It returns an error wrapping ErrNoData when no item has two labels.
func KrippendorffAlpha(ratings [][]string) (float64, error) {
	totals := make(map[string]float64) // n_c: pairable values per label
	var n, disagree float64            // n and sum over c != k of o_ck
	for _, row := range ratings {
		counts := make(map[string]float64)
		var m float64
		for _, v := range row {
			if v != "" {
				counts[v]++
				m++
			}
		}
		if m < 2 {
			continue
		}
		// Ordered pairs of different labels in this unit, weighted 1/(m-1).
		var same float64
		for v, c := range counts {
			totals[v] += c
			same += c * (c - 1)
		}
		disagree += (m*(m-1) - same) / (m - 1)
		n += m
	}
	if n == 0 {
		return 0, fmt.Errorf("stats: krippendorff alpha: %w: no item with two labels", ErrNoData)
	}
	if disagree == 0 {
		return 1, nil
	}
	var sq float64
	for _, c := range totals {
		sq += c * c
	}
	do := disagree / n
	de := (n*n - sq) / (n * (n - 1))
	return 1 - do/de, nil
}
