package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/search"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/report"
	"github.com/deepctx/deepctx/eval/scorers"
	"github.com/deepctx/deepctx/eval/stats"
)

// errGate ends an eval whose quality gate failed: exit code 4.
type errGate struct{ reasons []string }

func (e errGate) Error() string {
	return "quality gate failed: " + strings.Join(e.reasons, "; ")
}

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate research: run suites, view, compare and rescore eval logs",
		Long: `eval runs an evaluation suite (questions with key facts and expected sources,
and variants of the agent to compare), scores every report offline (fact
recall, citation verification against the corpus, source recall, efficiency)
and with LLM judges when configured, and writes an eval log folder that view,
compare and rescore read without re-running the agent.

Exit codes: 0 passed, 1 error, 2 usage, 4 a quality gate failed.`,
	}
	cmd.AddCommand(newEvalRunCmd(), newEvalViewCmd(), newEvalCompareCmd(), newEvalRescoreCmd(), newEvalScoreCmd())
	return cmd
}

// evalRunFlags are the flags of eval run.
type evalRunFlags struct {
	variants    []string
	samples     []string
	split       string
	epochs      int
	reducer     string
	maxParallel int
	out         string
	resume      string
	jsonOut     bool
	db          string
	cache       string
	timeout     time.Duration
	retries     int
	maxCost     float64
	maxTokens   int
	judges      []string
	scorers     []string
	failUnder   string
	baseline    string
	baseURL     string
}

func newEvalRunCmd() *cobra.Command {
	var f evalRunFlags
	cmd := &cobra.Command{
		Use:   "run SUITE.yaml",
		Short: "Run every sample × variant × epoch of a suite and score the reports",
		Long: `run executes the suite's matrix with at most --max-parallel attempts at once,
shows progress (done/total, failures, tokens, cost, ETA) on stderr, and writes
an eval log folder (--out, default evals/<suite>-<time>): log.json, index.jsonl,
one record.json per attempt with its run folder, summary.json, report.md and
report.html. A finished attempt is never lost: after Ctrl-C or kill -9,
'deepctx eval run SUITE --resume LOG' runs only what is missing or failed.

The corpus is indexed once into --db and shared by every sample.`,
		Example: `  deepctx eval run eval/suites/godocs/suite.yaml --split test
  deepctx eval run suite.yaml --variant offline --epochs 3 --fail-under fact_recall=0.6
  deepctx eval run suite.yaml --resume evals/go-docs-20261204-101500`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error { return runEval(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.variants, "variant", nil, "run only this variant (repeatable)")
	fl.StringArrayVar(&f.samples, "sample", nil, "run only this sample ID (repeatable)")
	fl.StringVar(&f.split, "split", "", "run only the dev or the test half")
	fl.IntVar(&f.epochs, "epochs", 1, "runs of each sample per variant")
	fl.StringVar(&f.reducer, "reducer", "mean", "how epochs of a sample combine: mean, median, max, mode or pass@K")
	fl.IntVar(&f.maxParallel, "max-parallel", eval.DefaultMaxParallel, "attempts running at once")
	fl.StringVar(&f.out, "out", "", "eval log folder (default evals/<suite>-<time>)")
	fl.StringVar(&f.resume, "resume", "", "continue this eval log: keep finished attempts, run failed and missing ones")
	fl.BoolVar(&f.jsonOut, "json", false, "print a machine-readable summary on stdout")
	fl.StringVar(&f.db, "db", "", "corpus index folder (default: the user cache dir, deepctx/index)")
	fl.StringVar(&f.cache, "cache", "", "replay cassette folder: model calls made before are answered from it, new ones recorded")
	fl.DurationVar(&f.timeout, "timeout", eval.DefaultTimeout, "time limit of one attempt")
	fl.IntVar(&f.retries, "retries", eval.DefaultRetries, "retries of a failed attempt (scores are never retried)")
	fl.Float64Var(&f.maxCost, "max-cost", 0, "stop cleanly once this many USD are spent (0: no limit)")
	fl.IntVar(&f.maxTokens, "max-tokens", 0, "stop cleanly once this many tokens are spent (0: no limit)")
	fl.StringArrayVar(&f.judges, "judge", nil, "judge model spec (repeatable: a panel); overrides the suite's judges")
	fl.StringArrayVar(&f.scorers, "scorer", nil, "run only this scorer (repeatable; default all)")
	fl.StringVar(&f.failUnder, "fail-under", "", "quality gate: SCORER=MIN[,…]; exit 4 when a variant's mean is below")
	fl.StringVar(&f.baseline, "baseline", "", "quality gate: exit 4 when a scorer is significantly worse than in this eval log")
	fl.StringVar(&f.baseURL, "base-url", "", "API base URL for the variants' OpenAI-compatible models")
	return cmd
}

func runEval(cmd *cobra.Command, suitePath string, f evalRunFlags) error {
	gates, err := parseGates(f.failUnder)
	if err != nil {
		return err
	}
	if f.epochs < 1 || f.maxParallel < 1 {
		return usagef("--epochs and --max-parallel must be at least 1")
	}
	if _, err := stats.ReducerByName(f.reducer); err != nil {
		return usagef("--reducer: %v", err)
	}
	suite, err := eval.LoadSuite(suitePath)
	if err != nil {
		return usageError{err}
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	stderr := cmd.ErrOrStderr()
	env, err := openEvalEnv(ctx, stderr, suite, f.db, f.judges, f.cache)
	if err != nil {
		return err
	}
	defer env.Close()
	out := f.out
	if f.resume != "" {
		out = f.resume
	} else if out == "" {
		out = filepath.Join("evals", fmt.Sprintf("%s-%s", suite.Name, time.Now().Format("20060102-150405")))
	}
	named, err := evalScorers(env, eval.LogCache(out), f.scorers)
	if err != nil {
		return err
	}
	if f.baseURL != "" {
		for i := range suite.Variants {
			if suite.Variants[i].BaseURL == "" {
				suite.Variants[i].BaseURL = f.baseURL
			}
		}
	}
	sys := &eval.ResearchSystem{Index: env.index, CacheDir: f.cache}
	defer sys.Close()
	set := cmd.Flags().Changed
	epochs, reducer := f.epochs, f.reducer
	if f.resume != "" { // unset: the log's
		if !set("epochs") {
			epochs = 0
		}
		if !set("reducer") {
			reducer = ""
		}
	}
	fmt.Fprintf(stderr, "eval %s → %s\n", suite.Name, displayPath(out))
	outcome, runErr := eval.Run(ctx, suite, eval.Options{
		System: sys, Dir: out, Resume: f.resume != "", Scorers: named, PairScorers: evalPairScorers(env),
		Corpus: env.resolver, Snapshots: eval.Snapshots(env.index, suite.Corpus),
		Variants: f.variants, Samples: f.samples, Split: f.split, Epochs: epochs, Reducer: reducer,
		MaxParallel: f.maxParallel, Timeout: f.timeout, Retries: retriesFlag(f.retries),
		MaxCostUSD: f.maxCost, MaxTokens: f.maxTokens, Cost: priceOutput, Version: buildVersion(), SystemName: "deepctx research", Command: commandLine(),
		UserModel: env.userModel, Progress: newEvalProgress(stderr).update,
	})
	if outcome.Log == nil {
		if errors.Is(runErr, eval.ErrSuite) || errors.Is(runErr, eval.ErrSelection) {
			return usageError{runErr}
		}
		return runErr
	}
	fmt.Fprintf(stderr, "ran %d, kept %d from before, %d failed\n", outcome.Ran, outcome.Resumed, outcome.Failed)
	sum, err := writeEvalViews(outcome.Log)
	if err != nil {
		return err
	}
	if err := printSummary(cmd, sum, f.jsonOut); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Eval log: %s (report.html, report.md, summary.json)\n", displayPath(out))
	resume := fmt.Sprintf("deepctx eval run %s --resume %s", suitePath, displayPath(out))
	switch {
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(stderr, "Interrupted. Finished attempts are in the log; continue with: %s\n", resume)
		return runErr
	case errors.Is(runErr, eval.ErrBudget):
		fmt.Fprintf(stderr, "Stopped by the budget. Continue with: %s and a higher --max-cost or --max-tokens\n", resume)
		return runErr
	case runErr != nil:
		return runErr
	case outcome.Failed > 0:
		// Failed attempts are left out of the means, which would flatter a
		// variant that fails on hard questions: the eval is not complete.
		return fmt.Errorf("%d attempts failed after their retries (see the Failures table); run them again with: %s", outcome.Failed, resume)
	}
	return checkGates(sum, gates, f.baseline, outcome.Records, named)
}

// priceOutput prices an attempt's usage with the cost_usd scorer's table.
func priceOutput(out eval.Output, spent llm.Usage) (float64, bool) {
	p, ok, _ := scorers.PriceOf(out.Model, nil)
	if !ok {
		return 0, false
	}
	return p.Cost(spent), true
}

func retriesFlag(n int) int {
	if n == 0 {
		return -1 // Options: 0 means the default; the flag's 0 means none
	}
	return n
}

// writeEvalViews summarises the log and writes summary.json, report.md and
// report.html into it.
func writeEvalViews(l *eval.Log) (eval.Summary, error) {
	h, err := l.Header()
	if err != nil {
		return eval.Summary{}, err
	}
	records, err := l.Records()
	if err != nil {
		return eval.Summary{}, err
	}
	pairs, err := l.Pairs()
	if err != nil {
		return eval.Summary{}, err
	}
	sum, err := eval.Summarize(h, records, pairs, stats.BootstrapOptions{})
	if err != nil {
		return sum, err
	}
	opts := report.Options{Title: "deepctx eval: " + sum.Suite, Command: h.Command, Pairs: pairs}
	if h.Suite != nil {
		opts.Comparisons = variantComparisons(h, records)
	}
	if err := writeToFile(filepath.Join(l.Dir, "summary.json"), func(w io.Writer) error { return writeJSON(w, sum) }); err != nil {
		return sum, err
	}
	if err := writeToFile(filepath.Join(l.Dir, "report.md"), func(w io.Writer) error { return report.Markdown(w, sum, opts) }); err != nil {
		return sum, err
	}
	err = writeToFile(filepath.Join(l.Dir, "report.html"), func(w io.Writer) error { return report.HTML(w, sum, records, h.Suite, opts) })
	return sum, err
}

// variantComparisons compares the suite's pairs of variants (by default
// every variant against the first) on the samples both ran, per scorer,
// on the test half when the suite has one, else on every sample.
func variantComparisons(h eval.Header, records []eval.Record) []eval.Comparison {
	split := ""
	for _, r := range records {
		if r.Split == "test" {
			split = "test"
			break
		}
	}
	var out []eval.Comparison
	for _, p := range h.Suite.Pairs() {
		if !slices.Contains(h.Variants, p.A) || !slices.Contains(h.Variants, p.B) {
			continue
		}
		out = append(out, eval.Compare(records, p.A, records, p.B, h.Scorers, eval.CompareOptions{Higher: higherIsBetter(), Split: split, Reducer: h.Reducer})...)
	}
	return out
}

// writeToFile renders a view into a buffer and writes it atomically.
func writeToFile(path string, write func(io.Writer) error) error {
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// commandLine renders the command as typed, for the reports.
func commandLine() string {
	return "deepctx " + strings.Join(os.Args[1:], " ")
}

// parseGates reads --fail-under SCORER=MIN[,…].
func parseGates(s string) (map[string]float64, error) {
	out := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || name == "" || err != nil {
			return nil, usagef("--fail-under %q: want SCORER=MIN[,SCORER=MIN…], e.g. fact_recall=0.6", part)
		}
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}

// checkGates applies --fail-under and --baseline to the summary.
// --fail-under is a floor on each variant's mean, whatever the scorer's
// direction.
func checkGates(sum eval.Summary, gates map[string]float64, baseline string, records []eval.Record, named []eval.Named) error {
	var reasons []string
	for _, name := range slices.Sorted(maps.Keys(gates)) {
		floor := gates[name]
		known := false
		for _, v := range sum.Variants {
			s, ok := v.Scores[name]
			if !ok || s.N == 0 {
				continue
			}
			known = true
			if s.Mean < floor {
				reasons = append(reasons, fmt.Sprintf("%s %s = %.3f < %.3f", v.Name, name, s.Mean, floor))
			}
		}
		if !known {
			reasons = append(reasons, fmt.Sprintf("%s: no variant has a score (is the scorer name right?)", name))
		}
	}
	if baseline != "" {
		more, err := baselineGate(sum, baseline, records, named)
		if err != nil {
			return err
		}
		reasons = append(reasons, more...)
	}
	if len(reasons) > 0 {
		return errGate{reasons}
	}
	return nil
}

// baselineGate compares each variant with the same variant in the
// baseline log and names every scorer significantly worse, or a variant
// the baseline lacks.
func baselineGate(sum eval.Summary, baseline string, records []eval.Record, named []eval.Named) ([]string, error) {
	bl, err := eval.OpenLog(baseline)
	if err != nil {
		return nil, usageError{fmt.Errorf("--baseline: %w", err)}
	}
	bh, err := bl.Header()
	if err != nil {
		return nil, err
	}
	base, err := bl.Records()
	if err != nil {
		return nil, err
	}
	var reasons []string
	for _, v := range sum.Variants {
		if !slices.Contains(bh.Variants, v.Name) {
			reasons = append(reasons, fmt.Sprintf("%s: the baseline %s has no such variant to compare with", v.Name, baseline))
			continue
		}
		opts := eval.CompareOptions{Higher: higherIsBetter(), Reducer: sum.Reducer}
		for _, c := range eval.Compare(base, v.Name, records, v.Name, scorers.Names(named), opts) {
			switch {
			case c.Error != "":
				reasons = append(reasons, fmt.Sprintf("%s %s: cannot compare with the baseline: %s", v.Name, c.Scorer, c.Error))
			case c.Verdict == "worse":
				reasons = append(reasons, fmt.Sprintf("%s %s is significantly worse than the baseline (%+.3f, CI [%.3f, %.3f])",
					v.Name, c.Scorer, c.Paired.MeanDiff, c.Paired.CI[0], c.Paired.CI[1]))
			}
		}
	}
	return reasons, nil
}

// evalProgress prints one line per finished attempt.
type evalProgress struct {
	w    io.Writer
	last eval.TaskKey
}

func newEvalProgress(w io.Writer) *evalProgress { return &evalProgress{w: w} }

func (p *evalProgress) update(pr eval.Progress) {
	if pr.LastStatus == "" || pr.Last == p.last {
		return // nothing finished since the last line
	}
	p.last = pr.Last
	fmt.Fprintf(p.w, "[%d/%d] %s %s · %d failed · %s tokens · $%.4f · %s elapsed · ETA %s\n",
		pr.Done, pr.Total, pr.Last, pr.LastStatus, pr.Failed, compactTokens(pr.Tokens), pr.CostUSD,
		pr.Elapsed.Round(time.Second), pr.ETA.Round(time.Second))
}

// evalIndex opens the index at db and brings the suite's corpus up to date in it.
func evalIndex(ctx context.Context, w io.Writer, db string, roots []string) (*search.Index, error) {
	for _, r := range roots {
		if _, err := os.Stat(r); err != nil {
			return nil, usagef("suite corpus %s: %v", r, err)
		}
	}
	return openIndex(ctx, w, db, roots)
}
