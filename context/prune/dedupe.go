package prune

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// DedupeName is the name of the policy NewDedupe returns, and the Policy
// of its edits.
const DedupeName = "dedupe"

// DefaultDedupeMinTokens is DedupeConfig.MinTokens when 0.
const DefaultDedupeMinTokens = 64

// DedupeConfig configures the deduplication policy. The zero value is
// ready to use.
type DedupeConfig struct {
	// MinTokens is the size below which a tool message is left as it is:
	// replacing it would save little. Optional. Defaults to
	// DefaultDedupeMinTokens (64).
	MinTokens int
	// ExcludeTools names tools whose results are never replaced (they may
	// still be the earlier copy others refer to). Optional. Defaults to
	// none.
	ExcludeTools []string
}

// Dedupe replaces a tool result whose content is identical to a tool
// result still readable earlier in the view (an agent fetching the same
// page twice, re-running the same search) with the placeholder
// "[identical to the result of call <id>]", id being the call of the
// earliest readable copy. It implements window.Policy; build it with
// NewDedupe. It runs on every pass, whatever the budget: it loses nothing,
// since the copy it refers to is in the view.
//
// Two results are identical when their Content and IsError are equal, as
// the view shows them (an offloaded preview compares as the preview). Only
// tool messages with exactly one result are replaced (llm.Tool builds
// those); any readable result may be the earlier copy, protected ones
// included. Protected (pinned) messages, results of excluded tools,
// messages under MinTokens, and messages Prune or Dedupe already replaced
// are never replaced. The replacement keeps the result's CallID, Name and
// IsError and the message's Meta (its own Artifact and Provenance).
//
// It stays lossless with Prune in the pipeline: Prune never clears the
// earlier copy while a placeholder referring to it is one Prune would keep
// (among its Keep most recent tool uses, of one of its ExcludeTools, or
// pinned). Once every such placeholder is old enough to be cleared itself,
// the copy may be cleared, and the placeholders read as cleared too (with
// the copy's artifact handle, if any, in its placeholder). Put Dedupe
// before Prune in the pipeline so Prune sees the smaller view.
//
// A duplicate is replaced on the first pass that sees it, usually the
// pass right after it was appended, so it never reaches the provider in
// full and the edit does not disturb the cached prefix. All the
// replacements of one Apply are recorded as one edit.
type Dedupe struct {
	minTokens int
	exclude   map[string]bool
}

var _ window.Policy = (*Dedupe)(nil)

// NewDedupe returns the deduplication policy configured by cfg.
func NewDedupe(cfg DedupeConfig) *Dedupe {
	d := &Dedupe{minTokens: cfg.MinTokens, exclude: toolSet(cfg.ExcludeTools)}
	if d.minTokens <= 0 {
		d.minTokens = DefaultDedupeMinTokens
	}
	return d
}

// Name returns DedupeName ("dedupe").
func (*Dedupe) Name() string { return DedupeName }

// Apply replaces the duplicate tool results of the pass's view, recording
// at most one edit. It returns ctx's error if ctx is done, and the
// transcript's error if the edit cannot be recorded.
func (d *Dedupe) Apply(ctx context.Context, p *window.Pass) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st := newState(p)
	type content struct {
		text    string
		isError bool
	}
	first := map[content]string{} // readable content -> call ID of its earliest copy
	e := window.Edit{Kind: window.EditReplace, Policy: DedupeName}
	for i, m := range st.view {
		if m.Role != llm.RoleTool || st.cleared(i) {
			continue
		}
		results := m.ToolResults()
		if len(results) == 1 && st.editable(p, i) && !d.exclude[st.toolOf(&results[0])] {
			r := results[0]
			if src, ok := first[content{r.Content, r.IsError}]; ok && p.Count(m) >= d.minTokens {
				id := window.DerivedID(st.origin[i], st.nextSeq)
				repl := llm.Message{ID: id, Role: llm.RoleTool, Name: m.Name, Meta: m.Meta, Parts: []llm.Part{
					llm.ToolResultPart(llm.ToolResult{CallID: r.CallID, Name: r.Name, Content: dedupeText(src), IsError: r.IsError}),
				}}
				if gain := p.Count(m) - p.Count(repl); gain > 0 {
					e.Targets = append(e.Targets, st.origin[i])
					e.Replacement = append(e.Replacement, repl)
					e.TokensFreed += gain
					continue
				}
			}
		}
		for _, r := range results {
			k := content{r.Content, r.IsError}
			if _, ok := first[k]; !ok {
				first[k] = r.CallID
			}
		}
	}
	if len(e.Targets) == 0 {
		return nil
	}
	if _, err := p.Record(e); err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	return nil
}
