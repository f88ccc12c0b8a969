package summarize

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIngest(t *testing.T) {
	tok := newTok()
	page := plantedPage(t)[1].ToolResults()[0]
	page.IsError = false
	require.Greater(t, tok.Count(page.Content), 4500)

	t.Run("fits", func(t *testing.T) {
		small := llm.ToolResult{CallID: "c", Name: "web_fetch", Content: "Short page."}
		s := &counting{s: Extractive(ExtractiveConfig{})}
		out, err := Ingest(context.Background(), s, small, 100, tok)
		require.NoError(t, err)
		assert.Equal(t, small, out)
		assert.Zero(t, s.calls.Load())
	})

	t.Run("extractive", func(t *testing.T) {
		out, err := IngestFor(context.Background(), Extractive(ExtractiveConfig{}), page, "the mission's launch code", 400, tok)
		require.NoError(t, err)
		assert.Equal(t, page.CallID, out.CallID)
		assert.Equal(t, page.Name, out.Name)
		assert.LessOrEqual(t, tok.Count(out.Content), 400)
		assert.True(t, strings.HasPrefix(out.Content, "[Condensed from "), out.Content)
		assert.Contains(t, out.Content, "[tool web_fetch call_1] ")
		assert.Contains(t, out.Content, planted)
	})

	t.Run("model", func(t *testing.T) {
		m := scripted.New(scripted.Text("- Launch code: 7391."))
		out, err := Ingest(context.Background(), Model(m, ModelConfig{}), page, 400, tok)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(out.Content, "\n- Launch code: 7391."))
		req, _ := m.LastRequest()
		assert.Equal(t, llm.CallSummarizer, req.Role)
		assert.Equal(t, DefaultIngestInstructions, req.Messages[0].Text())
		assert.Contains(t, req.Messages[1].Text(), planted, "the model read the page")
		assert.Less(t, req.MaxTokens, 400)
	})

	t.Run("overshoot is cut", func(t *testing.T) {
		long := strings.Repeat("This summary ignores its budget. ", 200)
		out, err := Ingest(context.Background(), fixed(long), page, 100, tok)
		require.NoError(t, err)
		assert.LessOrEqual(t, tok.Count(out.Content), 100)
		assert.Greater(t, tok.Count(out.Content), 90)
	})

	t.Run("failure", func(t *testing.T) {
		boom := errors.New("summarizer down")
		out, err := Ingest(context.Background(), SummarizerFunc(func(context.Context, Request) (string, error) { return "", boom }), page, 400, tok)
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, page, out, "the result comes back unchanged")
	})

	t.Run("no room", func(t *testing.T) {
		_, err := Ingest(context.Background(), Extractive(ExtractiveConfig{}), page, 5, tok)
		assert.Error(t, err)
	})
}

func TestTruncateTokens(t *testing.T) {
	tok := newTok()
	s := strings.Repeat("héllo wörld ", 100)
	for _, n := range []int{0, 1, 7, 50, 1000} {
		cut := truncateTokens(s, n, tok)
		assert.LessOrEqual(t, tok.Count(cut), n)
		assert.True(t, strings.HasPrefix(s, cut))
		assert.True(t, len(cut) == len(s) || tok.Count(s[:len(cut)+len("héllo ")]) > n, "cut near the limit")
	}
}
