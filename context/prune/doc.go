// Package prune keeps a long agent run's context small by clearing what
// the model no longer needs: old tool results, and tool results identical
// to one still in view. Both are window.Policy stages for a
// window.Manager.
//
// New returns the pruning policy, with the parameters of Anthropic's
// context editing (clear_tool_uses_20250919: trigger, keep,
// clear_at_least, exclude_tools, clear_tool_inputs) and Codex's
// tool-output pruning. When its Trigger fires (by default: the view is
// over 80% of the budget) it replaces the oldest tool results, but the
// Keep most recent, with a short placeholder that keeps the tool call
// paired and names the artifact handle of offloaded content, so nothing is
// lost for good. NewDedupe returns the deduplication policy, which
// replaces a result identical to an earlier one still in view with a
// reference to it.
//
// Both record at most one edit per pass, so the prompt prefix a provider
// caches changes at most once per policy per call; nothing is ever removed
// from the transcript, and every edit accounts for the tokens it freed.
//
//	m := &window.Manager{
//		Tokenizer: tokens.ForModel("gpt-4.1"),
//		Policies: []window.Policy{
//			prune.NewDedupe(prune.DedupeConfig{}),
//			prune.New(prune.Config{
//				Trigger:      prune.Trigger{Fraction: 0.7},
//				Keep:         5,
//				ClearAtLeast: 20_000,
//				ExcludeTools: []string{"write_notes"},
//			}),
//		},
//	}
//	view, report, err := m.Prepare(ctx, transcript, tools, budget)
package prune
