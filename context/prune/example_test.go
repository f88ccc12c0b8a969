package prune_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/prune"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

func Example() {
	page := strings.Repeat("Go is an open source programming language. ", 100)
	t, _ := window.NewTranscript(
		llm.Message{ID: "sys", Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart("You research.")}},
		llm.Message{ID: "task", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("What is Go?")}},
	)
	// The agent fetches four pages; the last is the first again.
	for i, url := range []string{"go.dev", "go.dev/doc", "go.dev/blog", "go.dev"} {
		call := fmt.Sprintf("call%d", i+1)
		_ = t.Append(
			llm.Message{ID: "a" + call, Role: llm.RoleAssistant, Parts: []llm.Part{llm.ToolCallPart(llm.ToolCall{
				ID: call, Name: "fetch", Args: json.RawMessage(fmt.Sprintf(`{"url":%q}`, url)),
			})}},
			llm.Message{ID: "r" + call, Role: llm.RoleTool, Meta: llm.Meta{Artifact: "art_" + call}, Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{
				CallID: call, Name: "fetch", Content: url + ": " + page,
			})}},
		)
	}
	// Dedupe replaces the repeated page with a reference to the first
	// copy. Prune, over 2000 tokens, clears the oldest results but the 2
	// most recent: the first page stays, since the kept copy refers to it;
	// the second is cleared, with its call's arguments, and its placeholder
	// names the artifact holding it.
	m := &window.Manager{
		Tokenizer: tokens.ForModel("gpt-4.1"),
		Policies: []window.Policy{
			prune.NewDedupe(prune.DedupeConfig{}),
			prune.New(prune.Config{Trigger: prune.Trigger{Tokens: 2000}, Keep: 2, ClearToolInputs: true}),
		},
	}
	view, report, err := m.Prepare(context.Background(), t, nil, window.Budget{Window: 8000})
	if err != nil {
		panic(err)
	}
	for _, msg := range view {
		for _, c := range msg.ToolCalls() {
			fmt.Printf("%s: call %s %s\n", msg.ID, c.ID, c.Args)
		}
		for _, r := range msg.ToolResults() {
			fmt.Printf("%s: %.64s\n", msg.ID, r.Content)
		}
	}
	for _, e := range report.Edits {
		fmt.Printf("%s: %d targets, %d tokens freed\n", e.Policy, len(e.Targets), e.TokensFreed)
	}
	fmt.Println("tokens:", report.TokensBefore, "->", report.TokensSent)
	// Output:
	// acall1: call call1 {"url":"go.dev"}
	// rcall1: go.dev: Go is an open source programming language. Go is an open
	// acall2~e2: call call2 {}
	// rcall2~e2: [tool result cleared; full content: read_artifact("art_call2")]
	// acall3: call call3 {"url":"go.dev/blog"}
	// rcall3: go.dev/blog: Go is an open source programming language. Go is an
	// acall4: call call4 {"url":"go.dev"}
	// rcall4~e1: [identical to the result of call call1]
	// dedupe: 1 targets, 793 tokens freed
	// prune: 2 targets, 795 tokens freed
	// tokens: 3374 -> 1786
}
