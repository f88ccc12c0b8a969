package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/context/tokens"
)

func newTokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Token accounting tools",
		// Runnable, so that an unknown subcommand is a usage error (exit 2)
		// rather than cobra's help with exit 0.
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newTokensCountCmd())
	return cmd
}

// tokenCount is one line of "deepctx tokens count" output.
type tokenCount struct {
	Source   string  `json:"source"`
	Tokens   int     `json:"tokens"`
	Bytes    int     `json:"bytes"`
	Model    string  `json:"model"`
	Encoding string  `json:"encoding"`
	Exact    bool    `json:"exact"`
	Window   int     `json:"context_window"`
	Percent  float64 `json:"percent_of_window"`
}

func newTokensCountCmd() *cobra.Command {
	var (
		model  string
		quiet  bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "count [--model M] [FILE|-]...",
		Short: "Count the tokens of files or standard input as a model sees them",
		Long: `Count the tokens of each FILE (or standard input, when FILE is "-" or
absent) in MODEL's tokenizer: exact for OpenAI models, a documented
approximation for models whose tokenizer is not public. Counting is offline.`,
		Example: `  deepctx tokens count --model gpt-4.1 report.md
  cat notes.txt | deepctx tokens count --model anthropic:claude-sonnet-4-5 -q`,
		RunE: func(cmd *cobra.Command, args []string) error {
			info, known := tokens.Lookup(model)
			if !known {
				fmt.Fprintf(cmd.ErrOrStderr(), "deepctx: warning: unknown model %q: counting with conservative defaults (%s, %s-token window)\n",
					model, tokenizerLabel(info), thousands(info.ContextWindow))
			}
			tok := tokens.New(info, tokens.Options{})
			if len(args) == 0 {
				args = []string{"-"}
			}
			var counts []tokenCount
			for _, src := range args {
				text, err := readSource(cmd.InOrStdin(), src)
				if err != nil {
					return err
				}
				n := tok.Count(text)
				counts = append(counts, tokenCount{
					Source: src, Tokens: n, Bytes: len(text), Model: info.Name,
					Encoding: string(info.Encoding), Exact: info.Exact, Window: info.ContextWindow,
					Percent: 100 * float64(n) / float64(info.ContextWindow),
				})
			}
			return printCounts(cmd.OutOrStdout(), counts, quiet, asJSON)
		},
	}
	cmd.Flags().StringVarP(&model, "model", "m", "gpt-4.1", "model whose tokenizer to count with (a name or a provider:model spec)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the number of tokens")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per source")
	return cmd
}

// readSource reads a file, or stdin for "-". A directory or a missing file
// is a runtime error naming the path.
func readSource(stdin io.Reader, src string) (string, error) {
	if src == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return "", fmt.Errorf("read standard input: %w", err)
		}
		return string(b), nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", src, unwrapPathError(err))
	}
	return string(b), nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose message repeats
// the path already named by the caller.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func printCounts(w io.Writer, counts []tokenCount, quiet, asJSON bool) error {
	for _, c := range counts {
		var err error
		switch {
		case asJSON:
			err = writeJSONLine(w, c)
		case quiet:
			_, err = fmt.Fprintln(w, c.Tokens)
		default:
			how := "exact"
			if !c.Exact {
				how = "approximate"
			}
			_, err = fmt.Fprintf(w, "%s tokens  %s  (%s, %s %s; %.1f%% of a %s-token window)\n",
				thousands(c.Tokens), c.Source, c.Model, c.Encoding, how, c.Percent, thousands(c.Window))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
