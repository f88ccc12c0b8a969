package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/deepctx/deepctx/context/tokens"
)

func newModelsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List the models deepctx knows: context window, max output, tokenizer",
		Long: `List the model registry: each model's context window and maximum output as
its vendor documents them, and how deepctx counts its tokens (exact with the
model's own tokenizer, or a documented approximation). Unknown models get
conservative defaults.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), tokens.Models())
			}
			return writeModelsTable(cmd.OutOrStdout(), tokens.Models())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the registry as JSON")
	return cmd
}

func writeModelsTable(w io.Writer, models []tokens.ModelInfo) error {
	// Numbers are right-aligned by hand: tabwriter aligns whole tables only.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "PROVIDER\tMODEL\t%9s\t%10s\tTOKENIZER\n", "WINDOW", "MAX OUTPUT")
	for _, m := range models {
		fmt.Fprintf(tw, "%s\t%s\t%9s\t%10s\t%s\n", m.Provider, m.Name,
			thousands(m.ContextWindow), thousands(m.MaxOutput), tokenizerLabel(m))
	}
	return tw.Flush()
}

// tokenizerLabel says how a model's tokens are counted, in a few words.
func tokenizerLabel(m tokens.ModelInfo) string {
	if m.Exact {
		return string(m.Encoding) + " (exact)"
	}
	s := fmt.Sprintf("~ %s x %.2f", m.Encoding, m.Factor)
	if m.SplitDigits {
		s += " + digits"
	}
	return s
}

// thousands formats n with comma separators: 1047576 -> "1,047,576".
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func writeJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
