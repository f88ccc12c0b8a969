package tokens

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func withMemo(model string, memo *Memo) *Tokenizer {
	info, _ := Lookup(model)
	return New(info, Options{Memo: memo})
}

func TestMemoCountsEachMessageOnce(t *testing.T) {
	memo := NewMemo(0)
	tok := withMemo("gpt-4.1", memo)
	m := llm.User("What changed in Go 1.26?")
	first := tok.CountMessage(m)
	for range 9 {
		assert.Equal(t, first, tok.CountMessage(m))
	}
	assert.Equal(t, MemoStats{Hits: 9, Misses: 1, Entries: 1}, memo.Stats())
}

func TestMemoSkipsMessagesWithoutID(t *testing.T) {
	memo := NewMemo(0)
	tok := withMemo("gpt-4.1", memo)
	m := llm.Message{Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("no id")}}
	assert.Equal(t, tok.CountMessage(m), tok.CountMessage(m))
	assert.Equal(t, MemoStats{}, memo.Stats())
}

func TestMemoIsSharedPerEncodingAcrossModels(t *testing.T) {
	memo := NewMemo(0)
	m := llm.User("Summarize the findings so far, with citations.")
	gpt4o := withMemo("gpt-4o", memo).CountMessage(m)
	claude := withMemo("claude-sonnet-4-5", memo).CountMessage(m) // o200k_base too
	assert.Equal(t, ceilMul(gpt4o, 1.30), claude)
	assert.Equal(t, int64(1), memo.Stats().Misses, "one o200k_base count serves both")

	withMemo("gpt-4", memo).CountMessage(m) // cl100k_base: its own entry
	assert.Equal(t, MemoStats{Hits: 1, Misses: 2, Entries: 2}, memo.Stats())
}

func TestMemoDetectsRewrittenMessages(t *testing.T) {
	memo := NewMemo(0)
	tok := withMemo("gpt-4.1", memo)
	original := llm.Tool(llm.ToolResult{CallID: "c1", Name: "fetch", Content: strings.Repeat("long page text ", 200)})
	rewritten := original
	rewritten.Parts = []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: "c1", Name: "fetch", Content: "[cleared: see artifact a1]"})}

	full := tok.CountMessage(original)
	short := tok.CountMessage(rewritten)
	assert.Less(t, short, full)
	noMemo := rewritten
	noMemo.ID = ""
	assert.Equal(t, tok.CountMessage(noMemo), short, "the rewrite is counted afresh, not served stale")
	assert.Equal(t, int64(1), memo.Stats().Mismatches)

	misses := memo.Stats().Misses
	assert.Equal(t, short, tok.CountMessage(rewritten))
	assert.Equal(t, int64(1), memo.Stats().Mismatches, "the rewrite took the entry over")
	assert.Equal(t, misses, memo.Stats().Misses, "and is served from it")
	assert.Equal(t, full, tok.CountMessage(original), "the original content is counted right again")
}

func TestMemoIsBounded(t *testing.T) {
	memo := NewMemo(8)
	tok := withMemo("gpt-4.1", memo)
	var msgs []llm.Message
	for i := range 100 {
		msgs = append(msgs, llm.User(fmt.Sprintf("message %d", i)))
		tok.CountMessage(msgs[i])
		assert.LessOrEqual(t, memo.Stats().Entries, 8)
	}
	before := memo.Stats()
	tok.CountMessage(msgs[99]) // most recent: still cached
	assert.Equal(t, before.Hits+1, memo.Stats().Hits)
	tok.CountMessage(msgs[0]) // long evicted: counted again
	assert.Equal(t, before.Misses+1, memo.Stats().Misses)

	memo.Reset()
	assert.Equal(t, 0, memo.Stats().Entries)
}

func TestMemoConcurrentTranscriptCountsEachMessageExactlyOnce(t *testing.T) {
	memo := NewMemo(0)
	tok := withMemo("gpt-4o", memo)
	transcript := []llm.Message{llm.System("You are a research assistant.")}
	for i := range 40 {
		call := llm.ToolCall{ID: fmt.Sprintf("call_%d", i), Name: "search", Args: []byte(fmt.Sprintf(`{"q":"topic %d"}`, i))}
		transcript = append(transcript,
			llm.Assistant("", call),
			llm.Tool(llm.ToolResult{CallID: call.ID, Name: "search", Content: strings.Repeat(fmt.Sprintf("result %d. ", i), 30)}))
	}
	tools := cookbookTools()
	want := New(tok.Info(), Options{Memo: NewMemo(0)}).CountMessages(transcript, tools)

	var wg sync.WaitGroup
	got := make([]int, 32)
	for g := range got {
		wg.Go(func() { got[g] = tok.CountMessages(transcript, tools) })
	}
	wg.Wait()
	for g := range got {
		require.Equal(t, want, got[g], "goroutine %d", g)
	}
	stats := memo.Stats()
	assert.Equal(t, int64(len(transcript)+len(tools)), stats.Misses, "each message and tool counted exactly once")
	assert.Equal(t, int64(len(got)*(len(transcript)+len(tools)))-stats.Misses, stats.Hits)
}
