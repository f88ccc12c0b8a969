package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK      = 0 // success
	exitRuntime = 1 // the command ran and failed
	exitUsage   = 2 // the command line was wrong
	exitPaused  = 3 // a research run paused for the answer to a question
	exitGate    = 4 // an eval's quality gate failed
)

// usageError marks an error in the command line itself, as opposed to a
// failure while running: it exits with code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run executes the CLI with args and streams, and returns the exit code.
// Errors go to stderr as one line prefixed "deepctx: ".
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdin, stdout, stderr)
}

// runContext is run with a context: cancelling it stops the command as
// Ctrl-C does.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errPaused) {
		return exitPaused // the command has said what it waits for
	}
	var gate errGate
	if errors.As(err, &gate) {
		fmt.Fprintln(stderr, "deepctx: quality gate failed:")
		for _, r := range gate.reasons {
			fmt.Fprintf(stderr, "  %s\n", r)
		}
		return exitGate
	}
	fmt.Fprintf(stderr, "deepctx: %s\n", oneLine(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		fmt.Fprintln(stderr, "Run 'deepctx help' for usage.")
		return exitUsage
	}
	return exitRuntime
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "deepctx",
		Short: "Deep-research agents that stay sharp over hundreds of tool calls",
		Long: `deepctx runs deep-research agents whose context engine keeps every model
call inside its budget, and evaluates them.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newResearchCmd(), newResumeCmd(), newRunsCmd(), newIndexCmd(), newVersionCmd(), newModelsCmd(), newTokensCmd(), newBenchCmd(), newEvalCmd())
	return root
}

// isCobraUsageError recognizes the errors cobra itself returns for a wrong
// command line (unknown command, wrong argument count), which it does not type.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// argsUsage wraps a cobra argument validator so its failures exit with 2.
func argsUsage(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
