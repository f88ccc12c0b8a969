package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

// Markdown writes s as a Markdown summary: the eval's header (suite,
// status, epochs, reducer, command), a table of every scorer's
// statistics per variant, "mean ± stderr [lo, hi] (n=N)" with the 95%
// CI, the same for the test and dev splits when there are any, the
// per-critique-round statistics of fact_recall and citation_accuracy,
// the comparisons of opts, the pairwise judge results, the harness's
// overhead per sample and the failed and skipped score counts. Shares
// read 0.000, tokens as integers with thousands separators, costs as
// $0.0000.
func Markdown(w io.Writer, s eval.Summary, opts Options) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdText(opts.title(s)))
	if s.Suite != "" {
		fmt.Fprintf(&b, "- Suite: %s\n", mdText(s.Suite))
	}
	status := s.Status
	if status == "" {
		status = "unknown"
	}
	if s.Note != "" {
		status += " — " + s.Note
	}
	fmt.Fprintf(&b, "- Status: %s\n", mdText(status))
	fmt.Fprintf(&b, "- Epochs: %d, reducer: %s\n", s.Epochs, mdText(s.Reducer))
	fmt.Fprintf(&b, "- Variants: %d, attempts: %d\n", len(s.Variants), attempts(s))
	if opts.Command != "" {
		fmt.Fprintf(&b, "- Command: %s\n", mdCode(opts.Command))
	}

	b.WriteString("\n## Scores\n\n")
	b.WriteString("Mean ± standard error [95% CI] (n samples), all samples.\n\n")
	mdScoreTable(&b, s, scorerOrder(s), func(v eval.VariantSummary, name string) (stats.Summary, bool) {
		st, ok := v.Scores[name]
		return st, ok
	})
	for _, sp := range splits {
		names := splitScorers(s, sp.key)
		if len(names) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n", sp.title)
		mdScoreTable(&b, s, names, func(v eval.VariantSummary, name string) (stats.Summary, bool) {
			st, ok := v.Splits[sp.key][name]
			return st, ok
		})
	}

	var rounds []string
	for _, name := range roundScorers {
		if hasRounds(s, name) {
			rounds = append(rounds, name)
		}
	}
	if len(rounds) > 0 {
		b.WriteString("\n## Critique rounds\n\n")
		b.WriteString("Each draft's score: round 0 is the first draft, round r the draft after r revisions (a run that stopped earlier keeps its last draft).\n")
		for _, name := range rounds {
			fmt.Fprintf(&b, "\n### %s\n\n", mdText(name))
			mdRow(&b, append([]string{"round"}, variantNames(s)...))
			mdRule(&b, len(s.Variants)+1)
			for r := range maxRounds(s, name) {
				row := []string{roundLabel(r)}
				for _, v := range s.Variants {
					st, ok := roundAt(v, name, r)
					row = append(row, cellOf(name, st, ok))
				}
				mdRowRaw(&b, row)
			}
		}
	}

	if len(opts.Comparisons) > 0 {
		b.WriteString("\n## Comparisons\n\n")
		writeComparisons(&b, opts.Comparisons)
	}

	if len(s.Pairwise) > 0 {
		b.WriteString("\n## Pairwise judge\n\n")
		b.WriteString("Share of samples where the judges prefer B over A (ties count half).\n\n")
		mdRow(&b, []string{"A", "B", "scorer", "B win rate", "A wins", "B wins", "ties", "judge agreement"})
		mdRule(&b, 8)
		for _, p := range s.Pairwise {
			a, bb := pairNames(p)
			mdRowRaw(&b, []string{mdText(a), mdText(bb), mdText(p.Scorer), FormatSummary(p.WinB), itoa(p.Wins[0]), itoa(p.Wins[1]), itoa(p.Wins[2]), FormatAgreement(p.Agreement)})
		}
	}

	b.WriteString("\n## Harness overhead\n\n")
	fmt.Fprintf(&b, "Scoring and log writing per sample (the system under test excluded): %s.\n", formatMS(s.Overhead))

	b.WriteString("\n## Failures\n\n")
	if !hasProblems(s) {
		b.WriteString("No failed attempts, no failed or skipped scores.\n")
	} else {
		mdRow(&b, []string{"variant", "attempts", "errors", "failed scores", "skipped scores"})
		mdRule(&b, 5)
		for _, v := range s.Variants {
			mdRow(&b, []string{v.Name, itoa(v.Attempts), itoa(v.Errors), orDash(problems(v.Failed)), orDash(problems(v.Skipped))})
		}
		var errs []string
		for _, x := range s.Samples {
			if x.Status != eval.RecordOK && x.Status != "" {
				errs = append(errs, fmt.Sprintf("- %s/%s/e%d: %s", mdText(x.Variant), mdText(x.ID), x.Epoch, mdText(orDash(x.Error))))
			}
		}
		if len(errs) > 0 {
			b.WriteString("\nFailed attempts:\n\n")
			b.WriteString(strings.Join(errs, "\n"))
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("report: markdown: %w", err)
	}
	return nil
}

// mdScoreTable writes a table of scorers (rows) by variants (columns).
func mdScoreTable(b *strings.Builder, s eval.Summary, names []string, get func(eval.VariantSummary, string) (stats.Summary, bool)) {
	mdRow(b, append([]string{"scorer"}, variantNames(s)...))
	mdRule(b, len(s.Variants)+1)
	for _, name := range names {
		row := []string{mdText(name)}
		for _, v := range s.Variants {
			st, ok := get(v, name)
			row = append(row, cellOf(name, st, ok))
		}
		mdRowRaw(b, row)
	}
}

func cellOf(name string, st stats.Summary, ok bool) string {
	if !ok {
		return "—"
	}
	return FormatScore(name, st)
}

func variantNames(s eval.Summary) []string {
	out := make([]string, len(s.Variants))
	for i, v := range s.Variants {
		out[i] = v.Name
	}
	return out
}

// pairNames returns a pair's variants, from A and B or else from Pair
// ("a vs b"), which is what survives a JSON round trip.
func pairNames(p eval.PairSummary) (string, string) {
	if p.A != "" || p.B != "" {
		return p.A, p.B
	}
	if a, b, ok := strings.Cut(p.Pair, " vs "); ok {
		return a, b
	}
	return p.Pair, ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// mdRow writes a table row of plain-text cells.
func mdRow(b *strings.Builder, cells []string) {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = mdText(c)
	}
	mdRowRaw(b, esc)
}

// mdRowRaw writes a table row of cells that are Markdown already, such
// as formatted numbers.
func mdRowRaw(b *strings.Builder, cells []string) {
	b.WriteString("| ")
	b.WriteString(strings.Join(cells, " | "))
	b.WriteString(" |\n")
}

func mdRule(b *strings.Builder, n int) {
	b.WriteString("|")
	for range n {
		b.WriteString("---|")
	}
	b.WriteString("\n")
}

// mdReplacer keeps text from turning into Markdown or HTML: it escapes
// the characters that start markup and folds newlines into spaces.
// Underscores stay: scorer names hold them, and within a word they do
// not emphasise.
var mdReplacer = strings.NewReplacer(
	"\\", "\\\\", "|", "\\|", "*", "\\*", "`", "\\`",
	"[", "\\[", "]", "\\]", "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes plain text for a Markdown line or table cell.
func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCode writes s as an inline code span, with a fence longer than any
// run of backticks in it.
func mdCode(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// Comparisons writes paired comparisons as a Markdown table: B − A per
// scorer with its 95% CI, p-value, n and verdict.
func Comparisons(w io.Writer, cmps []eval.Comparison) error {
	var b strings.Builder
	writeComparisons(&b, cmps)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeComparisons(b *strings.Builder, cmps []eval.Comparison) {
	b.WriteString("Paired difference B − A over the samples both ran, with its 95% CI and the sign-flip permutation p-value")
	if len(cmps) > 0 && cmps[0].Split != "" {
		fmt.Fprintf(b, ", on the %s half", cmps[0].Split)
	}
	b.WriteString(". A difference is significant only when its CI excludes 0 and p < 0.05.\n\n")
	mdRow(b, []string{"scorer", "A", "B", "B − A", "95% CI", "p", "n", "verdict"})
	mdRule(b, 8)
	for _, c := range cmps {
		if c.Error != "" {
			mdRow(b, []string{c.Scorer, c.A, c.B, "—", "—", "—", "—", "error: " + c.Error})
			continue
		}
		u := UnitOf(c.Scorer)
		p := c.Paired
		verdict := c.Verdict
		if verdict == "better" || verdict == "worse" {
			verdict = "**" + verdict + "**"
		}
		mdRowRaw(b, []string{mdText(c.Scorer), mdText(c.A), mdText(c.B), u.signed(p.MeanDiff),
			fmt.Sprintf("[%s, %s]", u.signed(p.CI[0]), u.signed(p.CI[1])), formatP(p.P), itoa(p.N), verdict})
	}
}

// FormatAgreement shows a panel's agreement: "κ 0.40 (12 items)" for
// Cohen's kappa, "α …" for Krippendorff's alpha, "—" without a panel.
func FormatAgreement(a *stats.Agreement) string {
	if a == nil {
		return "—"
	}
	sym := "α"
	if a.Method == stats.MethodCohenKappa {
		sym = "κ"
	}
	return fmt.Sprintf("%s %.2f (%d items)", sym, a.Value, a.Items)
}
