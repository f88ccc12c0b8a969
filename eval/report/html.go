package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/stats"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Parse(pageTemplate))

// HTML writes s and records as one self-contained HTML page: inline CSS
// and SVG, no script and no reference to anything outside the page, so
// it opens offline and can be mailed or archived as is. It holds the
// header and the tables of Markdown (scores with CIs, splits, critique
// rounds, comparisons, pairwise judges, overhead, failures), a bar chart
// of opts.Quality per variant with 95% CI error bars, a scatter of mean
// cost per sample (cost_usd, or billed_tokens without prices) against
// mean fact_recall with the Pareto front marked, a chart per critique
// round scorer, and a drill-down per sample: the question (from suite,
// which may be nil), and per attempt the report with each citation
// marked supported, unsupported or invalid (from citation_accuracy's
// metadata), the facts found and missed, every score with its
// explanation (the judges' among them), tokens, context and timing
// figures, warnings and errors. Without records the drill-down shows
// the scores of s.Samples. All text from reports, suites and logs is
// escaped.
func HTML(w io.Writer, s eval.Summary, records []eval.Record, suite *eval.Suite, opts Options) error {
	var buf bytes.Buffer
	if err := page.Execute(&buf, buildPage(s, records, suite, opts)); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

type pageData struct {
	Title, Suite, Status, Note, Reducer, Command string
	Epochs, Attempts                             int
	Variants                                     []variantHead
	Tables                                       []scoreTable
	Bar                                          template.HTML
	Tradeoff                                     tradeoff
	Rounds                                       []roundBlock
	Comparisons                                  []comparisonRow
	Pairwise                                     []pairwiseRow
	Overhead                                     string
	Problems                                     bool
	Failures                                     []failureRow
	FailedAttempts                               []string
	Samples                                      []sampleGroup
}

type variantHead struct {
	Name, Color string
}

type scoreTable struct {
	ID, Title string
	Rows      []scoreRow
}

type scoreRow struct {
	Scorer string
	Cells  []string
}

type roundBlock struct {
	Scorer string
	Chart  template.HTML
	Rows   []scoreRow
}

type comparisonRow struct {
	Scorer, A, B, Diff, CI, P, N, Verdict, Class string
}

type pairwiseRow struct {
	A, B, Scorer, WinB, Agreement string
	Wins                          [3]int
}

type failureRow struct {
	Variant          string
	Attempts, Errors int
	Failed, Skipped  string
}

type sampleGroup struct {
	ID, Question, Split string
	Tags                []string
	KeyFacts            []string
	Chips               []chip
	Attempts            []attempt
	Pairs               []pairVerdict
}

type chip struct {
	Text, Class, Color string
}

type attempt struct {
	Variant, Color, Status, Error string
	Epoch                         int
	Headline                      string
	HasOutput                     bool
	Report                        template.HTML
	Marked                        bool
	CiteCounts                    string
	Issues                        []citeIssue
	Found, Missed                 []string
	FactNote                      string
	SupportedFacts                []string
	Evidence                      []string
	Scores                        []scoreLine
	Judges                        []judgeBlock
	Figures                       []figure
	Warnings                      []string
	Dialogue                      []eval.Exchange
	Sources                       []eval.Source
}

type citeIssue struct {
	N                    int
	Status, Reason, Text string
}

type scoreLine struct {
	Name, Value, Class, Explanation string
}

type figure struct {
	Label, Value string
}

type judgeBlock struct {
	Scorer, Judge, Summary string
	Criteria               []criterionLine
}

type criterionLine struct {
	Criterion                                 int
	Dimension, Target, Reference, Explanation string
}

type pairVerdict struct {
	Epoch                             int
	A, B, Scorer, Winner, Explanation string
	Status                            string
	Judges                            []string
}

func buildPage(s eval.Summary, records []eval.Record, suite *eval.Suite, opts Options) pageData {
	p := pageData{
		Title: opts.title(s), Suite: s.Suite, Status: s.Status, Note: s.Note, Reducer: s.Reducer,
		Command: opts.Command, Epochs: s.Epochs, Attempts: attempts(s),
	}
	if p.Attempts == 0 {
		p.Attempts = len(records)
	}
	for i, v := range s.Variants {
		p.Variants = append(p.Variants, variantHead{Name: v.Name, Color: colorOf(i)})
	}
	p.Tables = append(p.Tables, htmlScoreTable("scores", "Scores", s, scorerOrder(s), func(v eval.VariantSummary, name string) (stats.Summary, bool) {
		st, ok := v.Scores[name]
		return st, ok
	}))
	for _, sp := range splits {
		names := splitScorers(s, sp.key)
		if len(names) == 0 {
			continue
		}
		p.Tables = append(p.Tables, htmlScoreTable("split-"+sp.key, sp.title, s, names, func(v eval.VariantSummary, name string) (stats.Summary, bool) {
			st, ok := v.Splits[sp.key][name]
			return st, ok
		}))
	}
	p.Bar = barChart(s, opts.quality())
	p.Tradeoff = tradeoffOf(s)
	for _, name := range roundScorers {
		if !hasRounds(s, name) {
			continue
		}
		rb := roundBlock{Scorer: name, Chart: roundsChart(s, name)}
		for r := range maxRounds(s, name) {
			row := scoreRow{Scorer: roundLabel(r)}
			for _, v := range s.Variants {
				st, ok := roundAt(v, name, r)
				row.Cells = append(row.Cells, cellOf(name, st, ok))
			}
			rb.Rows = append(rb.Rows, row)
		}
		p.Rounds = append(p.Rounds, rb)
	}
	for _, c := range opts.Comparisons {
		row := comparisonRow{Scorer: c.Scorer, A: c.A, B: c.B}
		if c.Error != "" {
			row.Diff, row.CI, row.P, row.N, row.Verdict, row.Class = "—", "—", "—", "—", "error: "+c.Error, "error"
		} else {
			u := UnitOf(c.Scorer)
			row.Diff = u.signed(c.Paired.MeanDiff)
			row.CI = fmt.Sprintf("[%s, %s]", u.signed(c.Paired.CI[0]), u.signed(c.Paired.CI[1]))
			row.P = formatP(c.Paired.P)
			row.N = itoa(c.Paired.N)
			row.Verdict = c.Verdict
			switch c.Verdict {
			case "better", "worse":
				row.Class = c.Verdict
			}
		}
		p.Comparisons = append(p.Comparisons, row)
	}
	for _, ps := range s.Pairwise {
		a, b := pairNames(ps)
		p.Pairwise = append(p.Pairwise, pairwiseRow{A: a, B: b, Scorer: ps.Scorer, WinB: FormatSummary(ps.WinB), Wins: ps.Wins, Agreement: FormatAgreement(ps.Agreement)})
	}
	p.Overhead = formatMS(s.Overhead)
	p.Problems = hasProblems(s)
	for _, v := range s.Variants {
		fr := failureRow{Variant: v.Name, Attempts: v.Attempts, Errors: v.Errors,
			Failed: orDash(problems(v.Failed)), Skipped: orDash(problems(v.Skipped))}
		p.Failures = append(p.Failures, fr)
	}
	for _, x := range s.Samples {
		if x.Status != eval.RecordOK && x.Status != "" {
			p.FailedAttempts = append(p.FailedAttempts, fmt.Sprintf("%s/%s/e%d: %s", x.Variant, x.ID, x.Epoch, orDash(x.Error)))
		}
	}
	p.Samples = buildSamples(s, records, suite, opts)
	return p
}

func htmlScoreTable(id, title string, s eval.Summary, names []string, get func(eval.VariantSummary, string) (stats.Summary, bool)) scoreTable {
	t := scoreTable{ID: id, Title: title}
	for _, name := range names {
		row := scoreRow{Scorer: name}
		for _, v := range s.Variants {
			st, ok := get(v, name)
			row.Cells = append(row.Cells, cellOf(name, st, ok))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// buildSamples groups the attempts by sample, in the suite's order and
// then in order of appearance.
func buildSamples(s eval.Summary, records []eval.Record, suite *eval.Suite, opts Options) []sampleGroup {
	if len(records) == 0 {
		for _, x := range s.Samples {
			records = append(records, eval.Record{Variant: x.Variant, Sample: x.ID, Epoch: x.Epoch, Split: x.Split,
				Status: x.Status, Error: x.Error, Scores: x.Scores})
		}
		return groupSamples(s, records, suite, opts, false)
	}
	return groupSamples(s, records, suite, opts, true)
}

func groupSamples(s eval.Summary, records []eval.Record, suite *eval.Suite, opts Options, withOutput bool) []sampleGroup {
	var order []string
	questions := map[string]eval.Sample{}
	if suite != nil {
		for _, x := range suite.Samples {
			order = append(order, x.ID)
			questions[x.ID] = x
		}
	}
	by := map[string][]eval.Record{}
	for _, r := range records {
		if !slices.Contains(order, r.Sample) {
			order = append(order, r.Sample)
		}
		by[r.Sample] = append(by[r.Sample], r)
	}
	scorers := scorerOrder(s)
	colour := map[string]string{}
	rank := map[string]int{}
	for i, v := range s.Variants {
		colour[v.Name] = colorOf(i)
		rank[v.Name] = i
	}
	var out []sampleGroup
	for _, id := range order {
		rs := by[id]
		if len(rs) == 0 {
			continue
		}
		sort.SliceStable(rs, func(i, j int) bool {
			ri, iok := rank[rs[i].Variant]
			rj, jok := rank[rs[j].Variant]
			if iok != jok {
				return iok
			}
			if ri != rj {
				return ri < rj
			}
			if rs[i].Variant != rs[j].Variant {
				return rs[i].Variant < rs[j].Variant
			}
			return rs[i].Epoch < rs[j].Epoch
		})
		g := sampleGroup{ID: id}
		if x, ok := questions[id]; ok {
			g.Question, g.Split, g.Tags = x.Question, x.Split, x.Tags
			for _, f := range x.KeyFacts {
				g.KeyFacts = append(g.KeyFacts, f.String())
			}
		}
		if g.Split == "" {
			g.Split = rs[0].Split
		}
		if len(g.Tags) == 0 {
			g.Tags = rs[0].Tags
		}
		for _, r := range rs {
			a := buildAttempt(r, scorers, withOutput)
			a.Color = colour[r.Variant]
			if a.Color == "" {
				a.Color = "#777"
			}
			g.Attempts = append(g.Attempts, a)
			c := chip{Text: fmt.Sprintf("%s e%d: %s", r.Variant, r.Epoch, a.Headline), Color: a.Color}
			if r.Status != eval.RecordOK && r.Status != "" {
				c.Class = "error"
			}
			g.Chips = append(g.Chips, c)
		}
		g.Pairs = pairVerdicts(opts.Pairs, id)
		out = append(out, g)
	}
	return out
}

// headlineScorers are the scores summed up in a sample's summary line.
var headlineScorers = []string{"fact_recall", "citation_accuracy"}

func buildAttempt(r eval.Record, scorers []string, withOutput bool) attempt {
	a := attempt{Variant: r.Variant, Epoch: r.Epoch, Status: r.Status, Error: r.Error, HasOutput: withOutput}
	if a.Status == "" {
		a.Status = "unknown"
	}
	var head []string
	for _, name := range headlineScorers {
		if sc, ok := r.Scores[name]; ok {
			head = append(head, name+" "+scoreText(name, sc))
		}
	}
	if r.Status != eval.RecordOK && r.Status != "" {
		head = append([]string{r.Status}, head...)
	}
	a.Headline = orDash(strings.Join(head, ", "))

	out := r.Output
	claims := claimsOf(r.Scores["citation_accuracy"].Metadata)
	if withOutput {
		a.Report = markReport(out.Report, claims)
		a.Marked = len(claims) > 0
		a.Sources = out.Sources
	}
	var sup, unsup, inv, unc int
	for _, c := range claims {
		if len(c.Citations) == 0 {
			unc++
		}
		for _, v := range c.Citations {
			switch v.Status {
			case statusSupported:
				sup++
			case statusUnsupported:
				unsup++
				a.Issues = append(a.Issues, citeIssue{N: v.N, Status: v.Status, Reason: v.Reason, Text: c.Text})
			case statusInvalid:
				inv++
				a.Issues = append(a.Issues, citeIssue{N: v.N, Status: v.Status, Reason: v.Reason, Text: c.Text})
			}
		}
	}
	if len(claims) > 0 {
		a.CiteCounts = fmt.Sprintf("%d claims: %d supported, %d unsupported, %d invalid citations; %d uncited claims",
			len(claims), sup, unsup, inv, unc)
	}

	if fr, ok := r.Scores["fact_recall"]; ok {
		switch {
		case fr.Metadata != nil:
			decodeMeta(fr.Metadata, "found", &a.Found)
			decodeMeta(fr.Metadata, "missed", &a.Missed)
		case fr.Skipped:
			a.FactNote = "fact_recall skipped: " + fr.Explanation
		case fr.Error != "":
			a.FactNote = "fact_recall failed: " + fr.Error
		}
	}
	if sf, ok := r.Scores["supported_fact_recall"]; ok && sf.Metadata != nil {
		decodeMeta(sf.Metadata, "supported", &a.SupportedFacts)
		var ev map[string]string
		if decodeMeta(sf.Metadata, "evidence", &ev) {
			keys := make([]string, 0, len(ev))
			for k := range ev {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				a.Evidence = append(a.Evidence, k+" — "+ev[k])
			}
		}
	}

	for _, n := range recordScorers(scorers, r) {
		sc := r.Scores[n]
		line := scoreLine{Name: n, Value: scoreText(n, sc), Explanation: sc.Explanation}
		switch {
		case sc.Error != "":
			line.Class, line.Explanation = "failed", sc.Error
		case sc.Skipped:
			line.Class = "skipped"
		}
		a.Scores = append(a.Scores, line)
		a.Judges = append(a.Judges, judgeBlocks(n, sc)...)
	}

	if withOutput {
		u := out.Usage
		a.Figures = []figure{
			{"tokens in", Thousands(float64(u.Input))},
			{"tokens out", Thousands(float64(u.Output))},
			{"tokens cached", Thousands(float64(u.CachedInput))},
		}
		if sc, ok := r.Scores["billed_tokens"]; ok && sc.Valid() {
			a.Figures = append(a.Figures, figure{"billed tokens", Thousands(sc.Value)})
		}
		if sc, ok := r.Scores["cost_usd"]; ok && sc.Valid() {
			a.Figures = append(a.Figures, figure{"cost", UnitUSD.Format(sc.Value)})
		}
		a.Figures = append(a.Figures,
			figure{"peak context tokens", Thousands(float64(out.PeakContext))},
			figure{"model calls", itoa(out.ModelCalls)},
			figure{"tool calls", itoa(out.ToolCalls)},
			figure{"context edits", itoa(out.ContextEdits)},
		)
		if r.WallNS > 0 {
			a.Figures = append(a.Figures, figure{"wall", UnitSeconds.Format(r.WallNS.Seconds())})
		} else if sc, ok := r.Scores["wall_s"]; ok && sc.Valid() {
			a.Figures = append(a.Figures, figure{"wall", UnitSeconds.Format(sc.Value)})
		}
		if r.ScoreNS > 0 {
			a.Figures = append(a.Figures, figure{"scoring", fmt.Sprintf("%.1f ms", float64(r.ScoreNS)/1e6)})
		}
		if r.Attempts > 1 {
			a.Figures = append(a.Figures, figure{"attempts", itoa(r.Attempts)})
		}
		if out.Model != "" {
			a.Figures = append(a.Figures, figure{"model", out.Model})
		}
		a.Warnings = out.Warnings
		a.Dialogue = out.Dialogue
	}
	return a
}

// scoreText formats one score: its value, "skipped" or "failed".
func scoreText(name string, sc eval.Score) string {
	switch {
	case sc.Error != "":
		return "failed"
	case sc.Skipped:
		return "skipped"
	case math.IsNaN(sc.Value):
		return "—"
	}
	return FormatValue(name, sc.Value)
}

// raceJudge mirrors a RACE judge's scores in the race scorer's metadata
// "judges".
type raceJudge struct {
	Judge     string  `json:"judge"`
	Target    float64 `json:"target"`
	Reference float64 `json:"reference"`
	Relative  float64 `json:"relative"`
	Criteria  []struct {
		Criterion   int     `json:"criterion"`
		Dimension   string  `json:"dimension"`
		Target      float64 `json:"target"`
		Reference   float64 `json:"reference"`
		Explanation string  `json:"explanation"`
	} `json:"criteria"`
}

// judgeBlocks returns the per-criterion grades a judge scorer left in
// its metadata ("judges" with "criteria"), when it did.
func judgeBlocks(name string, sc eval.Score) []judgeBlock {
	var judges []raceJudge
	if sc.Metadata == nil || !decodeMeta(sc.Metadata, "judges", &judges) {
		return nil
	}
	var out []judgeBlock
	for _, j := range judges {
		if len(j.Criteria) == 0 {
			continue
		}
		jb := judgeBlock{Scorer: name, Judge: j.Judge,
			Summary: fmt.Sprintf("report %.2f/10, reference %.2f/10, relative %.3f", j.Target, j.Reference, j.Relative)}
		for _, c := range j.Criteria {
			jb.Criteria = append(jb.Criteria, criterionLine{Criterion: c.Criterion, Dimension: c.Dimension,
				Target: fmt.Sprintf("%g", c.Target), Reference: fmt.Sprintf("%g", c.Reference), Explanation: c.Explanation})
		}
		out = append(out, jb)
	}
	return out
}

// pairJudge mirrors one judge's verdicts in the pairwise scorer's
// metadata "judges".
type pairJudge struct {
	Judge    string `json:"judge"`
	Verdicts []struct {
		Order       string `json:"order"`
		Winner      string `json:"winner"`
		Explanation string `json:"explanation"`
	} `json:"verdicts"`
	Resolved   string `json:"resolved"`
	Consistent bool   `json:"consistent"`
}

// pairVerdicts returns the side-by-side verdicts on sample id.
func pairVerdicts(pairs []eval.PairRecord, id string) []pairVerdict {
	var out []pairVerdict
	for _, p := range pairs {
		if p.Sample != id {
			continue
		}
		names := make([]string, 0, len(p.Scores))
		for n := range p.Scores {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			sc := p.Scores[n]
			pv := pairVerdict{Epoch: p.Epoch, A: p.A, B: p.B, Scorer: n, Winner: winnerName(p, sc.Winner), Explanation: sc.Explanation, Status: "ok"}
			switch {
			case sc.Error != "":
				pv.Status, pv.Explanation = "failed", sc.Error
			case sc.Skipped:
				pv.Status = "skipped"
			}
			var judges []pairJudge
			if sc.Metadata != nil && decodeMeta(sc.Metadata, "judges", &judges) {
				for _, j := range judges {
					for _, v := range j.Verdicts {
						if v.Explanation == "" {
							continue
						}
						pv.Judges = append(pv.Judges, fmt.Sprintf("%s (order %s, prefers %s): %s", j.Judge, v.Order, winnerName(p, v.Winner), v.Explanation))
					}
				}
			}
			out = append(out, pv)
		}
	}
	return out
}

// winnerName names a side-by-side winner ("a", "b" or "tie") by its
// variant.
func winnerName(p eval.PairRecord, w string) string {
	switch w {
	case "a":
		return p.A
	case "b":
		return p.B
	case "":
		return "—"
	}
	return w
}

// recordScorers lists the scorers of r's scores: those of order first,
// in order, then the others sorted.
func recordScorers(order []string, r eval.Record) []string {
	var out, extra []string
	for _, n := range order {
		if _, ok := r.Scores[n]; ok {
			out = append(out, n)
		}
	}
	for n := range r.Scores {
		if !slices.Contains(out, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}
