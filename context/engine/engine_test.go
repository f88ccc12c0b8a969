package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/engine"
	"github.com/deepctx/deepctx/context/notes"
	"github.com/deepctx/deepctx/context/offload"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// page returns distinct filler of about n tokens holding a fact.
func page(i, n int) (content, fact string) {
	fact = fmt.Sprintf("The value of probe %d is %d.", i, 1000+i*37)
	var b strings.Builder
	for j := 0; b.Len() < 4*n; j++ {
		fmt.Fprintf(&b, "Paragraph %d of page %d talks about request routing and handlers. ", j, i)
		if j == 3 {
			b.WriteString(fact + " ")
		}
	}
	return b.String(), fact
}

func TestDefaultPolicyKeepsALongRunInBudgetAndRecoverable(t *testing.T) {
	store, err := offload.Open(t.TempDir())
	require.NoError(t, err)
	tok := tokens.ForModel("gpt-4.1")
	n := notes.New(notes.Config{})
	require.NoError(t, n.Write("- [ ] compare routers"))
	m := engine.NewManager(tok, engine.Options{Store: store, Notes: n})
	require.Len(t, m.Policies, 4, "dedupe, offload, prune, summarize")

	tr, err := window.NewTranscript(llm.System("You research."), llm.User("How does Go route HTTP requests?"))
	require.NoError(t, err)
	budget := window.Budget{Window: 20_000, ReserveOutput: 2_000}
	facts := map[string]string{}
	for i := range 60 {
		size := 400
		if i%5 == 0 {
			size = 6000 // a page: offloaded
		}
		content, fact := page(i, size)
		facts[fact] = content
		id := fmt.Sprintf("call_%d", i)
		require.NoError(t, tr.Append(
			llm.Assistant("", llm.ToolCall{ID: id, Name: "fetch", Args: []byte(`{}`)}),
			llm.Tool(llm.ToolResult{CallID: id, Name: "fetch", Content: content}),
		))
		view, rep, err := m.Prepare(context.Background(), tr, nil, budget)
		require.NoError(t, err, "step %d", i)
		require.LessOrEqual(t, rep.TokensSent, budget.Limit())
		require.NoError(t, window.CheckPairs(view))
		assert.Equal(t, "[Your notes]\n- [ ] compare routers", view[len(view)-1].Text(), "notes come last")
	}

	// Every fact is in the view or behind a handle the view names.
	view, _, err := m.Prepare(context.Background(), tr, nil, budget)
	require.NoError(t, err)
	for fact := range facts {
		assert.True(t, recoverable(t, store, view, fact), "fact %q is lost", fact)
	}
	edits := tr.Edits()
	policies := map[string]bool{}
	for _, e := range edits {
		policies[e.Policy] = true
	}
	assert.True(t, policies["offload"] && policies["prune"], "both offload and prune acted: %v", policies)
}

func recoverable(t *testing.T, store *offload.Store, view []llm.Message, fact string) bool {
	for _, m := range view {
		for _, r := range m.ToolResults() {
			if strings.Contains(r.Content, fact) {
				return true
			}
		}
		if strings.Contains(m.Text(), fact) {
			return true
		}
		if h := m.Meta.Artifact; h != "" {
			s, err := store.Read(offload.Handle(h), 0, 0)
			require.NoError(t, err)
			if strings.Contains(s.Text, fact) {
				return true
			}
		}
	}
	return false
}
