package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/research"
)

func newResumeCmd() *cobra.Command {
	var answer string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "resume [flags] RUN_DIR",
		Short: "Continue a research run that was interrupted, killed, failed or paused",
		Long: `resume continues a run from its latest checkpoint with the settings it
started with (run.json): finished stages and finished researchers are not run
again. A run paused for a clarifying question needs --answer.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			folder, meta, err := openRunFolder(args[0])
			if err != nil {
				return err
			}
			switch {
			case meta.Status == statusDone:
				fmt.Fprintf(cmd.ErrOrStderr(), "Run %s is already done: %s\n", meta.ID, displayPath(folder.path("report.md")))
				return nil
			case meta.displayStatus() == statusRunning && meta.PID != os.Getpid():
				return fmt.Errorf("run %s is still running (process %d); stop it first", meta.ID, meta.PID)
			case meta.Status == statusPaused && answer == "":
				return usagef("run %s waits for an answer; pass --answer \"...\" to: %s", meta.ID, meta.Pending)
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			cmd.SetContext(ctx)
			e, err := openEnv(ctx, cmd, meta.Settings)
			if err != nil {
				return err
			}
			defer e.Close()
			meta.Status, meta.Error = statusRunning, ""
			return runAgent(cmd, e, folder, meta, jsonOut, func(ctx context.Context, a *research.Agent, opts []graph.RunOption) (research.Result, error) {
				return a.Resume(ctx, folder.ID(), answer, opts...)
			})
		},
	}
	cmd.Flags().StringVar(&answer, "answer", "", "the answer to the run's clarifying question")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print a machine-readable summary on stdout")
	return cmd
}

func newRunsCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "runs [--dir DIR]",
		Short: "List research runs with their status",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			runs, err := listRuns(dir)
			if os.IsNotExist(err) {
				fmt.Fprintf(cmd.ErrOrStderr(), "No runs in %s yet.\n", dir)
				return nil
			}
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "RUN\tSTATUS\tUPDATED\tQUESTION")
			for _, m := range runs {
				status := m.displayStatus()
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.ID, status, m.Updated.Local().Format(time.DateTime), shorten(m.Question, 70))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "runs", "folder holding the run folders")
	return cmd
}
