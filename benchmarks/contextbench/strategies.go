package contextbench

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/engine"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/summarize"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// Reserve is the output the managed strategies keep free in the window.
const Reserve = 16_000

// budget is what the managed strategies must fit.
var budget = window.Budget{Window: Window, ReserveOutput: Reserve}

// Strategies returns the benchmark's strategies, "none" first: the
// infinite-window reference, the langchaingo peer, each policy alone, the
// isolation of sub-agents, and engine.DefaultPolicy. Strategies that keep
// artifacts store them under dir, one folder per run.
func Strategies(dir string, tok *tokens.Tokenizer) []Factory {
	runs := 0
	artifacts := func() (*offload.Store, error) {
		runs++
		return offload.Open(fmt.Sprintf("%s/run-%03d", dir, runs))
	}
	managed := func(name string, policies func() ([]window.Policy, *offload.Store, error)) Factory {
		return Factory{Name: name, New: func() (Strategy, error) {
			ps, store, err := policies()
			if err != nil {
				return nil, err
			}
			return NewManaged(name, &window.Manager{Tokenizer: tok, Policies: ps}, budget, recoverer(store)), nil
		}}
	}
	return []Factory{
		{Name: "none", New: func() (Strategy, error) {
			return NewManaged("none", &window.Manager{Tokenizer: tok}, window.Budget{Window: 1 << 40}, nil), nil
		}},
		{Name: "truncate-oldest", New: func() (Strategy, error) {
			return NewTokenBuffer(budget.Limit() - 1_000), nil // room for the task
		}},
		managed("prune", func() ([]window.Policy, *offload.Store, error) {
			return []window.Policy{prune.New(prune.Config{})}, nil, nil
		}),
		managed("offload", func() ([]window.Policy, *offload.Store, error) {
			store, err := artifacts()
			if err != nil {
				return nil, nil, err
			}
			return []window.Policy{offload.New(store, offload.Config{})}, store, nil
		}),
		managed("summarize", func() ([]window.Policy, *offload.Store, error) {
			return []window.Policy{summarize.New(summarize.Extractive(summarize.ExtractiveConfig{}), summarize.Config{})}, nil, nil
		}),
		{Name: "isolate", New: func() (Strategy, error) { return NewIsolated(tok, 10, 1500), nil }},
		managed("default", func() ([]window.Policy, *offload.Store, error) {
			store, err := artifacts()
			if err != nil {
				return nil, nil, err
			}
			return engine.DefaultPolicy(engine.Options{Store: store}), store, nil
		}),
	}
}

var handlePattern = regexp.MustCompile(offload.HandlePrefix + `[0-9a-f]{16}`)

// recoverer reports a fact as reachable when a handle the view shows (in
// message metadata or text) names an artifact of store that holds it.
func recoverer(store *offload.Store) func(context.Context, []llm.Message, string) bool {
	if store == nil {
		return nil
	}
	return func(_ context.Context, view []llm.Message, fact string) bool {
		seen := map[string]bool{}
		for _, m := range view {
			handles := handlePattern.FindAllString(messageText(m), -1)
			if m.Meta.Artifact != "" {
				handles = append(handles, m.Meta.Artifact)
			}
			for _, h := range handles {
				if seen[h] {
					continue
				}
				seen[h] = true
				if s, err := store.Read(offload.Handle(h), 0, 0); err == nil && strings.Contains(s.Text, fact) {
					return true
				}
			}
		}
		return false
	}
}

// Isolated is the sub-agent strategy: the trajectory is worked by a
// sequence of researchers of chunk tool calls each, every one in a fresh
// transcript seeded with the task and the findings returned so far. A
// researcher's request holds only its own steps; when it finishes, its
// results are compressed (extractively) to returnBudget tokens and become
// one finding for the next ones. Nothing else of its context survives.
type Isolated struct {
	tok          *tokens.Tokenizer
	chunk        int
	returnBudget int
	summarizer   summarize.Summarizer
	task         []llm.Message
	findings     []llm.Message
	current      []llm.Message
	calls        int
}

// NewIsolated returns the sub-agent strategy.
func NewIsolated(tok *tokens.Tokenizer, chunk, returnBudget int) *Isolated {
	return &Isolated{tok: tok, chunk: chunk, returnBudget: returnBudget, summarizer: summarize.Extractive(summarize.ExtractiveConfig{})}
}

// Name returns "isolate".
func (s *Isolated) Name() string { return "isolate" }

// Add puts the task aside and the steps into the current researcher; a
// researcher that has made its chunk of calls returns its finding.
func (s *Isolated) Add(ctx context.Context, msgs ...llm.Message) error {
	for _, m := range msgs {
		switch m.Role {
		case llm.RoleSystem, llm.RoleUser:
			s.task = append(s.task, m)
			continue
		case llm.RoleAssistant:
			if s.calls == s.chunk {
				if err := s.finish(ctx); err != nil {
					return err
				}
			}
			s.calls++
		}
		s.current = append(s.current, m)
	}
	return nil
}

// finish compresses the current researcher's steps into one finding.
func (s *Isolated) finish(ctx context.Context) error {
	summary, err := s.summarizer.Summarize(ctx, summarize.Request{Messages: s.current, Focus: s.focus(), MaxTokens: s.returnBudget, Counter: s.tok})
	if err != nil {
		return err
	}
	f := llm.User(fmt.Sprintf("[Findings of researcher %d]\n%s", len(s.findings)+1, summary))
	f.ID = fmt.Sprintf("finding-%03d", len(s.findings)+1)
	f.Meta.Provenance = "summary:isolate"
	s.findings = append(s.findings, f)
	s.current, s.calls = nil, 0
	return nil
}

func (s *Isolated) focus() string {
	var b strings.Builder
	for _, m := range s.task {
		if m.Role == llm.RoleUser {
			b.WriteString(m.Text())
		}
	}
	return b.String()
}

// View is the current researcher's request: task, findings so far, its own steps.
func (s *Isolated) View(context.Context) ([]llm.Message, error) {
	view := append([]llm.Message(nil), s.task...)
	view = append(view, s.findings...)
	return append(view, s.current...), nil
}
