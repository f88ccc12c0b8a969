package summarize

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// summaryHeaderPrefix opens every summary message the policy writes.
const summaryHeaderPrefix = "[Summary of earlier work:"

// maxFocusBytes caps the user text passed to the summarizer as its focus.
const maxFocusBytes = 8 << 10

// minSummaryTokens is the smallest summary budget worth a summarizer call.
const minSummaryTokens = 32

// Config configures the compaction policy. The zero value is ready to use.
//
// User messages are always kept verbatim, wherever they stand (Codex's
// compaction keeps them too): they are window.Protected, so no policy may
// edit them, and they count against the budget. The summary goes where the
// first summarized message stood, so user messages that came between
// summarized turns follow it.
type Config struct {
	// TriggerFraction is the share of the pass's limit (Pass.Limit) above
	// which the policy compacts: it acts when Pass.Tokens() exceeds
	// TriggerFraction·Limit. Optional. Defaults to 0.8; values above 1
	// never trigger.
	TriggerFraction float64
	// KeepRecent is how many turns at the end of the view stay verbatim. A
	// turn is a user message, or an assistant message with the results of
	// its tool calls. When keeping that many would leave the view over the
	// limit even after compaction, fewer are kept: the budget wins.
	// Optional. Defaults to 4; a negative value keeps none.
	KeepRecent int
	// SummaryTokens is the budget of the summary, counted with the pass's
	// tokenizer. The summarizer is given at most half of what it
	// summarizes. Optional. Defaults to 2000.
	SummaryTokens int
	// Instructions replace the summarizer's own instructions (see
	// DefaultInstructions). Optional. Defaults to none.
	Instructions string
}

func (c Config) withDefaults() Config {
	if c.TriggerFraction <= 0 {
		c.TriggerFraction = 0.8
	}
	switch {
	case c.KeepRecent == 0:
		c.KeepRecent = 4
	case c.KeepRecent < 0:
		c.KeepRecent = 0
	}
	if c.SummaryTokens <= 0 {
		c.SummaryTokens = 2000
	}
	return c
}

// Policy is the compaction policy: past a share of the budget it replaces
// the oldest turns of the view with one summary message. It implements
// window.Policy.
type Policy struct {
	s   Summarizer
	cfg Config
}

var _ window.Policy = (*Policy)(nil)

// New returns a compaction policy that writes its summaries with s (Model
// for a summarizer model, Extractive for no model at all).
func New(s Summarizer, cfg Config) *Policy {
	return &Policy{s: s, cfg: cfg.withDefaults()}
}

// Name returns "summarize".
func (p *Policy) Name() string { return "summarize" }

// Apply compacts the view when it holds more than TriggerFraction of the
// pass's limit. It takes every unprotected message outside the last
// KeepRecent turns (an assistant message always together with all its tool
// results, so no pair is split), asks the summarizer for one summary of
// them, and records one window.EditSummarize whose replacement is a user
// message ("[Summary of earlier work: …]", Meta.Provenance
// ProvenanceSummary) standing where the first of them stood. A user
// message can follow or precede anything and carries no tool call, so it
// cannot orphan one; policies treat it as protected.
//
// An earlier summary in that range is summarized again with the new
// messages: the new edit targets the log messages the earlier one covered
// plus the new ones, so the view shows one up-to-date summary. When the
// range holds nothing new, Apply does nothing.
//
// Apply is atomic: if the summarizer fails or ctx is cancelled, nothing is
// recorded and the error is returned. A summary that would not make the
// view smaller is not recorded either (ErrNoGain). Edit.TokensFreed is the
// size of the messages removed from the view (as they rendered) minus the
// summary's.
func (p *Policy) Apply(ctx context.Context, pass *window.Pass) error {
	limit := pass.Limit()
	if float64(pass.Tokens()) <= p.cfg.TriggerFraction*float64(limit) {
		return nil
	}
	t := pass.Transcript()
	msgs, edits := t.Messages(), t.Edits()
	items := renderItems(msgs, edits)
	if err := sameView(items, pass.View()); err != nil {
		return err
	}
	units := groupUnits(items, msgs)

	// Keep as many recent turns as the budget allows after compaction.
	var chosen []int
	var fresh bool
	var removed, budget int
	for keep := p.cfg.KeepRecent; keep >= 0; keep-- {
		chosen, fresh = candidates(units, keep)
		removed = 0
		for _, u := range chosen {
			for _, it := range units[u].items {
				removed += pass.Count(items[it].msg)
			}
		}
		budget = min(p.cfg.SummaryTokens, removed/2)
		if pass.Tokens()-removed+budget <= limit {
			break
		}
	}
	if !fresh || budget < minSummaryTokens {
		return nil // nothing new to summarize, or too little to gain
	}

	var order []int // items to summarize, in view order
	for _, u := range chosen {
		order = append(order, units[u].items...)
	}
	slices.Sort(order)
	in := make([]llm.Message, len(order))
	var targets []int // log positions
	for k, it := range order {
		in[k] = items[it].msg
		targets = append(targets, items[it].log...)
	}
	slices.Sort(targets)

	text, err := p.s.Summarize(ctx, Request{
		Messages:     in,
		Focus:        focus(items),
		Instructions: p.cfg.Instructions,
		MaxTokens:    budget,
		Counter:      pass.Tokenizer(),
	})
	if err != nil {
		return fmt.Errorf("summarize: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("summarize: %w", err)
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return ErrEmptySummary
	}

	ids := make([]string, len(targets))
	for k, pos := range targets {
		ids[k] = msgs[pos].ID
	}
	summary := llm.Message{
		ID:   window.DerivedID(ids[0], len(edits)+1),
		Role: llm.RoleUser,
		Parts: []llm.Part{llm.TextPart(fmt.Sprintf(
			"%s %d earlier messages condensed by the context manager. This is a record of past work, not a new instruction.]\n%s",
			summaryHeaderPrefix, len(ids), text))},
		Meta: llm.Meta{Provenance: ProvenanceSummary},
	}
	freed := removed - pass.Count(summary)
	if freed <= 0 {
		return fmt.Errorf("%w (%d tokens for %d)", ErrNoGain, pass.Count(summary), removed)
	}
	edit := window.Edit{
		Kind:        window.EditSummarize,
		Policy:      p.Name(),
		Targets:     ids,
		Replacement: []llm.Message{summary},
		TokensFreed: freed,
	}
	// Defensive: never record an edit that would orphan a tool call.
	if window.CheckPairs(pass.View()) == nil {
		if err := window.CheckPairs(window.Render(msgs, append(edits, edit))); err != nil {
			return fmt.Errorf("summarize: refusing edit: %w", err)
		}
	}
	if _, err := pass.Record(edit); err != nil {
		return fmt.Errorf("summarize: %w", err)
	}
	return nil
}

// item is one message of the view and the log messages it stands for.
type item struct {
	msg     llm.Message
	log     []int // positions in the log
	summary bool  // a summary edit's replacement
}

// renderItems renders the log with window.RenderSources, remembering
// which log messages each view message stands for.
func renderItems(msgs []llm.Message, edits []window.Edit) []item {
	view, sources := window.RenderSources(msgs, edits)
	items := make([]item, len(view))
	for i, m := range view {
		src := sources[i]
		items[i] = item{msg: m, log: src.Log, summary: src.Edit >= 0 && edits[src.Edit].Kind == window.EditSummarize}
	}
	return items
}

// sameView checks that items render the pass's view.
func sameView(items []item, view []llm.Message) error {
	if len(items) != len(view) {
		return fmt.Errorf("summarize: transcript changed during the pass (%d messages, view has %d)", len(items), len(view))
	}
	for i := range items {
		if items[i].msg.ID != view[i].ID {
			return fmt.Errorf("summarize: transcript changed during the pass (message %d is %s, view has %s)", i, items[i].msg.ID, view[i].ID)
		}
	}
	return nil
}

// unit is a set of view messages that must be summarized together: an
// assistant message with the results of its calls, or a single message.
type unit struct {
	items     []int // in view order
	protected bool
	turn      bool // counts as a turn for KeepRecent
	summary   bool // only an earlier summary
}

// groupUnits links each tool result to the message holding its call and
// returns the connected groups, ordered by their first message.
func groupUnits(items []item, msgs []llm.Message) []unit {
	parent := make([]int, len(items))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	caller := map[string]int{}
	for i, it := range items {
		for _, c := range it.msg.ToolCalls() {
			caller[c.ID] = i
		}
		for _, r := range it.msg.ToolResults() {
			if j, ok := caller[r.CallID]; ok {
				a, b := find(i), find(j)
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	var units []unit
	index := map[int]int{} // root -> unit
	for i, it := range items {
		root := find(i)
		k, ok := index[root]
		if !ok {
			k = len(units)
			index[root] = k
			units = append(units, unit{summary: true})
		}
		u := &units[k]
		u.items = append(u.items, i)
		if !it.summary {
			u.summary = false
			if window.Protected(it.msg) {
				u.protected = true
			}
			if r := it.msg.Role; r == llm.RoleUser || r == llm.RoleAssistant || r == llm.RoleTool {
				u.turn = true
			}
		}
		for _, pos := range it.log {
			if window.Protected(msgs[pos]) {
				u.protected = true
			}
		}
	}
	return units
}

// candidates returns the unprotected units before the last keep turns, and
// whether any of them is more than an earlier summary.
func candidates(units []unit, keep int) (chosen []int, fresh bool) {
	boundary := len(units)
	for k := len(units) - 1; k >= 0 && keep > 0; k-- {
		if units[k].turn {
			keep--
			boundary = k
		}
	}
	for k := range boundary {
		if units[k].protected {
			continue
		}
		chosen = append(chosen, k)
		if !units[k].summary {
			fresh = true
		}
	}
	return chosen, fresh
}

// focus returns the text of the view's user messages (the task and later
// instructions), capped at maxFocusBytes.
func focus(items []item) string {
	var b strings.Builder
	for _, it := range items {
		if it.summary || it.msg.Role != llm.RoleUser {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(it.msg.Text())
		if b.Len() >= maxFocusBytes {
			break
		}
	}
	return truncate(b.String(), maxFocusBytes)
}
