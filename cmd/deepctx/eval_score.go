package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
	"github.com/deepctx/deepctx/eval/report"
	"github.com/deepctx/deepctx/eval/scorers"
)

func newEvalRescoreCmd() *cobra.Command {
	var names, judges []string
	var db, cacheDir string
	cmd := &cobra.Command{
		Use:   "rescore LOG",
		Short: "Re-score an eval log's finished samples without re-running the agent",
		Long: `rescore runs scorers again over the reports an eval log already holds: a new
scorer, a fixed judge, a changed corpus. Only the named scorers (--scorer,
default all) are replaced in each record; then the summary and reports are
written again. The corpus is re-indexed from the log's suite into --db.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := eval.OpenLog(args[0])
			if err != nil {
				return usageError{err}
			}
			h, err := l.Header()
			if err != nil {
				return err
			}
			if h.Suite == nil {
				return fmt.Errorf("eval log %s has no suite in its header", args[0])
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			env, err := openEvalEnv(ctx, cmd.ErrOrStderr(), h.Suite, db, judges, cacheDir)
			if err != nil {
				return err
			}
			defer env.Close()
			named, err := evalScorers(env, l.Cache(), names)
			if err != nil {
				return err
			}
			n, err := eval.Rescore(ctx, l, named, env.resolver)
			if err != nil {
				return err
			}
			if pairs := evalPairScorers(env); len(pairs) > 0 && (len(names) == 0 || slices.Contains(names, judge.NamePairwise)) {
				records, err := l.Records()
				if err != nil {
					return err
				}
				if err := eval.RunPairs(ctx, l, h.Suite, records, pairs, env.resolver, true); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "rescored %d records with %d scorers\n", n, len(named))
			sum, err := writeEvalViews(l)
			if err != nil {
				return err
			}
			return printSummary(cmd, sum, false)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&names, "scorer", nil, "re-run only this scorer (repeatable; default all)")
	fl.StringArrayVar(&judges, "judge", nil, "judge model spec (repeatable); overrides the suite's judges")
	fl.StringVar(&db, "db", "", "corpus index folder (default: the user cache dir, deepctx/index)")
	fl.StringVar(&cacheDir, "cache", "", "replay cassette folder for judge calls: calls made before are answered from it")
	return cmd
}

func newEvalScoreCmd() *cobra.Command {
	var suitePath, sampleID, db string
	var judges []string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "score --suite SUITE.yaml --sample ID RUN_DIR",
		Short: "Score one research run folder against one sample of a suite",
		Long: `score reads report.md and sources.json from a run folder written by
'deepctx research' (or an eval attempt's run folder) and scores it against one
sample of a suite: key facts, citations verified against the suite's corpus,
expected sources, and the judges when configured.`,
		Example: `  deepctx research --out runs/mm --corpus "$(go env GOROOT)/doc" "How do channels synchronize goroutines?"
  deepctx eval score --suite eval/suites/godocs/suite.yaml --sample mm-channels runs/mm`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if suitePath == "" || sampleID == "" {
				return usagef("--suite and --sample are required")
			}
			suite, err := eval.LoadSuite(suitePath)
			if err != nil {
				return usageError{err}
			}
			smp, ok := suite.Sample(sampleID)
			if !ok {
				return usagef("the suite has no sample %q", sampleID)
			}
			out, err := eval.ReadRunFolder(args[0])
			if err != nil {
				return usageError{err}
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			env, err := openEvalEnv(ctx, cmd.ErrOrStderr(), suite, db, judges, "")
			if err != nil {
				return err
			}
			defer env.Close()
			named, err := evalScorers(env, &eval.MemoryCache{}, nil)
			if err != nil {
				return err
			}
			dir, _ := filepath.Abs(args[0])
			res := eval.Result{Variant: "run", Epoch: 1, Output: out, Corpus: env.resolver, Dir: dir}
			scores := eval.ScoreAll(ctx, named, smp, res)
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), struct {
					Sample string                `json:"sample"`
					Run    string                `json:"run"`
					Scores map[string]eval.Score `json:"scores"`
				}{smp.ID, dir, scores})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Sample %s: %s\n\n", smp.ID, smp.Question)
			for _, n := range scorers.Names(named) {
				s := scores[n]
				switch {
				case s.Skipped:
					fmt.Fprintf(w, "  %-22s skipped (%s)\n", n, s.Explanation)
				case s.Error != "":
					fmt.Fprintf(w, "  %-22s error: %s\n", n, s.Error)
				default:
					fmt.Fprintf(w, "  %-22s %8.3f  %s\n", n, s.Value, s.Explanation)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&suitePath, "suite", "", "the suite file (required)")
	fl.StringVar(&sampleID, "sample", "", "the sample ID to score against (required)")
	fl.StringVar(&db, "db", "", "corpus index folder (default: the user cache dir, deepctx/index)")
	fl.StringArrayVar(&judges, "judge", nil, "judge model spec (repeatable); overrides the suite's judges")
	fl.BoolVar(&jsonOut, "json", false, "print the scores as JSON")
	return cmd
}

// printSummary prints the summary as Markdown or JSON.
func printSummary(cmd *cobra.Command, sum eval.Summary, jsonOut bool) error {
	if jsonOut {
		return writeJSON(cmd.OutOrStdout(), sum)
	}
	return report.Markdown(cmd.OutOrStdout(), sum, report.Options{})
}
