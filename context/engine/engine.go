// Package engine composes the context engine's policies into the pipeline
// deepctx recommends, DefaultPolicy, and builds a window.Manager with it.
// Each policy is also usable alone from its own package; this package
// holds only the composition and its parameters, which the
// context-strategy benchmark (benchmarks/contextbench) chooses.
package engine

import (
	"context"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/notes"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/summarize"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// Options configures DefaultPolicy and NewManager.
type Options struct {
	// Store receives offloaded tool results. Optional. Defaults to none:
	// without a store nothing is offloaded, and pruning clears results
	// for good.
	Store *offload.Store
	// Summarizer writes compaction summaries. Optional. Defaults to
	// summarize.Extractive, which needs no model.
	Summarizer summarize.Summarizer
	// Notes are recited at the end of every view. Optional.
	Notes *notes.Notes
}

// The parameters of DefaultPolicy, as the context benchmark chose them.
const (
	// OffloadInlineTokens is the largest tool result kept inline.
	OffloadInlineTokens = 2000
	// PruneFraction is the share of the budget above which old tool
	// results are cleared (and archived). The benchmark's 500-step run
	// bills 93.5% less than the full log at 0.35, 96.4% at 0.25 and 97.3%
	// at 0.15, with every planted fact recoverable at each; 0.25 keeps a
	// working set of about a quarter of the window verbatim.
	PruneFraction = 0.25
	// PruneKeep is how many of the newest tool results stay untouched.
	PruneKeep = 8
	// SummarizeFraction is the share of the budget above which the oldest
	// turns are compacted into a summary, when clearing was not enough.
	SummarizeFraction = 0.85
)

// DefaultPolicy returns the pipeline deepctx recommends, in order:
//
//  1. dedupe: a repeated tool result becomes a reference to the first copy
//     (lossless);
//  2. offload: a tool result over OffloadInlineTokens goes to the artifact
//     store, leaving a preview and a handle (restorable);
//  3. prune: past PruneFraction of the budget, the oldest tool results
//     but the newest PruneKeep are cleared in one edit; with a Store, each
//     cleared result is archived first and its placeholder names the
//     handle, so nothing is lost;
//  4. summarize: past SummarizeFraction, the oldest turns are compacted
//     into one summary that keeps facts, numbers and handles.
//
// The cheap, lossless steps come first so the lossy ones rarely run, and
// each runs at most one edit per call, so the prompt prefix stays cacheable
// for long stretches.
func DefaultPolicy(opts Options) []window.Policy {
	s := opts.Summarizer
	if s == nil {
		s = summarize.Extractive(summarize.ExtractiveConfig{})
	}
	var policies []window.Policy
	policies = append(policies, prune.NewDedupe(prune.DedupeConfig{}))
	if opts.Store != nil {
		policies = append(policies, offload.New(opts.Store, offload.Config{MaxInlineTokens: OffloadInlineTokens}))
	}
	pruning := prune.Config{Trigger: prune.Trigger{Fraction: PruneFraction}, Keep: PruneKeep}
	if opts.Store != nil {
		pruning.Archive = Archive(opts.Store)
	}
	policies = append(policies,
		prune.New(pruning),
		summarize.New(s, summarize.Config{TriggerFraction: SummarizeFraction}),
	)
	return policies
}

// Archive returns a prune.Config.Archive that stores a cleared tool
// message's results in store, so the placeholder names a handle and
// nothing pruned is lost.
func Archive(store *offload.Store) func(context.Context, llm.Message) (string, error) {
	return func(ctx context.Context, m llm.Message) (string, error) {
		var content strings.Builder
		meta := offload.Meta{Provenance: "prune"}
		for i, r := range m.ToolResults() {
			if i > 0 {
				content.WriteString("\n\n")
			}
			content.WriteString(r.Content)
			meta.Tool, meta.CallID = r.Name, r.CallID
		}
		h, err := store.Put(ctx, content.String(), meta)
		return string(h), err
	}
}

// NewManager returns a Manager that counts with tok and runs
// DefaultPolicy(opts), reciting opts.Notes when set.
func NewManager(tok *tokens.Tokenizer, opts Options) *window.Manager {
	m := &window.Manager{Tokenizer: tok, Policies: DefaultPolicy(opts)}
	if opts.Notes != nil {
		m.Recite = opts.Notes
	}
	return m
}
