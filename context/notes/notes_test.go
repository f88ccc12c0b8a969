package notes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/notes"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

func TestWriteAppendRead(t *testing.T) {
	var n notes.Notes // the zero value is usable
	assert.Equal(t, "", n.Read())
	assert.Equal(t, 0, n.Version())
	assert.Equal(t, notes.DefaultMaxBytes, n.MaxBytes())

	require.NoError(t, n.Append("first"))
	assert.Equal(t, "first", n.Read(), "appending to empty notes adds no leading newline")
	require.NoError(t, n.Append("second"))
	assert.Equal(t, "first\nsecond", n.Read())

	require.NoError(t, n.Write("plan\n\n"))
	assert.Equal(t, "plan\n\n", n.Read(), "Write stores the text verbatim")
	require.NoError(t, n.Append("next"))
	assert.Equal(t, "plan\nnext", n.Read(), "Append starts exactly one line after the text")
	assert.Equal(t, 4, n.Version(), "every successful write counts")

	require.NoError(t, n.Write(""))
	assert.Equal(t, "", n.Read())
	assert.Equal(t, 5, n.Version())
}

func TestCap(t *testing.T) {
	tests := []struct {
		name string
		op   func(n *notes.Notes) error
		size int
	}{
		{"write", func(n *notes.Notes) error { return n.Write(strings.Repeat("x", 17)) }, 17},
		{"append", func(n *notes.Notes) error { return n.Append(strings.Repeat("y", 10)) }, 6 + 1 + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := notes.New(notes.Config{MaxBytes: 16})
			require.NoError(t, n.Write("before"))
			err := tt.op(n)
			require.ErrorIs(t, err, notes.ErrTooLarge)
			var tl *notes.TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, notes.TooLargeError{Size: tt.size, Max: 16}, *tl)
			assert.Equal(t, "before", n.Read(), "a refused write leaves the notes as they were")
			assert.Equal(t, 1, n.Version())
		})
	}
	n := notes.New(notes.Config{MaxBytes: 16})
	require.NoError(t, n.Write(strings.Repeat("z", 16)), "exactly the cap fits")
}

func TestReciteDeterministic(t *testing.T) {
	empty := notes.New(notes.Config{})
	_, ok := empty.Recite()
	assert.False(t, ok, "empty notes recite nothing")
	require.NoError(t, empty.Write(" \n\t"))
	_, ok = empty.Recite()
	assert.False(t, ok, "blank notes recite nothing")

	a, b := notes.New(notes.Config{}), notes.New(notes.Config{})
	require.NoError(t, a.Write("- [ ] search\n- [x] plan"))
	require.NoError(t, b.Append("- [ ] search"))
	require.NoError(t, b.Append("- [x] plan"))

	ma, ok := a.Recite()
	require.True(t, ok)
	mb, ok := b.Recite()
	require.True(t, ok)
	ja, _ := json.Marshal(ma)
	jb, _ := json.Marshal(mb)
	assert.Equal(t, string(ja), string(jb), "same content renders byte-identically, whatever the history")
	again, _ := a.Recite()
	assert.Equal(t, ma, again)

	assert.Equal(t, llm.RoleUser, ma.Role)
	assert.Equal(t, "[Your notes]\n- [ ] search\n- [x] plan", ma.Text())
	assert.Equal(t, notes.Provenance, ma.Meta.Provenance)
	assert.True(t, strings.HasPrefix(ma.ID, "notes-"))

	require.NoError(t, a.Write("- [x] search\n- [x] plan"))
	changed, _ := a.Recite()
	assert.NotEqual(t, ma.ID, changed.ID, "new content gets a new ID, so memoized counts stay right")

	c := notes.New(notes.Config{Header: "## Todo"})
	require.NoError(t, c.Write("- [ ] search\n- [x] plan"))
	mc, _ := c.Recite()
	assert.Equal(t, "## Todo\n- [ ] search\n- [x] plan", mc.Text())
	assert.NotEqual(t, ma.ID, mc.ID, "the ID covers the header too")
}

func TestManagerRecitesAtEndWithinBudget(t *testing.T) {
	tok := tokens.ForModel("gpt-4.1")
	n := notes.New(notes.Config{})
	m := &window.Manager{Tokenizer: tok, Recite: n}
	tr, err := window.NewTranscript(llm.System("You research."), llm.User("What is deepctx?"))
	require.NoError(t, err)
	ctx := context.Background()
	big := window.Budget{Window: 100000}

	view, _, err := m.Prepare(ctx, tr, nil, big)
	require.NoError(t, err)
	require.Len(t, view, 2, "no recitation while the notes are empty")

	require.NoError(t, n.Write("- [ ] read the design\n- [ ] check the budget guarantee"))
	rec, _ := n.Recite()
	view, rep, err := m.Prepare(ctx, tr, nil, big)
	require.NoError(t, err)
	require.Len(t, view, 3)
	assert.Equal(t, rec, view[2], "the notes come last")
	assert.Equal(t, tok.CountMessages(view, nil), rep.TokensSent, "the recitation is counted in what is sent")

	again, _, err := m.Prepare(ctx, tr, nil, big)
	require.NoError(t, err)
	j1, _ := json.Marshal(view)
	j2, _ := json.Marshal(again)
	assert.Equal(t, string(j1), string(j2), "unchanged notes give a byte-identical view")

	// A budget the transcript fits only without the notes.
	without := tok.CountMessages(view[:2], nil)
	tight := window.Budget{Window: without + tok.CountMessage(rec) - 1}
	_, _, err = m.Prepare(ctx, tr, nil, tight)
	require.ErrorIs(t, err, window.ErrOverBudget, "the recitation counts against the budget")
	_, _, err = m.Prepare(ctx, tr, nil, window.Budget{Window: without + tok.CountMessage(rec)})
	require.NoError(t, err, "and fits when the budget holds it exactly")

	require.NoError(t, tr.Append(llm.Assistant("Reading.")))
	require.NoError(t, n.Write("- [x] read the design\n- [ ] check the budget guarantee"))
	later, _, err := m.Prepare(ctx, tr, nil, big)
	require.NoError(t, err)
	require.Len(t, later, 4)
	assert.Equal(t, view[:2], later[:2], "the prefix before the notes is untouched")
	assert.Equal(t, "Reading.", later[2].Text())
	assert.Contains(t, later[3].Text(), "- [x] read the design", "the rewritten notes are recited")
}

func TestTodo(t *testing.T) {
	n := notes.New(notes.Config{})
	require.NoError(t, n.Write(notes.Checklist(
		notes.Item{Text: "plan"},
		notes.Item{Text: "search", Done: true},
	)+"\nFindings: none yet\n  * [X] indented star\n- [?] not an item\n-[ ] no space\n- [ ]"))
	assert.Equal(t, "- [ ] plan\n- [x] search", notes.Checklist(notes.Item{Text: "plan"}, notes.Item{Text: "search", Done: true}))
	assert.Equal(t, []notes.Item{
		{Text: "plan"},
		{Text: "search", Done: true},
		{Text: "indented star", Done: true},
		{Text: ""},
	}, n.Todo())
	assert.Equal(t, []notes.Item{{Text: "plan"}, {Text: ""}}, n.Pending())
}

func call(name, args string) llm.ToolCall {
	return llm.ToolCall{ID: "c_" + name, Name: name, Args: llm.ArgsFromText(args)}
}

func toolsByName(n *notes.Notes) map[string]notes.Tool {
	out := map[string]notes.Tool{}
	for _, tl := range notes.Tools(n) {
		out[tl.Def.Name] = tl
	}
	return out
}

func TestToolsRoundTrip(t *testing.T) {
	n := notes.New(notes.Config{})
	tools := toolsByName(n)
	require.Len(t, tools, 3)
	for name, tl := range tools {
		var schema map[string]any
		require.NoError(t, json.Unmarshal(tl.Def.Parameters, &schema), name)
		assert.Equal(t, "object", schema["type"], name)
		assert.NotEmpty(t, tl.Def.Description, name)
	}
	ctx := context.Background()

	res := tools[notes.ReadToolName].Run(ctx, call(notes.ReadToolName, ""))
	assert.False(t, res.IsError)
	assert.Equal(t, "(no notes yet)", res.Content)

	res = tools[notes.WriteToolName].Run(ctx, call(notes.WriteToolName, `{"text":"- [ ] search"}`))
	assert.Equal(t, llm.ToolResult{CallID: "c_write_notes", Name: notes.WriteToolName, Content: "Notes saved (12 of 8192 bytes)."}, res)

	res = tools[notes.AppendToolName].Run(ctx, call(notes.AppendToolName, `{"line":"- [ ] fetch"}`))
	assert.False(t, res.IsError, res.Content)
	assert.Equal(t, "c_append_notes", res.CallID)

	res = tools[notes.ReadToolName].Run(ctx, call(notes.ReadToolName, `{}`))
	assert.Equal(t, llm.ToolResult{CallID: "c_read_notes", Name: notes.ReadToolName, Content: "- [ ] search\n- [ ] fetch"}, res)
	assert.Equal(t, []notes.Item{{Text: "search"}, {Text: "fetch"}}, n.Todo())
}

func TestToolsCap(t *testing.T) {
	n := notes.New(notes.Config{MaxBytes: 10})
	tools := toolsByName(n)
	ctx := context.Background()
	require.NoError(t, n.Write("keep"))

	res := tools[notes.WriteToolName].Run(ctx, call(notes.WriteToolName, `{"text":"far too long for the cap"}`))
	assert.True(t, res.IsError)
	assert.Contains(t, res.Content, "24 bytes, over the limit of 10 bytes")
	assert.Contains(t, res.Content, "Shorten them")

	res = tools[notes.AppendToolName].Run(ctx, call(notes.AppendToolName, `{"line":"also too long"}`))
	assert.True(t, res.IsError)
	assert.Contains(t, res.Content, "over the limit of 10 bytes")
	assert.Equal(t, "keep", n.Read())
	assert.Contains(t, tools[notes.WriteToolName].Def.Description, "Limit: 10 bytes", "the model is told the cap up front")
}

func TestToolsMalformedArgs(t *testing.T) {
	tests := []struct {
		tool, args, want string
	}{
		{notes.WriteToolName, `{"text": "unterminated`, "arguments are not valid JSON"},
		{notes.WriteToolName, `{"text": 42}`, "malformed tool arguments"},
		{notes.WriteToolName, `["text"]`, "malformed tool arguments"},
		{notes.WriteToolName, `{}`, `write_notes needs a "text" argument`},
		{notes.WriteToolName, ``, `write_notes needs a "text" argument`},
		{notes.AppendToolName, `{"text":"wrong field"}`, `append_notes needs a "line" argument`},
		{notes.AppendToolName, `not json at all`, "arguments are not valid JSON"},
		{notes.ReadToolName, `"just a string"`, "malformed tool arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+" "+tt.args, func(t *testing.T) {
			n := notes.New(notes.Config{})
			require.NoError(t, n.Write("safe"))
			tl := toolsByName(n)[tt.tool]
			var res llm.ToolResult
			require.NotPanics(t, func() { res = tl.Run(context.Background(), call(tt.tool, tt.args)) })
			assert.True(t, res.IsError)
			assert.Contains(t, res.Content, tt.want)
			assert.Equal(t, "c_"+tt.tool, res.CallID)
			assert.Equal(t, "safe", n.Read(), "a malformed call changes nothing")
			assert.Equal(t, 1, n.Version())
		})
	}
}

func TestToolsCancelled(t *testing.T) {
	n := notes.New(notes.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := toolsByName(n)[notes.WriteToolName].Run(ctx, call(notes.WriteToolName, `{"text":"x"}`))
	assert.True(t, res.IsError)
	assert.Contains(t, res.Content, "context canceled")
	assert.Equal(t, "", n.Read())
}

func TestConcurrentUse(t *testing.T) {
	n := notes.New(notes.Config{MaxBytes: 1 << 20})
	tools := toolsByName(n)
	var wg sync.WaitGroup
	const writers, rounds = 4, 50
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if i%2 == 0 {
					assert.NoError(t, n.Write(fmt.Sprintf("writer %d round %d", w, i)))
				} else {
					assert.NoError(t, n.Append(fmt.Sprintf("line %d.%d", w, i)))
				}
				tools[notes.AppendToolName].Run(context.Background(), call(notes.AppendToolName, `{"line":"tool"}`))
			}
		}()
		go func() {
			defer wg.Done()
			for range rounds {
				_ = n.Read()
				if msg, ok := n.Recite(); ok {
					assert.True(t, strings.HasPrefix(msg.Text(), notes.DefaultHeader+"\n"))
				}
				_, _ = n.MarshalJSON()
				_ = n.Todo()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, writers*rounds*2, n.Version(), "no write is lost")
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notes.json")
	n := notes.New(notes.Config{})
	require.NoError(t, n.Write("- [x] plan\n- [ ] search \"quoted\" ü"))
	require.NoError(t, n.Append("finding"))
	require.NoError(t, n.Save(path))

	got, err := notes.Load(path, notes.Config{MaxBytes: 100})
	require.NoError(t, err)
	assert.Equal(t, n.Read(), got.Read())
	assert.Equal(t, n.Version(), got.Version())
	assert.Equal(t, 100, got.MaxBytes(), "the Config comes from the caller, not the file")
	want, _ := n.Recite()
	have, _ := got.Recite()
	assert.Equal(t, want, have, "a resumed run recites the same message")

	// Save over an existing file, leaving no temporary files behind.
	require.NoError(t, n.Write("second version"))
	require.NoError(t, n.Save(path))
	got, err = notes.Load(path, notes.Config{})
	require.NoError(t, err)
	assert.Equal(t, "second version", got.Read())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "notes.json", entries[0].Name())

	_, err = notes.Load(filepath.Join(dir, "missing.json"), notes.Config{})
	assert.ErrorIs(t, err, fs.ErrNotExist, "a missing file is reported as such, to start fresh")

	require.Error(t, n.Save(filepath.Join(dir, "no", "such", "dir.json")))

	require.NoError(t, os.WriteFile(path, []byte("{broken"), 0o644))
	_, err = notes.Load(path, notes.Config{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "notes: load")
}

func TestJSONRoundTrip(t *testing.T) {
	type run struct {
		Step  int          `json:"step"`
		Notes *notes.Notes `json:"notes"`
	}
	n := notes.New(notes.Config{})
	require.NoError(t, n.Write("a\nb"))
	data, err := json.Marshal(run{Step: 3, Notes: n})
	require.NoError(t, err)
	assert.JSONEq(t, `{"step":3,"notes":{"version":1,"text":"a\nb"}}`, string(data))

	back := run{Notes: notes.New(notes.Config{})}
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, "a\nb", back.Notes.Read())
	assert.Equal(t, 1, back.Notes.Version())
	assert.Error(t, back.Notes.UnmarshalJSON([]byte(`[1]`)))
}

// TestPropertyRecitation checks the engine guarantees over random
// transcripts with random notes: the notes come last, no pair is broken,
// protected messages stay, the budget holds, views are deterministic and a
// longer transcript keeps the earlier view as its prefix.
func TestPropertyRecitation(t *testing.T) {
	tok := tokens.ForModel("gpt-4.1")
	ctx := context.Background()
	for seed := range uint64(25) {
		rng := rand.New(rand.NewPCG(seed, 7))
		msgs := randomTranscript(rng, 3+rng.IntN(12))
		text := randomNotes(rng)

		build := func(upTo int) (*window.Transcript, *window.Manager) {
			tr, err := window.NewTranscript(cloneMsgs(msgs[:upTo])...)
			require.NoError(t, err)
			n := notes.New(notes.Config{})
			require.NoError(t, n.Write(text))
			return tr, &window.Manager{Tokenizer: tok, Recite: n}
		}
		budget := window.Budget{Window: 200000, ReserveOutput: 1000}
		half := len(msgs) / 2
		for half < len(msgs) && msgs[half].Role == llm.RoleTool {
			half++ // cut between complete exchanges
		}

		tr1, m1 := build(half)
		early, _, err := m1.Prepare(ctx, tr1, nil, budget)
		require.NoError(t, err, "seed %d", seed)

		tr2, m2 := build(len(msgs))
		v1, rep, err := m2.Prepare(ctx, tr2, nil, budget)
		require.NoError(t, err, "seed %d", seed)
		tr3, m3 := build(len(msgs))
		v2, _, err := m3.Prepare(ctx, tr3, nil, budget)
		require.NoError(t, err, "seed %d", seed)

		rec, ok := m2.Recite.Recite()
		require.Equal(t, strings.TrimSpace(text) != "", ok)
		if ok {
			assert.Equal(t, rec, v1[len(v1)-1], "seed %d: the notes come last", seed)
			assert.Equal(t, rec, early[len(early)-1], "seed %d", seed)
			early = early[:len(early)-1]
		}
		require.NoError(t, window.CheckPairs(v1), "seed %d", seed)
		assert.LessOrEqual(t, rep.TokensSent, budget.Limit())
		ids := map[string]bool{}
		for _, m := range v1 {
			ids[m.ID] = true
		}
		for _, m := range msgs {
			if window.Protected(m) {
				assert.True(t, ids[m.ID], "seed %d: protected message %s kept", seed, m.ID)
			}
		}
		j1, _ := json.Marshal(v1)
		j2, _ := json.Marshal(v2)
		assert.Equal(t, string(j1), string(j2), "seed %d: deterministic", seed)
		assert.Equal(t, early, v1[:len(early)], "seed %d: prefix stable", seed)
	}
}

func randomTranscript(rng *rand.Rand, exchanges int) []llm.Message {
	msgs := []llm.Message{{ID: "sys", Role: llm.RoleSystem, Parts: []llm.Part{llm.TextPart("You research.")}}}
	msgs = append(msgs, llm.Message{ID: "task", Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("the task")}})
	for i := range exchanges {
		if rng.IntN(5) == 0 {
			msgs = append(msgs, llm.Message{ID: fmt.Sprintf("u%d", i), Role: llm.RoleUser, Parts: []llm.Part{llm.TextPart("more")}})
		}
		calls := 1 + rng.IntN(3)
		var parts []llm.Part
		var results []llm.Message
		for c := range calls {
			id := fmt.Sprintf("call%d_%d", i, c)
			parts = append(parts, llm.ToolCallPart(llm.ToolCall{ID: id, Name: "search", Args: json.RawMessage(`{"q":"x"}`)}))
			results = append(results, llm.Message{ID: "r" + id, Role: llm.RoleTool, Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{
				CallID: id, Name: "search", Content: strings.Repeat("word ", rng.IntN(300)),
			})}})
		}
		msgs = append(msgs, llm.Message{ID: fmt.Sprintf("a%d", i), Role: llm.RoleAssistant, Parts: parts})
		msgs = append(msgs, results...)
	}
	return msgs
}

func randomNotes(rng *rand.Rand) string {
	if rng.IntN(6) == 0 {
		return ""
	}
	var items []notes.Item
	for i := range rng.IntN(8) + 1 {
		items = append(items, notes.Item{Text: fmt.Sprintf("task %d", i), Done: rng.IntN(2) == 0})
	}
	return notes.Checklist(items...)
}

func cloneMsgs(msgs []llm.Message) []llm.Message {
	out := make([]llm.Message, len(msgs))
	copy(out, msgs)
	return out
}
