package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/deepctx/deepctx/eval/stats"
)

// Unit is how a scorer's values read: a share, a token count, an amount
// of money, a count or a duration. Reports format values by it.
type Unit int

// Units of scorers' values.
const (
	// UnitShare is a value in [0, 1], shown as 0.000.
	UnitShare Unit = iota
	// UnitTokens is a number of tokens, shown as an integer with
	// thousands separators.
	UnitTokens
	// UnitUSD is an amount in US dollars, shown as $0.0000.
	UnitUSD
	// UnitCount counts things (citations, claims, tool calls); a mean
	// shows two decimals, a whole value none.
	UnitCount
	// UnitSeconds is a duration in seconds, shown as 0.0 s.
	UnitSeconds
)

// units maps the names of the harness's scorers to their units; other
// scorers (judges included) read as shares.
var units = map[string]Unit{
	"tokens_in":           UnitTokens,
	"tokens_out":          UnitTokens,
	"tokens_cached":       UnitTokens,
	"billed_tokens":       UnitTokens,
	"peak_context_tokens": UnitTokens,
	"cost_usd":            UnitUSD,
	"invalid_citations":   UnitCount,
	"effective_citations": UnitCount,
	"uncited_claims":      UnitCount,
	"tool_calls":          UnitCount,
	"wall_s":              UnitSeconds,
}

// UnitOf returns the unit of the named scorer's values: UnitShare for a
// scorer it does not know.
func UnitOf(scorer string) Unit { return units[scorer] }

// Format formats v in unit u.
func (u Unit) Format(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	switch u {
	case UnitTokens:
		return Thousands(v)
	case UnitUSD:
		if v < 0 {
			return fmt.Sprintf("-$%.4f", -v)
		}
		return fmt.Sprintf("$%.4f", v)
	case UnitCount:
		if v == math.Trunc(v) {
			return Thousands(v)
		}
		return fmt.Sprintf("%.2f", v)
	case UnitSeconds:
		return fmt.Sprintf("%.1f s", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// signed formats a difference in unit u with an explicit sign.
func (u Unit) signed(v float64) string {
	s := u.Format(v)
	if v >= 0 && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

// Thousands formats v rounded to an integer with comma thousands
// separators: 1234567.4 → "1,234,567".
func Thousands(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	r := math.Round(v)
	neg := r < 0
	s := fmt.Sprintf("%.0f", math.Abs(r))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatValue formats one value of the named scorer in its unit.
func FormatValue(scorer string, v float64) string { return UnitOf(scorer).Format(v) }

// FormatSummary formats s as shares: "mean ± stderr [lo, hi] (n=N)",
// or "—" when s describes no data.
func FormatSummary(s stats.Summary) string { return formatIn(UnitShare, s) }

// FormatScore formats the statistics of the named scorer like
// FormatSummary, in the scorer's unit: "12,408 ± 1,130 [10,377, 14,590]
// (n=3)" for tokens_in.
func FormatScore(scorer string, s stats.Summary) string { return formatIn(UnitOf(scorer), s) }

func formatIn(u Unit, s stats.Summary) string {
	if s.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%s ± %s [%s, %s] (n=%d)", u.Format(s.Mean), u.Format(s.StdErr), u.Format(s.CI[0]), u.Format(s.CI[1]), s.N)
}

// formatP formats a p-value.
func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

// formatMS formats milliseconds.
func formatMS(s stats.Summary) string {
	if s.N == 0 {
		return "—"
	}
	f := func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	return fmt.Sprintf("%s ± %s [%s, %s] (n=%d)", f(s.Mean), f(s.StdErr), f(s.CI[0]), f(s.CI[1]), s.N)
}
