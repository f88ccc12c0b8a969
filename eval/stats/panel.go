package stats

import "fmt"

// Agreement methods, as Agreement.Method names them.
const (
	MethodCohenKappa        = "cohen_kappa"
	MethodKrippendorffAlpha = "krippendorff_alpha"
)

// Agreement is the chance-corrected agreement of a panel of judges.
type Agreement struct {
	// Method is MethodCohenKappa for two judges, MethodKrippendorffAlpha
	// for more (or when some verdicts are missing).
	Method string `json:"method"`
	// Value is kappa or alpha: 1 is perfect agreement, 0 what chance
	// gives, below 0 systematic disagreement.
	Value float64 `json:"value"`
	// Items counts the items at least two judges gave a verdict on.
	Items int `json:"items"`
	// Judges is the panel's size: the longest row of verdicts.
	Judges int `json:"judges"`
	// Degenerate reports fewer than two items: the statistic then only
	// says whether the judges agreed on that one item (1) or not, and
	// means little. Compute it across the samples of a comparison.
	Degenerate bool `json:"degenerate,omitempty"`
}

// PanelAgreement measures how far a panel of judges agrees beyond chance.
// verdicts[item][judge] is one judge's verdict ("a", "b", "tie" — any
// nominal labels) on one item, e.g. the Verdicts of every pairwise score of a
// comparison; "" marks a missing verdict. With two judges it is Cohen's
// kappa, with more Krippendorff's alpha (nominal);
// when every judge gave the same verdict everywhere it is 1.
//
// It fails, wrapping ErrNoData, when no item has verdicts from two
// judges.
func PanelAgreement(verdicts [][]string) (Agreement, error) {
	st := Agreement{}
	for _, row := range verdicts {
		st.Judges = max(st.Judges, len(row))
		given := 0
		for _, v := range row {
			if v != "" {
				given++
			}
		}
		if given >= 2 {
			st.Items++
		}
	}
	st.Degenerate = st.Items < 2
	if st.Judges < 2 || st.Items == 0 {
		return st, fmt.Errorf("stats: agreement: %w: no item has verdicts from two judges", ErrNoData)
	}
	if st.Judges == 2 && complete(verdicts, 2) {
		a, b := make([]string, len(verdicts)), make([]string, len(verdicts))
		for i, row := range verdicts {
			a[i], b[i] = row[0], row[1]
		}
		k, err := CohenKappa(a, b)
		if err != nil {
			return st, fmt.Errorf("stats: agreement: %w", err)
		}
		st.Method, st.Value = MethodCohenKappa, k
		return st, nil
	}
	alpha, err := KrippendorffAlpha(verdicts)
	if err != nil {
		return st, fmt.Errorf("stats: agreement: %w", err)
	}
	st.Method, st.Value = MethodKrippendorffAlpha, alpha
	return st, nil
}

// complete reports whether every row has exactly n entries.
func complete(rows [][]string, n int) bool {
	for _, r := range rows {
		if len(r) != n {
			return false
		}
	}
	return true
}
