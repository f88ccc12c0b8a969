package offload

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

var tok = tokens.ForModel("gpt-4.1")

var bigBudget = window.Budget{Window: 1 << 20}

func msg(id string, role llm.Role, parts ...llm.Part) llm.Message {
	return llm.Message{ID: id, Role: role, Parts: parts}
}

func callMsg(id string, calls ...llm.ToolCall) llm.Message {
	parts := make([]llm.Part, len(calls))
	for i, c := range calls {
		parts[i] = llm.ToolCallPart(c)
	}
	return msg(id, llm.RoleAssistant, parts...)
}

func resultMsg(id, callID, name, content string) llm.Message {
	return msg(id, llm.RoleTool, llm.ToolResultPart(llm.ToolResult{CallID: callID, Name: name, Content: content}))
}

// policyTranscript has, in order: a large result, a small one, two
// large parallel results of which one is from an excluded tool, and a
// large pinned result.
func policyTranscript(t *testing.T, big map[string]string) *window.Transcript {
	t.Helper()
	pinned := resultMsg("r6", "c6", "fetch", big["r6"])
	pinned.Meta.Pinned = true
	tr, err := window.NewTranscript(
		msg("sys", llm.RoleSystem, llm.TextPart("You research.")),
		msg("u1", llm.RoleUser, llm.TextPart("Find out about solar storage.")),
		callMsg("a1", llm.ToolCall{ID: "c1", Name: "fetch", Args: json.RawMessage(`{"url":"https://a.example"}`)}),
		resultMsg("r1", "c1", "fetch", big["r1"]),
		callMsg("a2", llm.ToolCall{ID: "c2", Name: "search"}),
		resultMsg("r2", "c2", "search", "three short results"),
		callMsg("a3", llm.ToolCall{ID: "c3", Name: "fetch"}, llm.ToolCall{ID: "c4", Name: "shell"}),
		resultMsg("r3", "c3", "", big["r3"]), // no name on the result: found through the call
		resultMsg("r4", "c4", "shell", big["r4"]),
		callMsg("a5", llm.ToolCall{ID: "c6", Name: "fetch"}),
		pinned,
	)
	require.NoError(t, err)
	return tr
}

func bigContents() map[string]string {
	return map[string]string{
		"r1": filler(11, 30000),
		"r3": "ü" + filler(13, 12000) + "\n数据✓",
		"r4": filler(14, 15000),
		"r6": filler(16, 15000),
	}
}

func TestPolicyOffloadsLargeToolResults(t *testing.T) {
	big := bigContents()
	tr := policyTranscript(t, big)
	s := openStore(t, t.TempDir())
	pol := New(s, Config{MaxInlineTokens: 1000, PreviewTokens: 150, ExcludeTools: []string{"shell"}})
	m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{pol}}

	view, rep, err := m.Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err)
	require.NoError(t, window.CheckPairs(view))
	require.Empty(t, rep.PolicyErrors)

	// One edit for both offloads.
	require.Len(t, rep.Edits, 1)
	e := rep.Edits[0]
	assert.Equal(t, window.EditReplace, e.Kind)
	assert.Equal(t, Name, e.Policy)
	assert.Equal(t, []string{"r1", "r3"}, e.Targets)
	h1, h3 := HandleOf(big["r1"]), HandleOf(big["r3"])
	assert.Equal(t, []string{string(h1), string(h3)}, e.Artifacts)

	orig := map[string]llm.Message{}
	for _, o := range tr.Messages() {
		orig[o.ID] = o
	}
	freed := 0
	for i, id := range e.Targets {
		freed += tok.CountMessage(orig[id]) - tok.CountMessage(e.Replacement[i])
	}
	assert.Equal(t, freed, e.TokensFreed, "TokensFreed is targets minus replacements")
	assert.Equal(t, freed, rep.TokensFreed)
	assert.Equal(t, rep.TokensBefore-freed, rep.TokensSent)

	byID := map[string]llm.Message{}
	var ids []string
	for _, v := range view {
		byID[v.ID] = v
		ids = append(ids, v.ID)
	}
	r1, r3 := window.DerivedID("r1", 1), window.DerivedID("r3", 1)
	assert.Equal(t, []string{"sys", "u1", "a1", r1, "a2", "r2", "a3", r3, "r4", "a5", "r6"}, ids,
		"offloaded results stay in place; small, excluded and pinned results are untouched")
	for _, id := range []string{"r2", "r4", "r6"} {
		assert.Equal(t, orig[id], byID[id])
	}

	for _, c := range []struct {
		id, orig, call, name string
		h                    Handle
	}{{r1, "r1", "c1", "fetch", h1}, {r3, "r3", "c3", "", h3}} {
		v := byID[c.id]
		assert.Equal(t, llm.RoleTool, v.Role)
		assert.Equal(t, string(c.h), v.Meta.Artifact)
		res := v.ToolResults()
		require.Len(t, res, 1)
		assert.Equal(t, c.call, res[0].CallID, "the replacement answers the same call")
		assert.Equal(t, c.name, res[0].Name)
		content := big[c.orig]
		preview, foot, ok := strings.Cut(res[0].Content, "\n[… ")
		require.True(t, ok, "footer present")
		assert.True(t, strings.HasPrefix(content, preview), "the preview is the head of the content")
		assert.NotEmpty(t, preview)
		assert.True(t, utf8.ValidString(preview))
		assert.LessOrEqual(t, tok.Count(preview), 150)
		if c.orig == "r1" {
			assert.True(t, strings.HasSuffix(preview, "\n") || strings.HasSuffix(preview, " "), "cut at a boundary: %q", preview[max(0, len(preview)-20):])
		}
		assert.Contains(t, foot, itoa(tok.Count(content))+" tokens offloaded to artifact "+string(c.h))
		assert.Contains(t, foot, "read_artifact(handle, offset, limit)")
		assert.Contains(t, foot, "search_artifacts(query)")
		assert.LessOrEqual(t, tok.CountMessage(v), 1000, "the replacement fits inline")

		// Restorable: the artifact is the original, byte for byte.
		assert.Equal(t, content, readAll(t, s, c.h, 4096))
		meta, err := s.Stat(c.h)
		require.NoError(t, err)
		assert.Equal(t, "fetch", meta.Tool)
		assert.Equal(t, c.call, meta.CallID)
		assert.Equal(t, tok.Count(content), meta.Tokens)
	}

	// Stable: the next Prepare records nothing and renders the same view.
	view2, rep2, err := m.Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err)
	assert.Empty(t, rep2.Edits)
	assert.Equal(t, view, view2)
	assert.Equal(t, rep2.TokensSent-tokens.ReplyPrimingTokens, rep2.PrefixShared, "the whole view is a shared prefix")
}

func TestPolicyDeterministic(t *testing.T) {
	run := func() []byte {
		tr := policyTranscript(t, bigContents())
		s := openStore(t, t.TempDir())
		m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(s, Config{MaxInlineTokens: 800})}}
		view, _, err := m.Prepare(bg, tr, nil, bigBudget)
		require.NoError(t, err)
		b, err := json.Marshal(view)
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, string(run()), string(run()), "same transcript and config, separate stores: byte-identical views")
}

func TestPolicyIdempotentAcrossTranscripts(t *testing.T) {
	// The same content offloaded from two runs into one store gets one
	// artifact.
	s := openStore(t, t.TempDir())
	pol := New(s, Config{MaxInlineTokens: 500})
	content := filler(21, 8000)
	var handles []string
	for range 2 {
		tr, err := window.NewTranscript(callMsg("a", llm.ToolCall{ID: "c", Name: "fetch"}), resultMsg("r", "c", "fetch", content))
		require.NoError(t, err)
		m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{pol}}
		_, rep, err := m.Prepare(bg, tr, nil, bigBudget)
		require.NoError(t, err)
		require.Len(t, rep.Edits, 1)
		require.Len(t, rep.Edits[0].Artifacts, 1)
		handles = append(handles, rep.Edits[0].Artifacts[0])
	}
	assert.Equal(t, handles[0], handles[1])
	assert.Equal(t, string(HandleOf(content)), handles[0])
}

func TestPolicySkipsEditedAndSmall(t *testing.T) {
	s := openStore(t, t.TempDir())
	content := filler(22, 12000)
	tr, err := window.NewTranscript(
		callMsg("a1", llm.ToolCall{ID: "c1", Name: "fetch"}), resultMsg("r1", "c1", "fetch", content),
		callMsg("a2", llm.ToolCall{ID: "c2", Name: "fetch"}), resultMsg("r2", "c2", "fetch", content+" again"),
		callMsg("a3", llm.ToolCall{ID: "c3", Name: ReadToolName}), resultMsg("r3", "c3", ReadToolName, content+" read back"),
	)
	require.NoError(t, err)
	// Another policy already cleared r1.
	_, err = tr.Record(window.Edit{Kind: window.EditReplace, Policy: "prune", Targets: []string{"r1"},
		Replacement: []llm.Message{resultMsg(window.DerivedID("r1", 1), "c1", "fetch", "[cleared]")}})
	require.NoError(t, err)

	m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(s, Config{MaxInlineTokens: 500})}}
	view, rep, err := m.Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err)
	require.Len(t, rep.Edits, 1)
	assert.Equal(t, []string{"r2"}, rep.Edits[0].Targets, "an edited message and the read tool's own result are left alone")
	assert.Equal(t, window.DerivedID("r2", 2), view[3].ID, "the replacement ID derives from the edit's Seq")
	assert.Equal(t, "[cleared]", view[1].ToolResults()[0].Content)

	// Nothing over the threshold: no edit at all.
	tr2, err := window.NewTranscript(callMsg("a", llm.ToolCall{ID: "c", Name: "fetch"}), resultMsg("r", "c", "fetch", "small"))
	require.NoError(t, err)
	_, rep, err = m.Prepare(bg, tr2, nil, bigBudget)
	require.NoError(t, err)
	assert.Empty(t, rep.Edits)
	assert.Empty(t, tr2.Edits())
}

func TestPolicyMultiResultMessage(t *testing.T) {
	s := openStore(t, t.TempDir())
	big := filler(23, 10000)
	tr, err := window.NewTranscript(
		callMsg("a", llm.ToolCall{ID: "c1", Name: "fetch"}, llm.ToolCall{ID: "c2", Name: "fetch"}),
		msg("r", llm.RoleTool,
			llm.ToolResultPart(llm.ToolResult{CallID: "c1", Name: "fetch", Content: big, IsError: true}),
			llm.ToolResultPart(llm.ToolResult{CallID: "c2", Name: "fetch", Content: "tiny"})),
	)
	require.NoError(t, err)
	m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(s, Config{MaxInlineTokens: 500})}}
	view, rep, err := m.Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err)
	require.Len(t, rep.Edits, 1)
	res := view[1].ToolResults()
	require.Len(t, res, 2)
	assert.Contains(t, res[0].Content, "offloaded to artifact "+string(HandleOf(big)))
	assert.True(t, res[0].IsError, "the error flag is kept")
	assert.Equal(t, "tiny", res[1].Content, "the small result stays inline")
	assert.Equal(t, string(HandleOf(big)), view[1].Meta.Artifact)
}

func TestPolicyStoreFailure(t *testing.T) {
	s := openStore(t, t.TempDir())
	require.NoError(t, s.Close()) // every write fails from now on
	tr := policyTranscript(t, bigContents())
	m := &window.Manager{Tokenizer: tok, Policies: []window.Policy{New(s, Config{MaxInlineTokens: 1000})}}
	view, rep, err := m.Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err, "the budget is still met")
	require.Len(t, rep.PolicyErrors, 1)
	assert.Contains(t, rep.PolicyErrors[0].Error(), "offload")
	assert.Empty(t, rep.Edits, "nothing is replaced by a handle that was not stored")
	assert.Equal(t, tr.Messages(), view)

	nilStore := New(nil, Config{})
	_, rep, err = (&window.Manager{Tokenizer: tok, Policies: []window.Policy{nilStore}}).Prepare(bg, tr, nil, bigBudget)
	require.NoError(t, err)
	require.Len(t, rep.PolicyErrors, 1)
}

func TestPolicyConfigDefaults(t *testing.T) {
	p := New(nil, Config{})
	assert.Equal(t, DefaultMaxInlineTokens, p.max)
	assert.Equal(t, DefaultPreviewTokens, p.preview)
	assert.True(t, p.exclude[ReadToolName] && p.exclude[SearchToolName])
	assert.Equal(t, "offload", p.Name())

	p = New(nil, Config{MaxInlineTokens: 100, PreviewTokens: 90})
	assert.Equal(t, 50, p.preview, "capped at half of MaxInlineTokens")
	p = New(nil, Config{PreviewTokens: -1})
	assert.Equal(t, 0, p.preview)
	assert.Empty(t, p.previewOf(tok.Count, "anything"))
}

func TestPreviewOf(t *testing.T) {
	p := New(nil, Config{MaxInlineTokens: 1000, PreviewTokens: 50})
	tests := map[string]string{
		"prose":           filler(31, 5000),
		"log lines":       strings.Repeat("2024-05-01 12:00:00 INFO request served in 12 ms\n", 300),
		"one long line":   strings.Repeat("alpha beta gamma delta ", 500),
		"no spaces":       strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 200),
		"multibyte":       strings.Repeat("数据分析✓ünïcödé", 300),
		"json":            `{"items":[` + strings.Repeat(`{"id":1234,"name":"widget","tags":["a","b"]},`, 200) + `]}`,
		"short":           "short content",
		"invalid utf8":    strings.Repeat("\xff\xfe\xfd", 1000),
		"leading newline": "\n" + filler(32, 3000),
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			got := p.previewOf(tok.Count, content)
			assert.True(t, strings.HasPrefix(content, got))
			assert.LessOrEqual(t, tok.Count(got), 50)
			if utf8.ValidString(content) {
				assert.True(t, utf8.ValidString(got))
			}
			if name == "short" {
				assert.Equal(t, content, got)
				return
			}
			assert.Greater(t, tok.Count(got), 20, "the preview uses most of its budget: %q", got)
			if name == "log lines" {
				assert.True(t, strings.HasSuffix(got, "\n"), "cut after a line")
			}
		})
	}
}
