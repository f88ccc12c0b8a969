package report

import (
	"slices"
	"sort"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

// Options configure a report. The zero value is ready to use.
type Options struct {
	// Title heads the report. Optional. Defaults to "Eval: " and the
	// suite's name.
	Title string
	// Comparisons are paired differences between variants to show
	// (eval.Compare), in order. Optional.
	Comparisons []eval.Comparison
	// Quality names the scorers of the HTML report's bar chart, in
	// order; scorers without data are left out. Optional. Defaults to
	// DefaultQuality.
	Quality []string
	// Command is the command line that produced the results, printed so
	// that a reader can reproduce them. Optional.
	Command string
	// Pairs are the side-by-side judge verdicts per sample (Log.Pairs),
	// whose explanations the HTML report's drill-down shows. Optional.
	Pairs []eval.PairRecord
}

// DefaultQuality are the scorers of the bar chart when Options.Quality
// is empty.
var DefaultQuality = []string{"fact_recall", "supported_fact_recall", "citation_accuracy", "source_recall"}

// roundScorers are the per-round scorers reports show, in order.
var roundScorers = []string{"fact_recall", "citation_accuracy"}

// Splits reports show after the overall table, in order.
var splits = []struct{ key, title string }{{"test", "Test split"}, {"dev", "Dev split"}}

func (o Options) title(s eval.Summary) string {
	if o.Title != "" {
		return o.Title
	}
	if s.Suite != "" {
		return "Eval: " + s.Suite
	}
	return "Eval"
}

func (o Options) quality() []string {
	if len(o.Quality) > 0 {
		return o.Quality
	}
	return DefaultQuality
}

// scorerOrder lists the summary's scorers, then any other a variant has
// statistics for, sorted.
func scorerOrder(s eval.Summary) []string {
	names := slices.Clone(s.Scorers)
	var extra []string
	for _, v := range s.Variants {
		for n := range v.Scores {
			if !slices.Contains(names, n) && !slices.Contains(extra, n) {
				extra = append(extra, n)
			}
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// splitScorers lists the scorers with statistics on the split, in order.
func splitScorers(s eval.Summary, split string) []string {
	var out []string
	for _, name := range scorerOrder(s) {
		for _, v := range s.Variants {
			if st, ok := v.Splits[split][name]; ok && st.N > 0 {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// hasRounds reports whether any variant has per-round statistics of the
// scorer.
func hasRounds(s eval.Summary, scorer string) bool {
	for _, v := range s.Variants {
		if len(v.Rounds[scorer]) > 0 {
			return true
		}
	}
	return false
}

// maxRounds returns the largest number of rounds of the scorer.
func maxRounds(s eval.Summary, scorer string) int {
	n := 0
	for _, v := range s.Variants {
		n = max(n, len(v.Rounds[scorer]))
	}
	return n
}

// roundAt returns the variant's statistics of the scorer at round r,
// carrying its last round forward, and false when it has none.
func roundAt(v eval.VariantSummary, scorer string, r int) (stats.Summary, bool) {
	rs := v.Rounds[scorer]
	if len(rs) == 0 {
		return stats.Summary{}, false
	}
	return rs[min(r, len(rs)-1)], true
}

func roundLabel(r int) string {
	if r == 0 {
		return "0 (first draft)"
	}
	return itoa(r)
}

// problems are the failed and skipped score counts of a variant, as
// "scorer ×n" lists.
func problems(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	names := make([]string, 0, len(m))
	for n, c := range m {
		if c > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " ×" + itoa(m[n])
	}
	return strings.Join(parts, ", ")
}

func itoa(n int) string { return Thousands(float64(n)) }

// hasProblems reports whether any attempt failed or any score was
// skipped or failed.
func hasProblems(s eval.Summary) bool {
	for _, v := range s.Variants {
		if v.Errors > 0 || problems(v.Skipped) != "" || problems(v.Failed) != "" {
			return true
		}
	}
	return false
}

// attempts counts the eval's attempts: its samples' outcomes, or the
// variants' counts when the summary lists no samples.
func attempts(s eval.Summary) int {
	if len(s.Samples) > 0 {
		return len(s.Samples)
	}
	n := 0
	for _, v := range s.Variants {
		n += v.Attempts
	}
	return n
}
