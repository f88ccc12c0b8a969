package window

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

// ErrOrphan reports a view with a tool call and tool result that do not
// pair up.
var ErrOrphan = errors.New("window: orphaned tool call or result")

// ErrOverBudget is matched (errors.Is) by *OverBudgetError.
var ErrOverBudget = errors.New("window: context over budget")

// OverBudgetError reports a view that no policy could fit into the budget.
// It names what is too big, so the caller can act (a bigger model, a
// smaller task, a policy with a lower threshold).
type OverBudgetError struct {
	// Tokens is the size of the best view the policies reached.
	Tokens int
	// Limit is the budget it had to fit.
	Limit int
	// Largest lists the biggest messages of that view, largest first.
	Largest []MessageSize
	// PolicyErrors are the failures of policies during the pass, if any.
	PolicyErrors []error
}

// MessageSize is a message of a view and its token count.
type MessageSize struct {
	ID     string
	Role   llm.Role
	Tokens int
	// Protected messages (system, user, pinned) no policy may shrink.
	Protected bool
}

func (e *OverBudgetError) Error() string {
	var parts []string
	for _, s := range e.Largest {
		p := fmt.Sprintf("%s %s %d tokens", s.Role, s.ID, s.Tokens)
		if s.Protected {
			p += " (protected)"
		}
		parts = append(parts, p)
	}
	msg := fmt.Sprintf("window: context over budget: %d tokens for a limit of %d; largest: %s", e.Tokens, e.Limit, strings.Join(parts, ", "))
	if len(e.PolicyErrors) > 0 {
		msg += fmt.Sprintf("; policy failures: %v", errors.Join(e.PolicyErrors...))
	}
	return msg
}

// Is matches ErrOverBudget.
func (e *OverBudgetError) Is(target error) bool { return target == ErrOverBudget }

// Unwrap returns the policy failures.
func (e *OverBudgetError) Unwrap() []error { return e.PolicyErrors }

// Budget is what one request may use.
type Budget struct {
	// Window is the model's context window in tokens. Required.
	Window int
	// ReserveOutput is kept free for the reply. Optional. Defaults to 0.
	ReserveOutput int
}

// Limit returns the tokens the view may hold: Window minus ReserveOutput.
func (b Budget) Limit() int { return b.Window - b.ReserveOutput }

// BudgetFor returns the budget of a model from the registry: its window,
// reserving maxOutput tokens (the model's MaxOutput, capped at a quarter of
// the window, when maxOutput is 0).
func BudgetFor(info tokens.ModelInfo, maxOutput int) Budget {
	if maxOutput <= 0 {
		maxOutput = min(info.MaxOutput, info.ContextWindow/4)
	}
	return Budget{Window: info.ContextWindow, ReserveOutput: maxOutput}
}

// Policy is one stage of the Manager's pipeline: it inspects the view of a
// Pass and may record edits through it. Policies must be deterministic
// (the same view and configuration give the same edits) and must not break
// tool-call pairs or touch Protected messages.
type Policy interface {
	// Name identifies the policy in edits and reports.
	Name() string
	// Apply runs the policy on the pass. An error is reported and the
	// pipeline goes on with the next policy; edits recorded before the
	// error stay.
	Apply(ctx context.Context, p *Pass) error
}

// Recitation supplies a message the Manager appends at the end of every
// view, after the policies ran, such as the agent's notes or todo list
// (Manus' todo.md). ok is false when there is nothing to recite.
type Recitation interface {
	Recite() (msg llm.Message, ok bool)
}

// Manager renders the view of a transcript for each model call through a
// pipeline of policies, and guarantees the view fits the budget.
type Manager struct {
	// Tokenizer counts the view as the target model sees it. Required.
	Tokenizer *tokens.Tokenizer
	// Policies run in order on every Prepare. Optional. Defaults to none:
	// the view is the log with its recorded edits.
	Policies []Policy
	// Recite, if set, is appended at the end of every view.
	Recite Recitation
}

// Report is what one Prepare did.
type Report struct {
	// Edits are the edits recorded during this call, in order.
	Edits []Edit
	// TokensBefore is the size of the view before the policies ran.
	TokensBefore int
	// TokensSent is the size of the returned view, tools and recitation
	// included.
	TokensSent int
	// TokensFreed is the sum of the new edits' TokensFreed.
	TokensFreed int
	// PrefixShared is the size of the longest run of leading messages this
	// view shares with the previous view prepared for the same transcript:
	// the part a provider's prompt cache can reuse.
	PrefixShared int
	// PolicyErrors are the failures of policies during the pass.
	PolicyErrors []error
}

// Prepare runs the policies on t and returns the view to send with tools
// and the report. The view never holds more than budget.Limit() tokens
// (tools and recitation included), never has an orphaned tool call or
// result, keeps every Protected message, and is the same for the same log,
// edits and configuration. If the policies cannot fit the budget, Prepare
// returns an *OverBudgetError and no view.
func (m *Manager) Prepare(ctx context.Context, t *Transcript, tools []llm.ToolDef, budget Budget) ([]llm.Message, Report, error) {
	if m.Tokenizer == nil {
		return nil, Report{}, errors.New("window: Manager.Tokenizer is required")
	}
	p := newPass(t, m.Tokenizer, tools, budget.Limit()-m.recitationTokens())
	rep := Report{TokensBefore: p.Tokens()}
	for _, pol := range m.Policies {
		if err := ctx.Err(); err != nil {
			return nil, Report{}, err
		}
		if err := pol.Apply(ctx, p); err != nil {
			rep.PolicyErrors = append(rep.PolicyErrors, fmt.Errorf("%s: %w", pol.Name(), err))
		}
	}
	view := p.View()
	if rec, ok := m.recitation(); ok {
		view = append(view, rec)
	}
	rep.Edits = p.recorded
	for _, e := range rep.Edits {
		rep.TokensFreed += e.TokensFreed
	}
	rep.TokensSent = m.Tokenizer.CountMessages(view, tools)
	if err := CheckPairs(view); err != nil {
		return nil, rep, err
	}
	if rep.TokensSent > budget.Limit() {
		return nil, rep, m.overBudget(view, rep, budget)
	}
	rep.PrefixShared = m.sharedPrefix(t, view)
	return view, rep, nil
}

func (m *Manager) recitation() (llm.Message, bool) {
	if m.Recite == nil {
		return llm.Message{}, false
	}
	return m.Recite.Recite()
}

func (m *Manager) recitationTokens() int {
	if rec, ok := m.recitation(); ok {
		return m.Tokenizer.CountMessage(rec)
	}
	return 0
}

// sharedPrefix measures the leading messages view shares with the last
// view of t, then remembers view as the last.
func (m *Manager) sharedPrefix(t *Transcript, view []llm.Message) int {
	ids := make([]string, len(view))
	for i, v := range view {
		ids[i] = v.ID
	}
	prev := t.swapLastView(ids)
	shared := 0
	for i := 0; i < len(prev) && i < len(view) && prev[i] == ids[i]; i++ {
		shared += m.Tokenizer.CountMessage(view[i])
	}
	return shared
}

func (m *Manager) overBudget(view []llm.Message, rep Report, budget Budget) error {
	sizes := make([]MessageSize, len(view))
	for i, v := range view {
		sizes[i] = MessageSize{ID: v.ID, Role: v.Role, Tokens: m.Tokenizer.CountMessage(v), Protected: Protected(v)}
	}
	sort.SliceStable(sizes, func(i, j int) bool { return sizes[i].Tokens > sizes[j].Tokens })
	return &OverBudgetError{Tokens: rep.TokensSent, Limit: budget.Limit(), Largest: sizes[:min(3, len(sizes))], PolicyErrors: slices.Clone(rep.PolicyErrors)}
}
