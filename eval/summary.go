package eval

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/deepctx/deepctx/eval/stats"
)

// Summary is what an eval log says, in numbers: per variant and scorer
// the mean, standard error and 95% bootstrap CI over samples (epochs
// clustered within a sample and reduced by the log's reducer), broken
// down by split and per critique round, plus every sample's scores.
// Reports, --json output and gates are rendered from it.
type Summary struct {
	Suite    string           `json:"suite"`
	Status   string           `json:"status"`
	Note     string           `json:"note,omitempty"`
	Epochs   int              `json:"epochs"`
	Reducer  string           `json:"reducer"`
	Scorers  []string         `json:"scorers"`
	Variants []VariantSummary `json:"variants"`
	Samples  []SampleSummary  `json:"samples"`
	// Pairwise holds side-by-side judge results per pair of variants.
	Pairwise []PairSummary `json:"pairwise,omitempty"`
	// Overhead is the harness's own time per sample (scoring and log
	// writing, excluding the system under test), in milliseconds.
	Overhead stats.Summary `json:"overhead_ms"`
}

// VariantSummary summarises one variant.
type VariantSummary struct {
	Name string `json:"name"`
	// Scores maps scorer names to their statistics over every sample.
	Scores map[string]stats.Summary `json:"scores"`
	// Splits maps "dev" and "test" to the same statistics on that half.
	Splits map[string]map[string]stats.Summary `json:"splits,omitempty"`
	// Rounds maps a scorer that scores every draft (fact_recall,
	// citation_accuracy) to its statistics after each critique round:
	// Rounds[s][r] scores the draft current after r revisions (a run
	// whose loop stopped earlier keeps its last draft).
	Rounds map[string][]stats.Summary `json:"rounds,omitempty"`
	// Attempts and Errors count the attempts recorded and those that
	// failed. Skipped and Failed count scores per scorer that were
	// skipped or failed.
	Attempts int            `json:"attempts"`
	Errors   int            `json:"errors"`
	Skipped  map[string]int `json:"skipped,omitempty"`
	Failed   map[string]int `json:"failed,omitempty"`
	// CostUSD sums what the attempts cost (failed ones and retries
	// included when the runner priced them), BilledTotal their billed
	// tokens: the cost axis of the cost-versus-quality plot.
	CostUSD     float64 `json:"cost_usd"`
	BilledTotal float64 `json:"billed_tokens"`
}

// SampleSummary is one attempt's outcome.
type SampleSummary struct {
	Variant string           `json:"variant"`
	ID      string           `json:"id"`
	Epoch   int              `json:"epoch"`
	Split   string           `json:"split,omitempty"`
	Status  string           `json:"status"`
	Error   string           `json:"error,omitempty"`
	Scores  map[string]Score `json:"scores"`
}

// PairSummary summarises side-by-side verdicts of B against A.
type PairSummary struct {
	A, B   string        `json:"-"`
	Pair   string        `json:"pair"`
	Scorer string        `json:"scorer"`
	WinB   stats.Summary `json:"b_win_rate"`
	Wins   [3]int        `json:"wins"` // a, b, tie
	// Agreement is the judge panel's agreement beyond chance across the
	// samples (Cohen's kappa for two judges, Krippendorff's alpha for
	// more); nil with a single judge.
	Agreement *stats.Agreement `json:"agreement,omitempty"`
}

// roundScorers are the scorers whose metadata carries per-round values.
var roundScorers = []string{"fact_recall", "citation_accuracy"}

// Summarize computes the Summary of records. scorers lists the scorer
// names in display order (the log header's); reducer names the epoch
// reducer ("mean", "median", "max", "mode", "pass@k").
func Summarize(h Header, records []Record, pairs []PairRecord, opts stats.BootstrapOptions) (Summary, error) {
	reducerName := h.Reducer
	if reducerName == "" {
		reducerName = "mean"
	}
	reduce, err := stats.ReducerByName(reducerName)
	if err != nil {
		return Summary{}, fmt.Errorf("eval: %w", err)
	}
	s := Summary{Status: h.Status, Note: h.Note, Epochs: h.Epochs, Reducer: reducerName, Scorers: h.Scorers}
	if h.Suite != nil {
		s.Suite = h.Suite.Name
	}
	variants := h.Variants
	for _, r := range records {
		if !slices.Contains(variants, r.Variant) {
			variants = append(variants, r.Variant)
		}
	}
	var overhead []stats.Observation
	for _, v := range variants {
		vs, spent := summarizeVariant(v, h.Scorers, filterVariant(records, v), reduce, opts)
		s.Variants = append(s.Variants, vs)
		overhead = append(overhead, spent...)
	}
	for _, r := range records {
		s.Samples = append(s.Samples, SampleSummary{Variant: r.Variant, ID: r.Sample, Epoch: r.Epoch, Split: r.Split,
			Status: r.Status, Error: r.Error, Scores: r.Scores})
	}
	s.Pairwise = summarizePairs(pairs, opts)
	s.Overhead = stats.Summarize(overhead, opts)
	return s, nil
}

// summarizeVariant summarises one variant's records and returns the
// harness's scoring time per attempt (ms) alongside.
func summarizeVariant(v string, scorers []string, mine []Record, reduce stats.Reducer, opts stats.BootstrapOptions) (VariantSummary, []stats.Observation) {
	vs := VariantSummary{Name: v, Scores: map[string]stats.Summary{}, Splits: map[string]map[string]stats.Summary{},
		Skipped: map[string]int{}, Failed: map[string]int{}, Rounds: map[string][]stats.Summary{}}
	var overhead []stats.Observation
	for _, r := range mine {
		vs.Attempts++
		if r.CostUSD != nil { // every attempt's spend, retries included
			vs.CostUSD += *r.CostUSD
		} else if c, ok := r.Scores["cost_usd"]; ok && c.Valid() {
			vs.CostUSD += c.Value
		}
		if r.Status != RecordOK {
			vs.Errors++
			continue
		}
		overhead = append(overhead, stats.Observation{Cluster: r.Sample, Value: float64(r.ScoreNS) / 1e6})
		for name, sc := range r.Scores {
			switch {
			case sc.Skipped:
				vs.Skipped[name]++
			case sc.Error != "":
				vs.Failed[name]++
			}
		}
		if c, ok := r.Scores["billed_tokens"]; ok && c.Valid() {
			vs.BilledTotal += c.Value
		}
	}
	for _, name := range scorerNames(scorers, mine) {
		vs.Scores[name] = summarizeScorer(mine, name, "", reduce, opts)
		for _, split := range []string{"dev", "test"} {
			if sum := summarizeScorer(mine, name, split, reduce, opts); sum.N > 0 {
				if vs.Splits[split] == nil {
					vs.Splits[split] = map[string]stats.Summary{}
				}
				vs.Splits[split][name] = sum
			}
		}
	}
	for _, name := range roundScorers {
		if rounds := summarizeRounds(mine, name, reduce, opts); len(rounds) > 0 {
			vs.Rounds[name] = rounds
		}
	}
	return vs, overhead
}

// scorerNames lists the header's scorers, then any other found in records.
func scorerNames(declared []string, records []Record) []string {
	names := slices.Clone(declared)
	var extra []string
	for _, r := range records {
		for n := range r.Scores {
			if !slices.Contains(names, n) && !slices.Contains(extra, n) {
				extra = append(extra, n)
			}
		}
	}
	sort.Strings(extra)
	return append(names, extra...)
}

// Observations returns the valid scores of scorer over records (of one
// split when split is not empty), one per attempt, clustered by sample.
func Observations(records []Record, scorer, split string) []stats.Observation {
	var obs []stats.Observation
	for _, r := range records {
		if r.Status != RecordOK || split != "" && r.Split != split {
			continue
		}
		sc, ok := r.Scores[scorer]
		if !ok || !sc.Valid() || math.IsNaN(sc.Value) {
			continue
		}
		obs = append(obs, stats.Observation{Cluster: r.Sample, Value: sc.Value})
	}
	return obs
}

func summarizeScorer(records []Record, scorer, split string, reduce stats.Reducer, opts stats.BootstrapOptions) stats.Summary {
	return stats.Summarize(stats.Reduce(Observations(records, scorer, split), reduce), opts)
}

// summarizeRounds reads per-round values from the scorer's metadata
// ("rounds": one value per draft) and carries a run's last value forward
// past the round its critique loop stopped at.
func summarizeRounds(records []Record, scorer string, reduce stats.Reducer, opts stats.BootstrapOptions) []stats.Summary {
	perRecord := map[int][]float64{}
	maxRounds := 0
	for i, r := range records {
		if r.Status != RecordOK {
			continue
		}
		vals := RoundValues(r.Scores[scorer])
		if len(vals) == 0 {
			continue
		}
		perRecord[i] = vals
		maxRounds = max(maxRounds, len(vals))
	}
	var out []stats.Summary
	for round := range maxRounds {
		var obs []stats.Observation
		for i, vals := range perRecord {
			v := vals[min(round, len(vals)-1)]
			obs = append(obs, stats.Observation{Cluster: records[i].Sample, Value: v})
		}
		sort.SliceStable(obs, func(a, b int) bool { return obs[a].Cluster < obs[b].Cluster })
		out = append(out, stats.Summarize(stats.Reduce(obs, reduce), opts))
	}
	return out
}

// RoundValues returns a score's per-round values (Metadata "rounds":
// one value per draft), whether it came from a scorer in this process or
// from a log. A round without a value (null: nothing to score in that
// draft) repeats the round before it, and leading ones are dropped.
func RoundValues(sc Score) []float64 {
	if !sc.Valid() || sc.Metadata == nil {
		return nil
	}
	var raw []*float64
	switch v := sc.Metadata["rounds"].(type) {
	case []float64:
		return v
	case []*float64:
		raw = v
	case []any:
		for _, x := range v {
			switch f := x.(type) {
			case float64:
				raw = append(raw, &f)
			case nil:
				raw = append(raw, nil)
			default:
				return nil
			}
		}
	default:
		return nil
	}
	var out []float64
	for _, p := range raw {
		switch {
		case p != nil:
			out = append(out, *p)
		case len(out) > 0:
			out = append(out, out[len(out)-1])
		}
	}
	return out
}

func summarizePairs(pairs []PairRecord, opts stats.BootstrapOptions) []PairSummary {
	type key struct{ a, b, scorer string }
	groups := map[key][]PairRecord{}
	var order []key
	for _, p := range pairs {
		for name := range p.Scores {
			k := key{p.A, p.B, name}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], p)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		return fmt.Sprint(order[i]) < fmt.Sprint(order[j])
	})
	var out []PairSummary
	for _, k := range order {
		ps := PairSummary{A: k.a, B: k.b, Pair: k.a + " vs " + k.b, Scorer: k.scorer}
		var obs []stats.Observation
		var verdicts [][]string
		for _, p := range groups[k] {
			sc := p.Scores[k.scorer]
			if sc.Skipped || sc.Error != "" {
				continue
			}
			obs = append(obs, stats.Observation{Cluster: p.Sample, Value: sc.Value})
			verdicts = append(verdicts, sc.Verdicts)
			switch sc.Winner {
			case "a":
				ps.Wins[0]++
			case "b":
				ps.Wins[1]++
			default:
				ps.Wins[2]++
			}
		}
		ps.WinB = stats.Summarize(stats.Reduce(obs, stats.ReduceMean), opts)
		if ag, err := stats.PanelAgreement(verdicts); err == nil {
			ps.Agreement = &ag
		}
		out = append(out, ps)
	}
	return out
}

// Comparison is the paired difference of one scorer between two
// variants (B minus A) over the samples both ran.
type Comparison struct {
	Scorer string `json:"scorer"`
	A      string `json:"a"`
	B      string `json:"b"`
	// Split is the half compared ("dev" or "test"), or empty for all
	// samples.
	Split  string       `json:"split,omitempty"`
	Paired stats.Paired `json:"paired"`
	// Verdict is "better", "worse" (B against A, by the scorer's
	// direction) or "no significant difference"; "significant" only
	// when the CI excludes 0.
	Verdict string `json:"verdict"`
	Error   string `json:"error,omitempty"`
}

// CompareOptions configure Compare.
type CompareOptions struct {
	// Higher says, per scorer, whether higher is better. Optional:
	// scorers missing from it count as higher-is-better.
	Higher map[string]bool
	// Split restricts the comparison to one half ("dev" or "test").
	// Optional. Defaults to every sample.
	Split string
	// Reducer combines a sample's epochs before pairing, as the
	// summaries do. Optional. Defaults to "mean".
	Reducer string
	// Bootstrap configures the paired bootstrap. Optional.
	Bootstrap stats.BootstrapOptions
}

// Compare pairs the scores of variant a in ra with those of variant b in
// rb, sample by sample, for every scorer in names: the mean difference
// B − A with its paired bootstrap CI and permutation p-value. A scorer
// without a valid score on either side is left out.
func Compare(ra []Record, a string, rb []Record, b string, names []string, opts CompareOptions) []Comparison {
	reducer := opts.Reducer
	if reducer == "" {
		reducer = "mean"
	}
	reduce, err := stats.ReducerByName(reducer)
	var out []Comparison
	for _, name := range names {
		c := Comparison{Scorer: name, A: a, B: b, Split: opts.Split}
		oa := Observations(filterVariant(ra, a), name, opts.Split)
		ob := Observations(filterVariant(rb, b), name, opts.Split)
		if len(oa) == 0 && len(ob) == 0 {
			continue // the scorer never ran (a judge without a model): nothing to compare
		}
		if err != nil {
			c.Error = err.Error()
			out = append(out, c)
			continue
		}
		p, perr := stats.ComparePaired(stats.Reduce(oa, reduce), stats.Reduce(ob, reduce), opts.Bootstrap)
		if perr != nil {
			c.Error = perr.Error()
			out = append(out, c)
			continue
		}
		c.Paired = p
		up := true
		if h, ok := opts.Higher[name]; ok {
			up = h
		}
		switch {
		case !p.Significant:
			c.Verdict = "no significant difference"
		case (p.MeanDiff > 0) == up:
			c.Verdict = "better"
		default:
			c.Verdict = "worse"
		}
		out = append(out, c)
	}
	return out
}

func filterVariant(records []Record, v string) []Record {
	var out []Record
	for _, r := range records {
		if r.Variant == v {
			out = append(out, r)
		}
	}
	return out
}
