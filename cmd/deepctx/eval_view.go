package main

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/report"
)

func newEvalViewCmd() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "view LOG",
		Short: "Print an eval log's summary and write its self-contained report.html",
		Long: `view reads an eval log folder, prints a Markdown summary (variants × scorers
with 95% confidence intervals, per split and per critique round), and writes
report.html into the log: one self-contained file with charts and a
per-sample drill-down. It never runs the agent.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := eval.OpenLog(args[0])
			if err != nil {
				return usageError{err}
			}
			sum, err := writeEvalViews(l)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), sum)
			}
			if err := report.Markdown(cmd.OutOrStdout(), sum, report.Options{}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "HTML report: %s\n", displayPath(filepath.Join(l.Dir, "report.html")))
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the summary as JSON")
	return cmd
}

func newEvalCompareCmd() *cobra.Command {
	var a, b, split string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "compare LOG_A [LOG_B]",
		Short: "Paired differences between two eval logs, or two variants of one log",
		Long: `compare pairs the scores of two variants sample by sample (B minus A) and
prints, per scorer, the mean difference with its paired bootstrap 95% CI and a
paired permutation test's p-value. A difference is called significant only
when the CI excludes 0 and p < 0.05.

With two logs, the variant compared is --a in LOG_A and --b in LOG_B (default:
each log's first variant). With one log, --a and --b name two of its variants
(default: its first two).`,
		Example: `  deepctx eval compare evals/before evals/after --split test
  deepctx eval compare evals/run --a offline --b offline-no-critique`,
		Args: argsUsage(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			la, err := eval.OpenLog(args[0])
			if err != nil {
				return usageError{err}
			}
			lb := la
			if len(args) == 2 {
				if lb, err = eval.OpenLog(args[1]); err != nil {
					return usageError{err}
				}
			}
			ha, err := la.Header()
			if err != nil {
				return err
			}
			hb, err := lb.Header()
			if err != nil {
				return err
			}
			if a == "" && len(ha.Variants) > 0 {
				a = ha.Variants[0]
			}
			if b == "" {
				switch {
				case len(args) == 2 && len(hb.Variants) > 0:
					b = hb.Variants[0]
				case len(args) == 1 && len(ha.Variants) > 1:
					b = ha.Variants[1]
				default:
					return usagef("name the variants to compare with --a and --b")
				}
			}
			if split != "" && split != "dev" && split != "test" {
				return usagef("--split: %q is neither dev nor test", split)
			}
			ra, err := la.Records()
			if err != nil {
				return err
			}
			rb, err := lb.Records()
			if err != nil {
				return err
			}
			names := append([]string{}, ha.Scorers...)
			for _, n := range hb.Scorers {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			cmps := eval.Compare(ra, a, rb, b, names, eval.CompareOptions{Higher: higherIsBetter(), Split: split, Reducer: ha.Reducer})
			if jsonOut {
				return writeJSON(cmd.OutOrStdout(), cmps)
			}
			return report.Comparisons(cmd.OutOrStdout(), cmps)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&a, "a", "", "variant A (the baseline)")
	fl.StringVar(&b, "b", "", "variant B (compared with A)")
	fl.StringVar(&split, "split", "", "compare on the dev or test half only")
	fl.BoolVar(&jsonOut, "json", false, "print the comparisons as JSON")
	return cmd
}
