package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/benchmarks/contextbench"
	"github.com/deepctx/deepctx/context/tokens"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run deepctx's benchmarks",
		Args:  argsUsage(cobra.NoArgs),
	}
	cmd.AddCommand(newBenchContextCmd())
	return cmd
}

func newBenchContextCmd() *cobra.Command {
	var (
		seed    uint64
		steps   []int
		out     string
		only    []string
		workDir string
	)
	cmd := &cobra.Command{
		Use:   "context",
		Short: "Compare context strategies on seeded research trajectories",
		Long: `Play seeded synthetic research trajectories (search hits, pages of 2k-30k
tokens, errors, planted facts) through each context strategy and report the
billed input tokens with a prompt-cache simulation, peak context, requests
over a 128k window, planted facts still recoverable, prefix stability and
the time the strategy takes per turn. Writes context.md and one SVG plot
per trajectory length into --out.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if workDir == "" {
				dir, err := os.MkdirTemp("", "deepctx-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				workDir = dir
			}
			tok := tokens.ForModel("gpt-4.1")
			factories, err := pick(contextbench.Strategies(workDir, tok), only)
			if err != nil {
				return err
			}
			suite := contextbench.Suite{Seed: seed, Lengths: steps, Strategies: factories, Progress: cmd.ErrOrStderr()}
			results, err := suite.Run(cmd.Context())
			if err != nil {
				return err
			}
			command := fmt.Sprintf("deepctx bench context --seed %d --steps %s", seed, joinInts(steps))
			if err := contextbench.WriteResults(out, command, seed, results); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s/context.md\n", out)
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the trajectories")
	cmd.Flags().IntSliceVar(&steps, "steps", []int{50, 200, 500}, "trajectory lengths in tool calls")
	cmd.Flags().StringVar(&out, "out", "benchmarks/results", "folder for context.md and the SVG plots")
	cmd.Flags().StringSliceVar(&only, "strategy", nil, "run only these strategies (the first is the reference); default all")
	cmd.Flags().StringVar(&workDir, "work", "", "folder for artifact stores (default: a temporary folder, removed afterwards)")
	return cmd
}

// pick returns the factories named in only, in that order, or all of them.
func pick(all []contextbench.Factory, only []string) ([]contextbench.Factory, error) {
	if len(only) == 0 {
		return all, nil
	}
	var out []contextbench.Factory
	for _, name := range only {
		found := false
		for _, f := range all {
			if f.Name == name {
				out, found = append(out, f), true
			}
		}
		if !found {
			var names []string
			for _, f := range all {
				names = append(names, f.Name)
			}
			return nil, usagef("unknown strategy %q (known: %s)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ",")
}
