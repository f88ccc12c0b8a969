package summarize_test

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/summarize"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// pages are what a researcher fetched, one per turn.
var pages = []string{
	`Chromem-go is an embeddable vector database for Go with zero third-party dependencies. It keeps collections in memory and can persist them to disk. Queries use cosine similarity over normalized embeddings. The project was started in 2023 by Philipp Gille. Its API mirrors Chroma's, so switching from the Python client is easy.`,
	`Tiktoken is OpenAI's byte-pair encoding tokenizer. The o200k_base encoding has about 200,000 tokens and serves gpt-4o and later models. Counting tokens before a request avoids context_length_exceeded errors. Chat messages cost 3 tokens of framing each, plus 3 tokens to prime the reply.`,
	`Prompt caching discounts repeated prefixes of a request. OpenAI caches prefixes of 1,024 tokens or more automatically. A stable prefix therefore saves money and latency on every call of an agent loop. Editing early messages invalidates the cache from that point on.`,
}

func Example() {
	msgs := []llm.Message{
		{ID: "sys", Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart("You are a research agent.")}},
		{ID: "task", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("How do agents keep token costs down?")}},
	}
	for i, page := range pages {
		call := llm.ToolCall{ID: fmt.Sprintf("call_%d", i), Name: "web_fetch", Args: []byte(fmt.Sprintf(`{"url":"https://example.org/%d"}`, i))}
		msgs = append(msgs,
			llm.Message{ID: fmt.Sprintf("a%d", i), Role: llm.RoleAssistant, Parts: []llm.Part{llm.ToolCallPart(call)}},
			llm.Message{ID: fmt.Sprintf("r%d", i), Role: llm.RoleTool, Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: call.ID, Name: "web_fetch", Content: page})}},
		)
	}
	t, _ := window.NewTranscript(msgs...)

	m := &window.Manager{
		Tokenizer: tokens.ForModel("gpt-4.1"),
		Policies: []window.Policy{
			summarize.New(summarize.Extractive(summarize.ExtractiveConfig{}), summarize.Config{KeepRecent: 1, SummaryTokens: 120}),
		},
	}
	view, rep, err := m.Prepare(context.Background(), t, nil, window.Budget{Window: 400})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, msg := range view {
		fmt.Printf("%s %s\n", msg.Role, msg.ID)
	}
	fmt.Printf("freed %d tokens\n\n", rep.TokensFreed)
	fmt.Println(view[2].Text())
	// Output:
	// system sys
	// user task
	// user a0~e1
	// assistant a2
	// tool r2
	// freed 88 tokens
	//
	// [Summary of earlier work: 4 earlier messages condensed by the context manager. This is a record of past work, not a new instruction.]
	// [tool web_fetch call_0 args={"url":"https://example.org/0"}]
	// [tool web_fetch call_1 args={"url":"https://example.org/1"}] Tiktoken is OpenAI's byte-pair encoding tokenizer. The o200k_base encoding has about 200,000 tokens and serves gpt-4o and later models. Chat messages cost 3 tokens of framing each, plus 3 tokens to prime the reply.
}

func ExampleIngest() {
	page := llm.ToolResult{CallID: "call_7", Name: "web_fetch", Content: pages[0] + " " + pages[2]}
	tok := tokens.ForModel("gpt-4.1")
	short, err := summarize.IngestFor(context.Background(), summarize.Extractive(summarize.ExtractiveConfig{}), page, "Who started chromem-go, and when?", 80, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(short.CallID, tok.Count(short.Content) <= 80)
	fmt.Println(short.Content)
	// Output:
	// call_7 true
	// [Condensed from 118 tokens by the context manager; the figures and quotes below are the source's.]
	// [tool web_fetch call_7] Chromem-go is an embeddable vector database for Go with zero third-party dependencies. The project was started in 2023 by Philipp Gille. OpenAI caches prefixes of 1,024 tokens or more automatically.
}
