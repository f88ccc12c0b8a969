package contextbench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/memory"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// Strategy decides what the model is sent at each step of a trajectory.
type Strategy interface {
	// Name identifies the strategy in the results.
	Name() string
	// Add appends messages to the strategy's history.
	Add(ctx context.Context, msgs ...llm.Message) error
	// View returns the messages the model would be sent now.
	View(ctx context.Context) ([]llm.Message, error)
}

// HandleRecoverer is implemented by strategies that keep content out of
// the view but retrievable (an artifact store): it reports whether fact is
// reachable from view through a handle the view shows.
type HandleRecoverer interface {
	RecoverableByHandle(ctx context.Context, view []llm.Message, fact string) bool
}

// Managed is a strategy run by a window.Manager over a window.Transcript.
type Managed struct {
	name    string
	manager *window.Manager
	t       *window.Transcript
	budget  window.Budget
	// recover, if set, implements HandleRecoverer.
	recover func(ctx context.Context, view []llm.Message, fact string) bool
}

// NewManaged returns a strategy that prepares every view with m under
// budget. recover may be nil.
func NewManaged(name string, m *window.Manager, budget window.Budget, recover func(context.Context, []llm.Message, string) bool) *Managed {
	t, _ := window.NewTranscript() // an empty transcript cannot fail
	return &Managed{name: name, manager: m, t: t, budget: budget, recover: recover}
}

// Name returns the strategy's name.
func (s *Managed) Name() string { return s.name }

// Add appends msgs to the transcript.
func (s *Managed) Add(_ context.Context, msgs ...llm.Message) error { return s.t.Append(msgs...) }

// View prepares the view with the Manager.
func (s *Managed) View(ctx context.Context) ([]llm.Message, error) {
	view, _, err := s.manager.Prepare(ctx, s.t, nil, s.budget)
	return view, err
}

// RecoverableByHandle asks the strategy's recover function, if any.
func (s *Managed) RecoverableByHandle(ctx context.Context, view []llm.Message, fact string) bool {
	return s.recover != nil && s.recover(ctx, view, fact)
}

// TokenBuffer is the peer strategy: langchaingo's ConversationTokenBuffer,
// which drops the oldest messages until the history fits MaxTokenLimit.
// Each step is saved as a human message (the tool call) and an AI message
// (the tool's result), the closest its two-role history gets to a tool
// loop; the task messages are sent before the buffer on every request.
type TokenBuffer struct {
	task   []llm.Message
	buffer *memory.ConversationTokenBuffer
	call   string // the pending call, saved with its result
}

// NewTokenBuffer returns the peer strategy with a buffer of limit tokens.
func NewTokenBuffer(limit int) *TokenBuffer {
	return &TokenBuffer{buffer: memory.NewConversationTokenBuffer(nil, limit)}
}

// Name returns "truncate-oldest".
func (s *TokenBuffer) Name() string { return "truncate-oldest" }

// Add saves tool calls and results into the buffer; system and user
// messages are the task, sent as they are.
func (s *TokenBuffer) Add(ctx context.Context, msgs ...llm.Message) error {
	for _, m := range msgs {
		switch m.Role {
		case llm.RoleSystem, llm.RoleUser:
			s.task = append(s.task, m)
		case llm.RoleAssistant:
			for _, c := range m.ToolCalls() {
				s.call += fmt.Sprintf("call %s %s\n", c.Name, c.Args)
			}
		case llm.RoleTool:
			var out strings.Builder
			for _, r := range m.ToolResults() {
				out.WriteString(r.Content)
			}
			if err := s.buffer.SaveContext(ctx, map[string]any{"input": s.call}, map[string]any{"output": out.String()}); err != nil {
				return err
			}
			s.call = ""
		}
	}
	return nil
}

// View returns the task followed by the buffer's messages. Their IDs are
// content hashes, so a message kept from one request to the next counts
// as a shared prefix.
func (s *TokenBuffer) View(ctx context.Context) ([]llm.Message, error) {
	history, err := s.buffer.ChatHistory.Messages(ctx)
	if err != nil {
		return nil, err
	}
	view := append([]llm.Message(nil), s.task...)
	for _, h := range history {
		var m llm.Message
		if h.GetType() == llms.ChatMessageTypeHuman {
			m = llm.User(h.GetContent())
		} else {
			m = llm.Assistant(h.GetContent())
		}
		sum := sha256.Sum256([]byte(string(m.Role) + h.GetContent()))
		m.ID = "tb_" + hex.EncodeToString(sum[:8])
		view = append(view, m)
	}
	return view, nil
}
