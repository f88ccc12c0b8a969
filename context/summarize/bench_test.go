package summarize

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
)

// toolResults cuts Go's documentation into tool results of about per tokens
// each, n of them, with their calls.
func toolResults(tb testing.TB, n, per int) []llm.Message {
	tb.Helper()
	paras := strings.Split(goDocProse(tb), "\n\n")
	var msgs []llm.Message
	k := 0
	for i := range n {
		var b strings.Builder
		for size := 0; size < per; k++ {
			b.WriteString(paras[k%len(paras)])
			b.WriteString("\n\n")
			size += defaultCounter().Count(paras[k%len(paras)]) + 1
		}
		id := fmt.Sprintf("call_%d", i)
		call := llm.Assistant("", llm.ToolCall{ID: id, Name: "web_fetch", Args: []byte(fmt.Sprintf(`{"url":"https://go.dev/doc/%d"}`, i))})
		call.ID = fmt.Sprintf("a%d", i)
		res := llm.Tool(llm.ToolResult{CallID: id, Name: "web_fetch", Content: b.String()})
		res.ID = fmt.Sprintf("r%d", i)
		res.Meta.Artifact = fmt.Sprintf("art_%04d", i)
		msgs = append(msgs, call, res)
	}
	return msgs
}

// BenchmarkExtractive summarizes 50k tokens of tool results (25 fetched
// pages of 2k tokens) into 2k tokens.
func BenchmarkExtractive(b *testing.B) {
	msgs := toolResults(b, 25, 2000)
	tok := defaultTokenizer
	b.Logf("input: %d tokens", tok.CountMessages(msgs, nil))
	s := Extractive(ExtractiveConfig{})
	req := Request{Messages: msgs, MaxTokens: 2000, Counter: tok, Focus: "How do goroutines synchronize through channels?"}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Summarize(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
