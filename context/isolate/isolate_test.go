package isolate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/context/isolate"
	"github.com/deepctx/deepctx/context/notes"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

var tok = tokens.ForModel("gpt-4.1")

// recorder is a tool that records its calls and answers with a fixed text.
type recorder struct {
	mu    sync.Mutex
	calls []llm.ToolCall
}

func (r *recorder) tool(name, answer string) isolate.Tool {
	return isolate.Tool{
		Def: llm.ToolDef{Name: name, Description: "test tool " + name, Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)},
		Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
			r.mu.Lock()
			r.calls = append(r.calls, call)
			r.mu.Unlock()
			return llm.ToolResult{Content: answer + " for " + string(call.Args)}
		},
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// results returns the tool results of a request's messages, in order.
func results(req llm.Request) []llm.ToolResult {
	var out []llm.ToolResult
	for _, m := range req.Messages {
		out = append(out, m.ToolResults()...)
	}
	return out
}

func TestChildSeesOnlySystemAndBrief(t *testing.T) {
	var rec recorder
	model := scripted.New(scripted.Call("search", `{"q":"go"}`), scripted.Text("Go 1.23 added iterators."))
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model:     model,
		System:    "You find release dates.",
		Tools:     []isolate.Tool{rec.tool("search", "result")},
		Tokenizer: tok,
	}, "When did Go get iterators?")
	require.NoError(t, err)

	reqs := model.Requests()
	require.Len(t, reqs, 2)
	first := reqs[0]
	require.Len(t, first.Messages, 2, "the child starts from its instructions and brief only")
	assert.Equal(t, llm.RoleSystem, first.Messages[0].Role)
	assert.True(t, strings.HasPrefix(first.Messages[0].Text(), "You find release dates.\n\n"), first.Messages[0].Text())
	assert.Contains(t, first.Messages[0].Text(), "cut to 1500 tokens", "the model is told its return budget")
	assert.Equal(t, llm.RoleUser, first.Messages[1].Role)
	assert.Equal(t, "When did Go get iterators?", first.Messages[1].Text())
	assert.Equal(t, llm.CallResearcher, first.Role)
	assert.Equal(t, []string{"search"}, toolNames(first.Tools))
	assert.Equal(t, llm.ToolChoice{}, first.ToolChoice)

	assert.Equal(t, "Go 1.23 added iterators.", res.Answer)
	assert.Equal(t, isolate.StopAnswered, res.Stop)
	assert.Equal(t, 1, res.ToolCalls)
	assert.Equal(t, 2, res.ModelCalls)
	assert.Equal(t, tok.Count(res.Answer), res.AnswerTokens)
	assert.False(t, res.Compressed || res.Truncated)
	assert.Equal(t, 5, res.Transcript.Len(), "system, brief, call, result, answer")
	require.NoError(t, window.CheckPairs(res.Transcript.Messages()))
}

func toolNames(defs []llm.ToolDef) []string {
	var names []string
	for _, d := range defs {
		names = append(names, d.Name)
	}
	return names
}

func TestDefaultSystemPrompt(t *testing.T) {
	model := scripted.New(scripted.Text("ok"))
	_, err := isolate.Run(context.Background(), isolate.Config{Model: model, Tokenizer: tok, ReturnBudget: 300}, "brief")
	require.NoError(t, err)
	sys := model.Requests()[0].Messages[0].Text()
	assert.True(t, strings.HasPrefix(sys, isolate.DefaultSystem))
	assert.Contains(t, sys, "cut to 300 tokens")
	assert.Empty(t, model.Requests()[0].Tools, "no tools unless scoped in")
}

func TestScopedTools(t *testing.T) {
	var rec recorder
	model := scripted.New(
		scripted.Calls(scripted.Call("fetch", `{"url":"https://x"}`), scripted.Call("search", `{"q":"a"}`)),
		scripted.Text("done"),
	)
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok,
		Tools: []isolate.Tool{rec.tool("search", "hits"), rec.tool("think", "ok")},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "done", res.Answer, "the run goes on after an out-of-scope call")
	assert.Equal(t, 1, rec.count(), "only the scoped tool ran")
	assert.Equal(t, 2, res.ToolCalls, "the refused call counts against the cap")

	got := results(model.Requests()[1])
	require.Len(t, got, 2)
	assert.Equal(t, llm.ToolResult{
		CallID: "call_1", Name: "fetch", IsError: true,
		Content: `tool "fetch" is not available to this sub-agent; available tools: search, think`,
	}, got[0])
	assert.Equal(t, llm.ToolResult{CallID: "call_2", Name: "search", Content: `hits for {"q":"a"}`}, got[1])
}

// looping answers every tool-enabled call with n parallel search calls and
// the forced final call with text.
func looping(n int) *scripted.Model {
	return scripted.Func(func(req llm.Request) (llm.Response, error) {
		if req.ToolChoice.Mode == llm.ToolChoiceNone {
			return llm.Response{Message: llm.Message{Parts: []llm.Part{llm.TextPart("final from what I have")}}}, nil
		}
		var parts []llm.Part
		for i := range n {
			parts = append(parts, llm.ToolCallPart(llm.ToolCall{Name: "search", Args: json.RawMessage(fmt.Sprintf(`{"q":"%d"}`, i))}))
		}
		return llm.Response{Message: llm.Message{Parts: parts}}, nil
	})
}

func TestMaxToolCallsForcesFinalAnswer(t *testing.T) {
	tests := []struct {
		name          string
		parallel, max int
		wantRun       int
		wantRefused   int
		wantTurns     int // model calls, the final one included
	}{
		{"one call per turn", 1, 4, 4, 0, 5},
		{"parallel calls split at the cap", 2, 3, 3, 1, 3},
		{"default cap", 1, 0, isolate.DefaultMaxToolCalls, 0, isolate.DefaultMaxToolCalls + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			model := looping(tt.parallel)
			res, err := isolate.Run(context.Background(), isolate.Config{
				Model: model, Tokenizer: tok, MaxToolCalls: tt.max,
				Tools: []isolate.Tool{rec.tool("search", "hits")},
			}, "brief")
			require.NoError(t, err)
			assert.Equal(t, isolate.StopMaxToolCalls, res.Stop)
			assert.Equal(t, "final from what I have", res.Answer)
			assert.Equal(t, tt.wantRun, rec.count())
			assert.Equal(t, tt.wantRun, res.ToolCalls)
			assert.Equal(t, tt.wantTurns, res.ModelCalls)

			reqs := model.Requests()
			require.Len(t, reqs, tt.wantTurns)
			last := reqs[len(reqs)-1]
			assert.Equal(t, llm.ToolChoiceNone, last.ToolChoice.Mode, "the final call disables tools")
			assert.NotEmpty(t, last.Tools, "definitions stay, as providers require with tool calls in history")
			nudge := last.Messages[len(last.Messages)-1]
			assert.Equal(t, llm.RoleUser, nudge.Role)
			assert.Contains(t, nudge.Text(), "Write your final answer")

			refused := 0
			for _, r := range results(last) {
				if r.IsError {
					refused++
					assert.Contains(t, r.Content, "not run: the limit of")
				}
			}
			assert.Equal(t, tt.wantRefused, refused)
			require.NoError(t, window.CheckPairs(res.Transcript.Messages()))
		})
	}
}

func TestMaxTurns(t *testing.T) {
	var rec recorder
	model := looping(2)
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok, MaxTurns: 2,
		Tools: []isolate.Tool{rec.tool("search", "hits")},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, isolate.StopMaxTurns, res.Stop)
	assert.Equal(t, 4, res.ToolCalls)
	assert.Equal(t, 3, res.ModelCalls)
	last, _ := model.LastRequest()
	assert.Contains(t, last.Messages[len(last.Messages)-1].Text(), "all 2 turns")
}

func TestFinalCallThatStillCallsTools(t *testing.T) {
	var rec recorder
	// A model that ignores ToolChoice none.
	model := scripted.NewFromConfig(scripted.Config{
		Turns:       []scripted.Turn{scripted.Call("search", `{}`), scripted.Text("partial").WithCall("search", `{}`)},
		OnExhausted: scripted.ExhaustRepeatLast,
	})
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok, MaxToolCalls: 1,
		Tools: []isolate.Tool{rec.tool("search", "hits")},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "partial", res.Answer)
	assert.Equal(t, 1, rec.count(), "no tool runs after the cap")
	msgs := res.Transcript.Messages()
	require.NoError(t, window.CheckPairs(msgs), "the stray calls are answered, so the transcript stays valid")
	lastResult := msgs[len(msgs)-1].ToolResults()[0]
	assert.True(t, lastResult.IsError)
	assert.Contains(t, lastResult.Content, "tool use is over")
}

func longAnswer(words int) string {
	var b strings.Builder
	for i := range words {
		fmt.Fprintf(&b, "finding%d is supported by source %d. ", i, i)
	}
	return strings.TrimSpace(b.String())
}

func TestReturnBudget(t *testing.T) {
	long := longAnswer(200)
	require.Greater(t, tok.Count(long), 100)
	boom := errors.New("compressor down")

	tests := []struct {
		name           string
		compressor     []scripted.Turn // nil: no compressor script
		noCompress     bool
		wantCompressed bool
		wantTruncated  bool
		wantAnswer     string // exact, when set
		wantErr        error
		wantCompCalls  int
	}{
		{"compressed", []scripted.Turn{scripted.Text("  finding0 and finding1, sources 0 and 1.  ")}, false, true, false, "finding0 and finding1, sources 0 and 1.", nil, 1},
		{"compressor fails: truncated", []scripted.Turn{scripted.Err(boom)}, false, false, true, "", boom, 1},
		{"compressor returns nothing: truncated", []scripted.Turn{scripted.Text("")}, false, false, true, "", nil, 1},
		{"compressed but still long: truncated", []scripted.Turn{scripted.Text(longAnswer(120))}, false, true, true, "", nil, 1},
		{"no compression", nil, true, false, true, "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := scripted.Config{Turns: []scripted.Turn{scripted.Text(long).WithUsage(llm.Usage{Input: 10, Output: 400})}}
			if tt.compressor != nil {
				cfg.Roles = map[llm.CallRole][]scripted.Turn{llm.CallCompressor: tt.compressor}
			}
			model := scripted.NewFromConfig(cfg)
			res, err := isolate.Run(context.Background(), isolate.Config{
				Model: model, Tokenizer: tok, ReturnBudget: 100, NoCompress: tt.noCompress,
			}, "List the findings.")
			require.NoError(t, err, "a failed compression is not a failed run")
			assert.LessOrEqual(t, tok.Count(res.Answer), 100)
			assert.Equal(t, tok.Count(res.Answer), res.AnswerTokens)
			assert.Equal(t, tt.wantCompressed, res.Compressed)
			assert.Equal(t, tt.wantTruncated, res.Truncated)
			if tt.wantAnswer != "" {
				assert.Equal(t, tt.wantAnswer, res.Answer)
			}
			if tt.wantTruncated {
				assert.True(t, strings.HasSuffix(res.Answer, fmt.Sprintf(isolate.TruncationMarker, 100)), res.Answer)
				assert.True(t, strings.HasPrefix(res.Answer, "finding0 is supported"), "truncation keeps the beginning")
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, res.CompressError, tt.wantErr)
			}

			comp := model.RequestsFor(llm.CallCompressor)
			require.Len(t, comp, tt.wantCompCalls)
			if tt.wantCompCalls > 0 {
				assert.Equal(t, 100, comp[0].MaxTokens)
				assert.Empty(t, comp[0].Tools)
				assert.Contains(t, comp[0].Messages[1].Text(), "List the findings.")
				assert.Contains(t, comp[0].Messages[1].Text(), long, "the compressor sees the whole answer")
				assert.Equal(t, 2, res.ModelCalls)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		budget int
	}{
		{"ascii words", longAnswer(300), 50},
		{"no spaces", strings.Repeat("abcdefghij", 400), 40},
		{"multibyte", strings.Repeat("日本語のテキスト、", 300), 60},
		{"emoji", strings.Repeat("🙂👍🏽 ", 500), 30},
		{"tiny budget", longAnswer(50), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := isolate.Truncate(tok, tt.text, tt.budget)
			assert.LessOrEqual(t, tok.Count(out), tt.budget)
			assert.True(t, strings.ToValidUTF8(out, "\uFFFD") == out, "cut at a rune boundary")
			marker := fmt.Sprintf(isolate.TruncationMarker, tt.budget)
			kept := strings.TrimSuffix(out, marker)
			assert.True(t, strings.HasPrefix(tt.text, kept), "the kept part is a prefix of the text")
			if tok.Count(marker) < tt.budget {
				assert.True(t, strings.HasSuffix(out, marker))
				assert.Greater(t, tok.Count(kept), tt.budget-tok.Count(marker)-15, "the cut uses most of the room")
			}
		})
	}
	assert.Equal(t, "short", isolate.Truncate(tok, "short", 10), "text within budget is returned as is")
}

// offloadPolicy stands in for the offload policy: it replaces each tool
// result over 25 characters with a handle, all in one edit whose
// Artifacts alone name the handles (the replacements carry no Meta), so
// the test sees artifacts collected from edits.
type offloadPolicy struct{}

func (offloadPolicy) Name() string { return "offload" }

func (offloadPolicy) Apply(_ context.Context, p *window.Pass) error {
	t := p.Transcript()
	e := window.Edit{Kind: window.EditReplace, Policy: "offload"}
	seq := len(t.Edits()) + 1
	for _, m := range p.View() {
		if m.Role != llm.RoleTool || t.Edited(m.ID) {
			continue
		}
		r := m.ToolResults()[0]
		if len(r.Content) <= 25 {
			continue
		}
		handle := "art_" + r.CallID
		e.Targets = append(e.Targets, m.ID)
		e.Replacement = append(e.Replacement, llm.Message{
			ID: window.DerivedID(m.ID, seq), Role: llm.RoleTool,
			Parts: []llm.Part{llm.ToolResultPart(llm.ToolResult{CallID: r.CallID, Name: r.Name, Content: "[offloaded to " + handle + "]"})},
		})
		e.Artifacts = append(e.Artifacts, handle)
	}
	if len(e.Targets) == 0 {
		return nil
	}
	_, err := p.Record(e)
	return err
}

func TestArtifactsCollected(t *testing.T) {
	var rec recorder
	turn := 0
	model := scripted.Func(func(req llm.Request) (llm.Response, error) {
		turn++
		switch turn {
		case 1:
			return llm.Response{Message: llm.Message{Parts: []llm.Part{
				llm.ToolCallPart(llm.ToolCall{Name: "fetch", Args: json.RawMessage(`{"q":"a long page"}`)}),
				llm.ToolCallPart(llm.ToolCall{Name: "fetch", Args: json.RawMessage(`{"q":"b, a second long page"}`)}),
			}}}, nil
		case 2:
			// A reply that itself points at an artifact (e.g. a tool that stores one).
			return llm.Response{Message: llm.Message{Parts: []llm.Part{
				llm.TextPart("saved my draft"),
				llm.ToolCallPart(llm.ToolCall{Name: "fetch", Args: json.RawMessage(`{"q":"another long page"}`)}),
			}, Meta: llm.Meta{Artifact: "art_draft"}}}, nil
		}
		return llm.Response{Message: llm.Message{Parts: []llm.Part{llm.TextPart("answer")}}}, nil
	})
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model:   model,
		Manager: &window.Manager{Tokenizer: tok, Policies: []window.Policy{offloadPolicy{}}},
		Tools:   []isolate.Tool{rec.tool("fetch", "page text")},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, []string{"art_draft", "art_call_1", "art_call_2", "art_call_3"}, res.Artifacts,
		"message handles first, then edit handles (two from one edit), in order, without duplicates")

	tr := isolate.AsToolResult(res, "parent_call", "conduct_research")
	assert.Contains(t, tr.Content, "\n- art_draft\n- art_call_1\n- art_call_2\n- art_call_3")
	// The child's later views saw the handles, not the pages.
	last, _ := model.LastRequest()
	for _, r := range results(last) {
		if r.CallID != "call_2" {
			assert.True(t, strings.HasPrefix(r.Content, "[offloaded to art_"), r.Content)
		}
	}
}

func TestParentIsolation(t *testing.T) {
	const raw = "RAW PAGE: 40 paragraphs of boilerplate nobody upstream should read"
	fetch := isolate.Tool{
		Def: llm.ToolDef{Name: "fetch"},
		Run: func(context.Context, llm.ToolCall) llm.ToolResult { return llm.ToolResult{Content: raw} },
	}
	child := scripted.New(scripted.Call("fetch", `{"url":"u"}`), scripted.Text("The page says X (source: u)."))
	parentModel := scripted.New(scripted.Call("conduct_research", `{"brief":"what does u say?"}`), scripted.Text("Report: X."))

	parent, err := window.NewTranscript(llm.System("You supervise."), llm.User("Question?"))
	require.NoError(t, err)
	pm := &window.Manager{Tokenizer: tok}
	ctx := context.Background()
	var childRes isolate.Result
	for range 2 {
		view, _, err := pm.Prepare(ctx, parent, nil, window.Budget{Window: 10000})
		require.NoError(t, err)
		resp, err := parentModel.Generate(ctx, llm.Request{Messages: view})
		require.NoError(t, err)
		require.NoError(t, parent.Append(resp.Message))
		for _, c := range resp.Message.ToolCalls() {
			var args struct{ Brief string }
			require.NoError(t, c.DecodeArgs(&args))
			before := parent.Messages()
			childRes, err = isolate.Run(ctx, isolate.Config{Model: child, Tokenizer: tok, Tools: []isolate.Tool{fetch}}, args.Brief)
			require.NoError(t, err)
			assert.Equal(t, before, parent.Messages(), "the child run does not touch the parent's transcript")
			require.NoError(t, parent.Append(llm.Tool(isolate.AsToolResult(childRes, c.ID, c.Name))))
		}
	}

	assert.Equal(t, "The page says X (source: u).", childRes.Answer)
	assert.NotContains(t, childRes.Answer, raw)
	all, _ := json.Marshal(parent.Messages())
	assert.NotContains(t, string(all), raw, "the parent never sees the child's raw tool results")
	assert.Contains(t, string(all), "The page says X")
	for _, req := range parentModel.Requests() {
		b, _ := json.Marshal(req)
		assert.NotContains(t, string(b), raw)
	}
	require.Equal(t, 5, parent.Len(), "system, task, call, bounded result, report")
	childAll, _ := json.Marshal(childRes.Transcript.Messages())
	assert.Contains(t, string(childAll), raw, "the child's transcript keeps its raw results, for persistence")
	assert.Equal(t, "Report: X.", parent.Messages()[4].Text())
}

func TestUsageSummed(t *testing.T) {
	var rec recorder
	model := scripted.NewFromConfig(scripted.Config{
		Turns: []scripted.Turn{
			scripted.Call("search", `{}`).WithUsage(llm.Usage{Input: 100, CachedInput: 10, Output: 5}),
			scripted.Call("search", `{}`).WithUsage(llm.Usage{Input: 200, CachedInput: 90, Output: 7, Reasoning: 3}),
			scripted.Text(longAnswer(100)).WithUsage(llm.Usage{Input: 300, Output: 600}),
		},
		Roles: map[llm.CallRole][]scripted.Turn{
			llm.CallCompressor: {scripted.Text("short").WithUsage(llm.Usage{Input: 650, Output: 2})},
		},
	})
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok, ReturnBudget: 50, Tools: []isolate.Tool{rec.tool("search", "x")},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, llm.Usage{Input: 1250, CachedInput: 100, Output: 614, Reasoning: 3}, res.Usage)
	assert.Equal(t, 4, res.ModelCalls)
	assert.True(t, res.Compressed)
}

func TestCancelStopsPromptly(t *testing.T) {
	t.Run("during a model call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		model := llm.ModelFunc(func(ctx context.Context, req llm.Request) (llm.Response, error) {
			close(started)
			<-ctx.Done()
			return llm.Response{}, ctx.Err()
		})
		go func() {
			<-started
			cancel()
		}()
		res, err := isolate.Run(ctx, isolate.Config{Model: model, Tokenizer: tok}, "brief")
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, res.Answer)
		assert.Equal(t, 1, res.ModelCalls)
		assert.NotNil(t, res.Transcript, "the partial transcript is returned")
	})
	t.Run("during a tool call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var ran []string
		stopper := isolate.Tool{Def: llm.ToolDef{Name: "stop"}, Run: func(ctx context.Context, c llm.ToolCall) llm.ToolResult {
			ran = append(ran, c.ID)
			cancel()
			return llm.ToolResult{Content: "cancelled the run"}
		}}
		model := scripted.New(scripted.Calls(scripted.Call("stop", `{}`), scripted.Call("stop", `{}`)), scripted.Text("never"))
		res, err := isolate.Run(ctx, isolate.Config{Model: model, Tokenizer: tok, Tools: []isolate.Tool{stopper}}, "brief")
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, []string{"call_1"}, ran, "no further tool runs after cancellation")
		assert.Equal(t, 1, model.Calls(), "no further model call")
		require.NoError(t, window.CheckPairs(res.Transcript.Messages()), "the calls were answered")
		last := res.Transcript.Messages()[res.Transcript.Len()-1].ToolResults()[0]
		assert.Contains(t, last.Content, "not run: context canceled")
	})
	t.Run("before the run", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		model := scripted.New(scripted.Text("x"))
		_, err := isolate.Run(ctx, isolate.Config{Model: model, Tokenizer: tok}, "brief")
		require.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, model.Calls())
	})
}

func TestMalformedArgsRecovery(t *testing.T) {
	var rec recorder
	model := scripted.New(
		scripted.Call("search", `{"q": "unterminated`),
		scripted.Call("search", `["not", "an", "object"]`),
		scripted.Call("search", `{"q":"fixed"}`),
		scripted.Text("found it"),
	)
	res, err := isolate.Run(context.Background(), isolate.Config{Model: model, Tokenizer: tok, Tools: []isolate.Tool{rec.tool("search", "hits")}}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "found it", res.Answer)
	require.Equal(t, 1, rec.count(), "malformed calls never reach the tool")
	assert.JSONEq(t, `{"q":"fixed"}`, string(rec.calls[0].Args))

	got := results(model.Requests()[3])
	require.Len(t, got, 3)
	assert.True(t, got[0].IsError)
	assert.Contains(t, got[0].Content, "arguments are not valid JSON")
	assert.Contains(t, got[0].Content, "send the arguments as a JSON object")
	assert.True(t, got[1].IsError)
	assert.Contains(t, got[1].Content, "malformed tool arguments")
	assert.False(t, got[2].IsError)
	assert.Equal(t, 3, res.ToolCalls)
}

func TestFailingTools(t *testing.T) {
	panicky := isolate.Tool{Def: llm.ToolDef{Name: "panicky"}, Run: func(context.Context, llm.ToolCall) llm.ToolResult { panic("index out of range") }}
	noRun := isolate.Tool{Def: llm.ToolDef{Name: "norun"}}
	liar := isolate.Tool{Def: llm.ToolDef{Name: "liar"}, Run: func(context.Context, llm.ToolCall) llm.ToolResult {
		return llm.ToolResult{CallID: "wrong", Name: "other", Content: "ok"}
	}}
	model := scripted.New(
		scripted.Calls(scripted.Call("panicky", `{}`), scripted.Call("norun", `{}`), scripted.Call("liar", `{}`)),
		scripted.Text("survived"),
	)
	res, err := isolate.Run(context.Background(), isolate.Config{Model: model, Tokenizer: tok, Tools: []isolate.Tool{panicky, noRun, liar}}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "survived", res.Answer)
	got := results(model.Requests()[1])
	require.Len(t, got, 3)
	assert.Equal(t, llm.ToolResult{CallID: "call_1", Name: "panicky", IsError: true, Content: `tool "panicky" failed: panic: index out of range`}, got[0])
	assert.True(t, got[1].IsError)
	assert.Contains(t, got[1].Content, "no Run function")
	assert.Equal(t, llm.ToolResult{CallID: "call_3", Name: "liar", Content: "ok"}, got[2], "results are paired with their call whatever the tool says")
}

func TestConcurrentToolsKeepCallOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Call i finishes only after call i+1 did: this completes only when the
	// calls run concurrently, and finishes them in reverse order.
	const n = 4
	done := make([]chan struct{}, n+1)
	for i := range done {
		done[i] = make(chan struct{})
	}
	close(done[n])
	chain := isolate.Tool{Def: llm.ToolDef{Name: "chain"}, Run: func(ctx context.Context, c llm.ToolCall) llm.ToolResult {
		var args struct{ I int }
		_ = c.DecodeArgs(&args)
		select {
		case <-done[args.I+1]:
		case <-ctx.Done():
			return llm.ToolResult{Content: "timeout", IsError: true}
		}
		close(done[args.I])
		return llm.ToolResult{Content: fmt.Sprintf("result %d", args.I)}
	}}
	var turns []scripted.Turn
	for i := range n {
		turns = append(turns, scripted.Call("chain", fmt.Sprintf(`{"i":%d}`, i)))
	}
	model := scripted.New(scripted.Calls(turns...), scripted.Text("ok"))
	res, err := isolate.Run(ctx, isolate.Config{Model: model, Tokenizer: tok, Concurrency: n, Tools: []isolate.Tool{chain}}, "brief")
	require.NoError(t, err)
	got := results(model.Requests()[1])
	require.Len(t, got, n)
	for i, r := range got {
		assert.Equal(t, fmt.Sprintf("result %d", i), r.Content, "results in call order")
		assert.Equal(t, fmt.Sprintf("call_%d", i+1), r.CallID)
	}
	assert.Equal(t, n, res.ToolCalls)
}

func TestConfigErrors(t *testing.T) {
	model := scripted.New()
	tool := isolate.Tool{Def: llm.ToolDef{Name: "a"}}
	tests := []struct {
		name string
		cfg  isolate.Config
		want string
	}{
		{"no model", isolate.Config{Tokenizer: tok}, "Model is required"},
		{"no tokenizer", isolate.Config{Model: model}, "Tokenizer"},
		{"duplicate tool", isolate.Config{Model: model, Tokenizer: tok, Tools: []isolate.Tool{tool, tool}}, `tool "a" is listed twice`},
		{"unnamed tool", isolate.Config{Model: model, Tokenizer: tok, Tools: []isolate.Tool{{}}}, "no name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := isolate.Run(context.Background(), tt.cfg, "brief")
			require.ErrorIs(t, err, isolate.ErrConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.Zero(t, model.Calls())
		})
	}
	// A Manager's tokenizer is enough.
	m := scripted.New(scripted.Text("ok"))
	res, err := isolate.Run(context.Background(), isolate.Config{Model: m, Manager: &window.Manager{Tokenizer: tok}}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "ok", res.Answer)
}

func TestChildBudget(t *testing.T) {
	big := isolate.Tool{Def: llm.ToolDef{Name: "fetch"}, Run: func(context.Context, llm.ToolCall) llm.ToolResult {
		return llm.ToolResult{Content: longAnswer(400)}
	}}
	model := scripted.New(scripted.Call("fetch", `{}`), scripted.Text("never"))
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok, Budget: window.Budget{Window: 1000}, Tools: []isolate.Tool{big},
	}, "brief")
	require.ErrorIs(t, err, window.ErrOverBudget, "the child's own budget holds: no policy here can fit the page")
	assert.Equal(t, 1, model.Calls())
	assert.Equal(t, 1, res.ToolCalls)
	assert.Equal(t, 4, res.Transcript.Len())
}

func TestNotesToolsConvert(t *testing.T) {
	n := notes.New(notes.Config{})
	var tools []isolate.Tool
	for _, tl := range notes.Tools(n) {
		tools = append(tools, tl)
	}
	model := scripted.New(scripted.Call(notes.WriteToolName, `{"text":"- [ ] step"}`), scripted.Text("ok"))
	_, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tools: tools, Manager: &window.Manager{Tokenizer: tok, Recite: n},
	}, "brief")
	require.NoError(t, err)
	assert.Equal(t, "- [ ] step", n.Read())
	last, _ := model.LastRequest()
	assert.Equal(t, "[Your notes]\n- [ ] step", last.Messages[len(last.Messages)-1].Text(), "the child's Manager recites its notes")
}

func TestAsToolResult(t *testing.T) {
	tests := []struct {
		name string
		res  isolate.Result
		want string
	}{
		{"answer", isolate.Result{Answer: " X is 3. ", Stop: isolate.StopAnswered}, "X is 3."},
		{"empty", isolate.Result{}, "(The sub-agent returned no answer.)"},
		{"capped with artifacts", isolate.Result{Answer: "partial", Stop: isolate.StopMaxToolCalls, ToolCalls: 20, Artifacts: []string{"h1", "h2"}},
			"partial\n\n[The sub-agent stopped at its limit of tool calls (20 made); its answer may be incomplete.]" +
				"\n\nArtifacts (stored content the sub-agent found; read them by handle):\n- h1\n- h2"},
		{"turns", isolate.Result{Answer: "p", Stop: isolate.StopMaxTurns}, "p\n\n[The sub-agent stopped at its limit of turns; its answer may be incomplete.]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := isolate.AsToolResult(tt.res, "c1", "conduct_research")
			assert.Equal(t, llm.ToolResult{CallID: "c1", Name: "conduct_research", Content: tt.want}, got)
		})
	}
}

// TestPropertyRandomRuns drives sub-agents with random models (parallel
// calls, malformed, out-of-scope and oversized ones, long answers) and
// checks the guarantees: a well-formed child transcript, the caps, the
// return budget, every request starting from system and brief within the
// budget, and the same seed giving the same run.
func TestPropertyRandomRuns(t *testing.T) {
	ctx := context.Background()
	type outcome struct {
		Answer    string
		Stop      isolate.StopReason
		ToolCalls int
		Requests  []string // texts of every request, IDs left out
	}
	run := func(seed uint64) (outcome, isolate.Result) {
		rng := rand.New(rand.NewPCG(seed, 99))
		maxCalls := 1 + rng.IntN(8)
		maxTurns := rng.IntN(4)
		budget := 20 + rng.IntN(200)
		model := scripted.Func(func(req llm.Request) (llm.Response, error) {
			if req.Role == llm.CallCompressor {
				if rng.IntN(3) == 0 {
					return llm.Response{}, errors.New("compressor failed")
				}
				return llm.Response{Message: llm.Message{Parts: []llm.Part{llm.TextPart(longAnswer(rng.IntN(60)))}}}, nil
			}
			if req.ToolChoice.Mode == llm.ToolChoiceNone || rng.IntN(5) == 0 {
				return llm.Response{Message: llm.Message{Parts: []llm.Part{llm.TextPart(longAnswer(1 + rng.IntN(80)))}}}, nil
			}
			var parts []llm.Part
			for range 1 + rng.IntN(3) {
				name, args := "search", fmt.Sprintf(`{"n":%d}`, rng.IntN(400))
				switch rng.IntN(8) {
				case 0:
					name = "forbidden"
				case 1:
					args = `{"n": broken`
				}
				parts = append(parts, llm.ToolCallPart(llm.ToolCall{Name: name, Args: llm.ArgsFromText(args)}))
			}
			return llm.Response{Message: llm.Message{Parts: parts}}, nil
		})
		search := isolate.Tool{Def: llm.ToolDef{Name: "search"}, Run: func(_ context.Context, c llm.ToolCall) llm.ToolResult {
			var args struct{ N int }
			_ = c.DecodeArgs(&args)
			return llm.ToolResult{Content: strings.Repeat("word ", args.N)}
		}}
		res, err := isolate.Run(ctx, isolate.Config{
			Model: model, Tokenizer: tok, Tools: []isolate.Tool{search},
			MaxToolCalls: maxCalls, MaxTurns: maxTurns, ReturnBudget: budget,
			Budget: window.Budget{Window: 200000},
		}, fmt.Sprintf("brief %d", seed))
		require.NoError(t, err, "seed %d", seed)

		msgs := res.Transcript.Messages()
		require.NoError(t, window.CheckPairs(msgs), "seed %d", seed)
		assert.LessOrEqual(t, res.ToolCalls, maxCalls, "seed %d", seed)
		assert.LessOrEqual(t, tok.Count(res.Answer), budget, "seed %d", seed)
		if maxTurns > 0 {
			assert.LessOrEqual(t, res.ModelCalls, maxTurns+2, "seed %d: turns, final answer and compression", seed)
		}
		out := outcome{Answer: res.Answer, Stop: res.Stop, ToolCalls: res.ToolCalls}
		for _, req := range model.Requests() {
			if req.Role == llm.CallResearcher {
				require.GreaterOrEqual(t, len(req.Messages), 2)
				assert.Equal(t, llm.RoleSystem, req.Messages[0].Role)
				assert.Equal(t, fmt.Sprintf("brief %d", seed), req.Messages[1].Text())
				assert.LessOrEqual(t, tok.CountMessages(req.Messages, req.Tools), 200000)
			}
			var b strings.Builder
			for _, m := range req.Messages {
				b.WriteString(string(m.Role) + ":" + m.Text())
				for _, r := range m.ToolResults() {
					fmt.Fprintf(&b, "[%s %s %t %s]", r.CallID, r.Name, r.IsError, r.Content)
				}
			}
			out.Requests = append(out.Requests, b.String())
		}
		return out, res
	}
	stops := map[isolate.StopReason]int{}
	for seed := range uint64(40) {
		a, res := run(seed)
		b, _ := run(seed)
		assert.Equal(t, a, b, "seed %d: same seed, same run", seed)
		stops[res.Stop]++
	}
	assert.Len(t, stops, 3, "the seeds exercise every way of stopping: %v", stops)
}

func TestObserveReportsEveryCall(t *testing.T) {
	var rec recorder
	model := scripted.NewFromConfig(scripted.Config{
		Turns: []scripted.Turn{
			scripted.Calls(scripted.Call("search", `{"q":"a"}`), scripted.Call("missing", `{}`)).WithUsage(llm.Usage{Input: 100, Output: 5}),
			scripted.Text(longAnswer(100)).WithUsage(llm.Usage{Input: 300, Output: 600}),
		},
		Roles: map[llm.CallRole][]scripted.Turn{
			llm.CallCompressor: {scripted.Text("short").WithUsage(llm.Usage{Input: 650, Output: 2})},
		},
	})
	var steps []isolate.Step
	res, err := isolate.Run(context.Background(), isolate.Config{
		Model: model, Tokenizer: tok, ReturnBudget: 50, Budget: window.Budget{Window: 4000},
		Tools:   []isolate.Tool{rec.tool("search", "x")},
		Observe: func(s isolate.Step) { steps = append(steps, s) },
	}, "brief")
	require.NoError(t, err)
	kinds := make([]string, len(steps))
	for i, s := range steps {
		kinds[i] = string(s.Kind) + ":" + s.Tool + string(s.Role)
	}
	assert.Equal(t, []string{"model_call:researcher", "tool_call:search", "tool_call:missing", "model_call:researcher", "model_call:compressor"}, kinds)
	first := steps[0]
	assert.Equal(t, 1, first.Turn)
	assert.Equal(t, 4000, first.Limit)
	assert.Positive(t, first.ViewTokens)
	assert.Less(t, first.ViewTokens, first.Limit)
	assert.Equal(t, llm.Usage{Input: 100, Output: 5}, first.Usage)
	assert.False(t, steps[1].IsError)
	assert.True(t, steps[2].IsError, "an unknown tool is answered with an error")
	assert.Equal(t, 2, steps[2].ToolCalls)
	assert.Equal(t, res.Usage, steps[len(steps)-1].Total, "the last step's total is the run's usage")
}
