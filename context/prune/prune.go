package prune

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// Name is the name of the policy New returns, and the Policy of its edits.
const Name = "prune"

// Defaults of Config.
const (
	// DefaultFraction is the Trigger.Fraction used when Config.Trigger is
	// the zero value: clearing starts when the view holds more than 80% of
	// the pass's limit.
	DefaultFraction = 0.8
	// DefaultKeep is the number of most recent tool uses Config.Keep keeps
	// when 0, as in Anthropic's clear_tool_uses_20250919.
	DefaultKeep = 3
)

// Trigger says when the policy starts clearing. It fires when any
// condition that is set holds; a view over the pass's Limit() always
// fires, whatever the Trigger.
//
// The token conditions compare against Pass.Tokens() (messages and tool
// definitions). ToolUses counts the live tool results of the view: those
// neither Prune nor Dedupe has replaced with a placeholder yet. Zero and
// negative values leave a condition unset.
type Trigger struct {
	// Tokens fires when the view holds more than Tokens tokens (Anthropic's
	// input_tokens trigger). Optional; 0 means unset.
	Tokens int
	// Fraction fires when the view holds more than Fraction of the pass's
	// Limit(). Optional; 0 means unset. When the whole Trigger is the zero
	// value, Fraction defaults to DefaultFraction.
	Fraction float64
	// ToolUses fires when the view holds more than ToolUses live tool
	// results (Anthropic's tool_uses trigger). Optional; 0 means unset.
	ToolUses int
}

// Config configures the pruning policy. The zero value is ready to use:
// when the view is over 80% of the limit, clear the oldest tool results
// but the 3 most recent until it is back under 80%.
type Config struct {
	// Trigger says when clearing starts, and so what it aims for: once
	// fired, the oldest clearable results are cleared until the view is
	// back under every condition that is set (tokens at most the lowest
	// token threshold, and at most ToolUses live tool results) and at
	// least ClearAtLeast tokens were freed. Optional. Defaults to
	// Trigger{Fraction: DefaultFraction}.
	Trigger Trigger
	// Keep is how many of the most recent tool uses (tool results, counted
	// from the end of the view, cleared ones included) are never cleared.
	// A tool message holding several results is kept whole if any of them
	// is among the kept. Optional. Defaults to DefaultKeep (3); a negative
	// value keeps none.
	Keep int
	// ClearAtLeast is the fewest tokens one clearing may free. Each
	// clearing changes the prompt from the first cleared message on, which
	// invalidates a provider's prompt cache from there; a floor makes each
	// invalidation pay for itself and lets the next few turns pass without
	// clearing. If clearing every clearable result cannot free this much,
	// nothing is cleared (as Anthropic does), even when the view stays over
	// the trigger: a later policy (summarize) or the Manager's budget check
	// takes over. Optional. Defaults to 0: no floor.
	ClearAtLeast int
	// ExcludeTools names tools whose results are never cleared. Optional.
	// Defaults to none.
	ExcludeTools []string
	// ClearToolInputs also replaces the arguments of the calls whose
	// results are cleared with "{}" (keeping the call's ID and name, and
	// every other part of the assistant message). Calls of pinned
	// assistant messages keep their arguments. Optional. Defaults to false.
	ClearToolInputs bool
	// Placeholder returns the content a cleared result is replaced with.
	// r is the result as the view showed it; handle is the artifact handle
	// of the message (Meta.Artifact of the view's message or of its log
	// original), "" when none. Optional. Defaults to DefaultPlaceholder.
	Placeholder func(r llm.ToolResult, handle string) string
	// Archive, if set, stores the content of a tool message about to be
	// cleared that has no artifact handle yet, and returns the handle its
	// placeholder names (an offload.Store's Put, for instance), so that
	// nothing cleared is unrecoverable. A failure aborts the pass with
	// nothing recorded. Optional. Defaults to none: results that were not
	// offloaded are cleared for good.
	Archive func(ctx context.Context, m llm.Message) (handle string, err error)
}

// DefaultPlaceholder is the content of a cleared tool result: it names the
// artifact handle when the content was offloaded, so nothing cleared is
// unrecoverable.
func DefaultPlaceholder(_ llm.ToolResult, handle string) string {
	if handle == "" {
		return "[tool result cleared]"
	}
	return "[tool result cleared; full content: read_artifact(" + strconv.Quote(handle) + ")]"
}

// Policy clears old tool results from the view, like Anthropic's context
// editing (clear_tool_uses_20250919) and Codex's tool-output pruning. It
// implements window.Policy; build it with New.
//
// When its Trigger fires, Apply walks the view oldest first and clears
// each tool message that is
//   - not among the Keep most recent tool uses,
//   - not the result of a tool in ExcludeTools,
//   - not Protected (pinned) and not already cleared by Prune or Dedupe,
//   - not the earlier copy a Dedupe placeholder refers to while that
//     placeholder is itself kept (among the Keep most recent, of an
//     excluded tool, or pinned), so a kept duplicate never points at
//     cleared content,
//   - and smaller as a placeholder than as it is,
//
// until the target is met (see Config.Trigger and Config.ClearAtLeast).
// A message another policy replaced (an offloaded result's preview) is
// clearable: its replacement is what gets cleared, and the placeholder
// names its artifact handle.
//
// A cleared tool message becomes a tool message with the same results'
// CallID, Name and IsError, the placeholder as content, and the original's
// Meta (Artifact and Provenance included). With ClearToolInputs the
// assistant messages holding the cleared calls are replaced too, each
// built from its current rendering in the view (so calls cleared by an
// earlier pass stay cleared).
//
// All the clearing of one Apply is recorded as ONE replace edit, so the
// prompt prefix changes at most once per pass, at the first cleared
// message: everything before it stays cached by the provider. Its
// TokensFreed is the tokens of the targets as the view rendered them minus
// the tokens of their replacements, each message counted with the pass's
// tokenizer; for exactly counted models (tokens.ModelInfo.Exact) it is
// exactly the drop of Pass.Tokens().
//
// Apply is deterministic: the same view, edits and Config give the same
// edit byte for byte (replacement IDs are window.DerivedID(target, seq)
// with seq the Seq the edit is recorded under).
type Policy struct {
	trigger     Trigger
	keep        int
	atLeast     int
	exclude     map[string]bool
	inputs      bool
	placeholder func(llm.ToolResult, string) string
	archive     func(context.Context, llm.Message) (string, error)
}

var _ window.Policy = (*Policy)(nil)

// New returns the pruning policy configured by cfg (see Config for the
// defaults).
func New(cfg Config) *Policy {
	p := &Policy{
		trigger:     cfg.Trigger,
		keep:        cfg.Keep,
		atLeast:     cfg.ClearAtLeast,
		exclude:     toolSet(cfg.ExcludeTools),
		inputs:      cfg.ClearToolInputs,
		placeholder: cfg.Placeholder,
		archive:     cfg.Archive,
	}
	if p.trigger == (Trigger{}) {
		p.trigger.Fraction = DefaultFraction
	}
	switch {
	case p.keep == 0:
		p.keep = DefaultKeep
	case p.keep < 0:
		p.keep = 0
	}
	if p.placeholder == nil {
		p.placeholder = DefaultPlaceholder
	}
	return p
}

// Name returns Name ("prune").
func (*Policy) Name() string { return Name }

// Apply clears old tool results of the pass's view if the trigger fires,
// recording at most one edit. It returns ctx's error if ctx is done, and
// the transcript's error if the edit cannot be recorded (nothing is
// recorded then).
func (pol *Policy) Apply(ctx context.Context, p *window.Pass) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st := newState(p)
	view := st.view

	threshold := p.Limit()
	if t := pol.trigger.Tokens; t > 0 {
		threshold = min(threshold, t)
	}
	if f := pol.trigger.Fraction; f > 0 {
		threshold = min(threshold, int(f*float64(p.Limit())))
	}
	live := 0
	for i, m := range view {
		if m.Role == llm.RoleTool && !st.cleared(i) {
			live += numResults(m)
		}
	}
	tokens := p.Tokens()
	over := func(tokens, live int) bool {
		return tokens > threshold || (pol.trigger.ToolUses > 0 && live > pol.trigger.ToolUses)
	}
	if !over(tokens, live) {
		return nil
	}

	keepFrom := pol.keepFrom(view)
	// A Dedupe placeholder that stays readable pins the result it refers to.
	pinnedByRef := map[string]bool{}
	for i, m := range view {
		if m.Role != llm.RoleTool || st.lastPolicy[st.origin[i]] != DedupeName {
			continue
		}
		stays := i >= keepFrom || !st.editable(p, i) || pol.excluded(st, m)
		if !stays {
			continue
		}
		for _, r := range m.ToolResults() {
			if ref, ok := dedupeRef(r.Content); ok {
				pinnedByRef[ref] = true
			}
		}
	}

	tok := p.Tokenizer()
	emptyArgsTokens := tok.Count(string(emptyArgs))
	var (
		freed  int
		picked []int                       // view indices of cleared tool messages
		argsOf = map[int]map[string]bool{} // assistant view index -> calls whose args to clear
	)
	for i := 0; i < keepFrom && (over(tokens-freed, live) || freed < pol.atLeast); i++ {
		m := view[i]
		if m.Role != llm.RoleTool || st.cleared(i) || !st.editable(p, i) || pol.excluded(st, m) {
			continue
		}
		results := m.ToolResults()
		if len(results) == 0 || slices.ContainsFunc(results, func(r llm.ToolResult) bool { return pinnedByRef[r.CallID] }) {
			continue
		}
		// Counted under its final ID: the replacement recorded below is
		// this very message, so the count is memoized once.
		gain := p.Count(m) - p.Count(pol.cleared(st, i, window.DerivedID(st.origin[i], st.nextSeq), st.handle(p, i)))
		if gain <= 0 {
			continue
		}
		if pol.inputs {
			for _, r := range results {
				a, ok := st.callAt[r.CallID]
				if !ok || !st.editable(p, a) {
					continue
				}
				args := argsToClear(view[a], r.CallID)
				if args == nil {
					continue
				}
				if argsOf[a] == nil {
					argsOf[a] = map[string]bool{}
				}
				argsOf[a][r.CallID] = true
				// A call's arguments add their tokens to the message's
				// count, so this is exact for exactly counted models; the
				// edit's TokensFreed below is exact for all.
				gain += tok.Count(string(args)) - emptyArgsTokens
			}
		}
		freed += gain
		live -= len(results)
		picked = append(picked, i)
	}
	if len(picked) == 0 || freed < pol.atLeast {
		return nil
	}

	targets := slices.Concat(picked, slices.Collect(maps.Keys(argsOf)))
	slices.Sort(targets)
	e := window.Edit{Kind: window.EditReplace, Policy: Name}
	for _, i := range targets {
		id := window.DerivedID(st.origin[i], st.nextSeq)
		var repl llm.Message
		if view[i].Role == llm.RoleTool {
			handle, err := pol.archived(ctx, st, p, i)
			if err != nil {
				return fmt.Errorf("prune: archive %s: %w", view[i].ID, err)
			}
			repl = pol.cleared(st, i, id, handle)
		} else {
			repl = clearArgs(view[i], argsOf[i], id)
		}
		e.Targets = append(e.Targets, st.origin[i])
		e.Replacement = append(e.Replacement, repl)
		e.TokensFreed += p.Count(view[i]) - p.Count(repl)
	}
	if e.TokensFreed < pol.atLeast {
		return nil
	}
	if _, err := p.Record(e); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}

// keepFrom returns the index of the first view message holding one of the
// Keep most recent tool results (len(view) when Keep is 0).
func (pol *Policy) keepFrom(view []llm.Message) int {
	from, n := len(view), 0
	for i := len(view) - 1; i >= 0 && n < pol.keep; i-- {
		if k := numResults(view[i]); k > 0 {
			n += k
			from = i
		}
	}
	return from
}

// excluded reports whether m holds a result of an excluded tool.
func (pol *Policy) excluded(st *state, m llm.Message) bool {
	if pol.exclude == nil {
		return false
	}
	for _, pt := range m.Parts {
		if pt.Kind == llm.PartToolResult && pt.ToolResult != nil && pol.exclude[st.toolOf(pt.ToolResult)] {
			return true
		}
	}
	return false
}

// archived returns the artifact handle of the tool message view[i]: the
// one it has, or the one Config.Archive stores it under.
func (pol *Policy) archived(ctx context.Context, st *state, p *window.Pass, i int) (string, error) {
	handle := st.handle(p, i)
	if handle != "" || pol.archive == nil {
		return handle, nil
	}
	return pol.archive(ctx, st.view[i])
}

// cleared returns the placeholder message of the tool message view[i],
// with the given ID: its results with placeholder content naming handle,
// and its Meta (with Artifact set to handle).
func (pol *Policy) cleared(st *state, i int, id, handle string) llm.Message {
	m := st.view[i]
	out := llm.Message{ID: id, Role: llm.RoleTool, Name: m.Name, Meta: m.Meta}
	if handle != "" {
		out.Meta.Artifact = handle
	}
	for _, pt := range m.Parts {
		if pt.Kind != llm.PartToolResult || pt.ToolResult == nil {
			continue
		}
		r := *pt.ToolResult
		out.Parts = append(out.Parts, llm.ToolResultPart(llm.ToolResult{
			CallID:  r.CallID,
			Name:    r.Name,
			Content: pol.placeholder(r, handle),
			IsError: r.IsError,
		}))
	}
	return out
}

// emptyArgs is what ClearToolInputs leaves of a call's arguments.
var emptyArgs = json.RawMessage("{}")

// argsToClear returns the arguments of the call callID of m, or nil when
// there are none to clear (none at all, or already "{}").
func argsToClear(m llm.Message, callID string) json.RawMessage {
	for _, pt := range m.Parts {
		if pt.Kind == llm.PartToolCall && pt.ToolCall != nil && pt.ToolCall.ID == callID {
			if len(pt.ToolCall.Args) == 0 || string(pt.ToolCall.Args) == string(emptyArgs) {
				return nil
			}
			return pt.ToolCall.Args
		}
	}
	return nil
}

// clearArgs returns a copy of m, with the given ID, whose calls in calls
// have "{}" as arguments; every other part is kept as it is.
func clearArgs(m llm.Message, calls map[string]bool, id string) llm.Message {
	out := m
	out.ID = id
	out.Parts = slices.Clone(m.Parts)
	for j, pt := range out.Parts {
		if pt.Kind == llm.PartToolCall && pt.ToolCall != nil && calls[pt.ToolCall.ID] && len(pt.ToolCall.Args) > 0 {
			c := *pt.ToolCall
			c.Args = emptyArgs
			out.Parts[j].ToolCall = &c
		}
	}
	return out
}
