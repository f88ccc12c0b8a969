package contextbench

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/deepctx/deepctx/context/tokens"
)

// Factory builds a fresh strategy for one trajectory run.
type Factory struct {
	Name string
	New  func() (Strategy, error)
}

// Suite is the whole benchmark: every strategy on a trajectory of each
// length, all from one seed.
type Suite struct {
	// Seed drives the trajectories. Optional. Defaults to 1.
	Seed uint64
	// Lengths are the trajectory lengths in tool calls. Optional.
	// Defaults to 50, 200 and 500.
	Lengths []int
	// Strategies run in order; the first is the reference the others are
	// compared to. Required.
	Strategies []Factory
	// Model names the tokenizer requests are counted with. Optional.
	// Defaults to "gpt-4.1".
	Model string
	// Progress, if set, gets one line per finished run.
	Progress io.Writer
}

// Run generates the trajectories and runs every strategy on each.
func (s Suite) Run(ctx context.Context) ([]Result, error) {
	if s.Seed == 0 {
		s.Seed = 1
	}
	if len(s.Lengths) == 0 {
		s.Lengths = []int{50, 200, 500}
	}
	if s.Model == "" {
		s.Model = "gpt-4.1"
	}
	corpus, err := Corpus()
	if err != nil {
		return nil, err
	}
	tok := tokens.ForModel(s.Model)
	// langchaingo's token buffer logs a warning on every count it
	// approximates; the benchmark reports its behaviour instead.
	log.SetOutput(io.Discard)
	defer log.SetOutput(os.Stderr)
	var results []Result
	for _, n := range s.Lengths {
		tr := Generate(s.Seed, n, corpus)
		for _, f := range s.Strategies {
			if err := ctx.Err(); err != nil {
				return results, err
			}
			strategy, err := f.New()
			if err != nil {
				return results, fmt.Errorf("contextbench: strategy %s: %w", f.Name, err)
			}
			r := Run(ctx, tr, strategy, tok)
			results = append(results, r)
			if s.Progress != nil {
				fmt.Fprintf(s.Progress, "%4d steps  %-16s billed %12s  peak %8s  facts %3.0f%%\n",
					n, r.Strategy, thousands(int(r.TotalBilled())), thousands(r.Peak), 100*r.Recoverable())
			}
		}
	}
	return results, nil
}

// WriteResults writes context.md (the tables, with the command and seed)
// and one context-<n>.svg plot per trajectory length into dir.
func WriteResults(dir, command string, seed uint64, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "# Context strategies: billed tokens, window, facts\n\n")
	fmt.Fprintf(&md, "Command: `%s` (seed %d). Requests are counted with gpt-4.1's tokenizer (o200k_base); the window is %s tokens; the prompt cache bills the prefix a request shares with the previous one at %.0f%%.\n",
		command, seed, thousands(Window), 100*CachedInputPrice)
	md.WriteString(methodology)
	if err := WriteTable(&md, results); err != nil {
		return err
	}
	for _, group := range byLength(results) {
		name := fmt.Sprintf("context-%d.svg", group[0].Steps)
		fmt.Fprintf(&md, "\n![cumulative billed tokens, %d tool calls](%s)\n", group[0].Steps, name)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		werr := WriteSVG(f, group)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return werr
		}
	}
	return os.WriteFile(filepath.Join(dir, "context.md"), []byte(md.String()), 0o644)
}

// methodology explains the strategies and columns in context.md.
const methodology = `
Strategies: **none** sends the whole log (an infinite window: the cost
reference); **truncate-oldest** is langchaingo's ConversationTokenBuffer as it
ships (it counts with langchaingo's approximate fallback, since it calls
CountTokens with no model name) holding 111k tokens; **prune**, **offload** and
**summarize** (extractive TextRank, no model) are each policy alone at its
defaults inside a window.Manager with a 128k window and 16k reserved for
output; **isolate** runs researchers of 10 tool calls in fresh transcripts,
each seeded with the task and the findings returned so far (1,500-token
extractive returns), with no other context management; **default** is
engine.DefaultPolicy (dedupe, offload over 2k tokens, prune past 25% of the
budget with cleared results archived, summarize past 85%).

Facts: one fact is planted every 10 steps and checked 5 to 60 steps later:
*verbatim* in the request, in a *summary* or notes, reachable through an
artifact *handle* the request shows (read_artifact would return it), or
*lost*. Prefix stability is the mean share of the previous request that the
next repeats as its prefix. The CPU column is the mean wall time of the
strategy's View (Manager.Prepare) per turn once the log holds 200k tokens or
more: for offloading strategies it includes writing each artifact durably
(two file fsyncs and a directory fsync) and tokenizing new content once.
A strategy that cannot fit a request stops there; its figures cover the
steps it made and it is not compared with the reference.
`
