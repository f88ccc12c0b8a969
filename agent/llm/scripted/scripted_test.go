package scripted_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
)

func ask(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{llm.User(text)}}
}

func TestSequence(t *testing.T) {
	m := scripted.New(
		scripted.Call("search", `{"q":"x"}`),
		scripted.Calls(scripted.Call("fetch", `{"url":"a"}`), scripted.Call("fetch", `{"url":"b"}`)),
		scripted.Text("thinking").WithCall("note", `{}`),
		scripted.Text("done").WithUsage(llm.Usage{Input: 7, Output: 3}).WithFinish(llm.FinishLength),
	)
	ctx := context.Background()

	var got []llm.Response
	for range 4 {
		resp, err := m.Generate(ctx, ask("q"))
		require.NoError(t, err)
		got = append(got, resp)
	}

	tests := []struct {
		text   string
		calls  []llm.ToolCall
		finish llm.FinishReason
	}{
		{"", []llm.ToolCall{{ID: "call_1", Name: "search", Args: json.RawMessage(`{"q":"x"}`)}}, llm.FinishToolCalls},
		{"", []llm.ToolCall{
			{ID: "call_2", Name: "fetch", Args: json.RawMessage(`{"url":"a"}`)},
			{ID: "call_3", Name: "fetch", Args: json.RawMessage(`{"url":"b"}`)},
		}, llm.FinishToolCalls},
		{"thinking", []llm.ToolCall{{ID: "call_4", Name: "note", Args: json.RawMessage(`{}`)}}, llm.FinishToolCalls},
		{"done", nil, llm.FinishLength},
	}
	for i, want := range tests {
		resp := got[i]
		assert.Equal(t, fmt.Sprintf("msg_%d", i+1), resp.Message.ID, "turn %d", i)
		assert.Equal(t, llm.RoleAssistant, resp.Message.Role, "turn %d", i)
		assert.Equal(t, want.text, resp.Message.Text(), "turn %d", i)
		assert.Equal(t, want.calls, resp.Message.ToolCalls(), "turn %d", i)
		assert.Equal(t, want.finish, resp.FinishReason, "turn %d", i)
		assert.Equal(t, "scripted", resp.Model, "turn %d", i)
	}
	assert.Equal(t, llm.Usage{Input: 7, Output: 3}, got[3].Usage, "explicit usage is reported as is")
	assert.Equal(t, 4, m.Calls())
	assert.Zero(t, m.Remaining())
}

func TestExplicitCallIDKept(t *testing.T) {
	m := scripted.New(scripted.Turn{Calls: []llm.ToolCall{{ID: "mine", Name: "a"}, {Name: "b"}}})
	resp, err := m.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	calls := resp.Message.ToolCalls()
	require.Len(t, calls, 2)
	assert.Equal(t, "mine", calls[0].ID)
	assert.Equal(t, "call_1", calls[1].ID)
}

func TestMalformedCallArgumentsStayMarshalable(t *testing.T) {
	m := scripted.New(scripted.Call("search", `{"q": "unterminated`))
	resp, err := m.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	_, err = json.Marshal(resp)
	require.NoError(t, err, "a reply with malformed arguments must marshal, as a provider's does")

	var args map[string]any
	err = resp.Message.ToolCalls()[0].DecodeArgs(&args)
	var malformed *llm.MalformedOutputError
	require.ErrorAs(t, err, &malformed)
	assert.Equal(t, `{"q": "unterminated`, malformed.Raw, "the model's own text is reported")
}

func TestErrorTurn(t *testing.T) {
	rateLimit := &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "openai", Status: 429, RetryAfter: 2 * time.Second}
	m := scripted.New(scripted.Err(rateLimit), scripted.Text("ok"))

	_, err := m.Generate(context.Background(), ask("q"))
	require.Error(t, err)
	assert.Same(t, rateLimit, err, "scripted errors are returned verbatim")
	assert.ErrorIs(t, err, llm.ErrRateLimited)
	assert.Equal(t, 2*time.Second, llm.RetryAfter(err))

	resp, err := m.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	assert.Equal(t, "ok", resp.Message.Text())
	assert.Equal(t, "msg_1", resp.Message.ID, "failed turns consume no message ID")
}

func TestRetryPolicyOverScript(t *testing.T) {
	m := scripted.New(
		scripted.Err(&llm.ProviderError{Kind: llm.ErrRateLimited, Status: 429}),
		scripted.Text("after retry"),
	)
	var slept int
	retrying := llm.RetryPolicy{Sleep: func(context.Context, time.Duration) error { slept++; return nil }}.Wrap(m)
	resp, err := retrying.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	assert.Equal(t, "after retry", resp.Message.Text())
	assert.Equal(t, 1, slept)
	assert.Equal(t, 2, m.Calls())
}

func TestFunc(t *testing.T) {
	m := scripted.Func(func(req llm.Request) (llm.Response, error) {
		last := req.Messages[len(req.Messages)-1].Text()
		if last == "fail" {
			return llm.Response{}, llm.ErrBadRequest
		}
		return llm.Response{Message: llm.Message{Parts: []llm.Part{
			llm.TextPart("echo: " + last),
			llm.ToolCallPart(llm.ToolCall{Name: "log", Args: json.RawMessage(`{}`)}),
		}}}, nil
	})
	ctx := context.Background()

	resp, err := m.Generate(ctx, ask("hello"))
	require.NoError(t, err)
	assert.Equal(t, "echo: hello", resp.Message.Text())
	assert.Equal(t, "msg_1", resp.Message.ID)
	assert.Equal(t, llm.RoleAssistant, resp.Message.Role)
	assert.Equal(t, "call_1", resp.Message.ToolCalls()[0].ID)
	assert.Equal(t, llm.FinishToolCalls, resp.FinishReason)
	assert.Equal(t, scripted.EstimateUsage(ask("hello"), resp.Message), resp.Usage)

	_, err = m.Generate(ctx, ask("fail"))
	assert.ErrorIs(t, err, llm.ErrBadRequest)
	assert.Equal(t, 2, m.Calls())
}

func TestExhaustion(t *testing.T) {
	tests := []struct {
		name    string
		mode    scripted.Exhaust
		want    []string // reply texts of 5 calls; "" marks an error
		wantErr string
	}{
		{"error", scripted.ExhaustError, []string{"a", "b", "", "", ""}, "2 turn(s) scripted, call 3 has none"},
		{"repeat last", scripted.ExhaustRepeatLast, []string{"a", "b", "b", "b", "b"}, ""},
		{"loop", scripted.ExhaustLoop, []string{"a", "b", "a", "b", "a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := scripted.NewFromConfig(scripted.Config{
				Turns:       []scripted.Turn{scripted.Text("a"), scripted.Text("b")},
				OnExhausted: tt.mode,
			})
			var firstErr error
			for i, want := range tt.want {
				resp, err := m.Generate(context.Background(), ask("q"))
				if want == "" {
					require.Error(t, err, "call %d", i+1)
					firstErr = cmp(firstErr, err)
					continue
				}
				require.NoError(t, err, "call %d", i+1)
				assert.Equal(t, want, resp.Message.Text(), "call %d", i+1)
			}
			if tt.wantErr == "" {
				return
			}
			assert.ErrorIs(t, firstErr, scripted.ErrExhausted)
			assert.ErrorContains(t, firstErr, tt.wantErr)
			var ex *scripted.ExhaustedError
			require.ErrorAs(t, firstErr, &ex)
			assert.Equal(t, 2, ex.Scripted)
			assert.Equal(t, 3, ex.Call)
		})
	}
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func TestEmptyModelIsExhausted(t *testing.T) {
	_, err := scripted.New().Generate(context.Background(), ask("q"))
	assert.ErrorIs(t, err, scripted.ErrExhausted)
	assert.ErrorContains(t, err, "0 turn(s) scripted")
}

func TestRolesUnderConcurrency(t *testing.T) {
	const turns = 20
	roles := []llm.CallRole{llm.CallPlanner, llm.CallResearcher, llm.CallSummarizer, llm.CallWriter}
	cfg := scripted.Config{Roles: map[llm.CallRole][]scripted.Turn{}, Turns: []scripted.Turn{scripted.Text("default")}}
	for _, role := range roles {
		for i := range turns {
			cfg.Roles[role] = append(cfg.Roles[role], scripted.Call("t", fmt.Sprintf(`{"role":%q,"i":%d}`, role, i)))
		}
	}
	m := scripted.NewFromConfig(cfg)

	got := make(map[llm.CallRole][]llm.Response)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, role := range roles {
		wg.Go(func() {
			var replies []llm.Response
			for range turns { // one sequential agent per role
				resp, err := m.Generate(context.Background(), llm.Request{Role: role, Messages: []llm.Message{llm.User("go")}})
				if !assert.NoError(t, err) {
					return
				}
				replies = append(replies, resp)
			}
			mu.Lock()
			got[role] = replies
			mu.Unlock()
		})
	}
	wg.Wait()

	for _, role := range roles {
		require.Len(t, got[role], turns, role)
		for i, resp := range got[role] {
			call := resp.Message.ToolCalls()[0]
			assert.JSONEq(t, fmt.Sprintf(`{"role":%q,"i":%d}`, role, i), string(call.Args), "role %s turn %d", role, i)
			assert.Equal(t, fmt.Sprintf("%s_call_%d", role, i+1), call.ID)
			assert.Equal(t, fmt.Sprintf("%s_msg_%d", role, i+1), resp.Message.ID)
		}
		assert.Len(t, m.RequestsFor(role), turns)
	}
	assert.Equal(t, len(roles)*turns, m.Calls())
	assert.Equal(t, 1, m.Remaining(), "only the default turn is left")

	resp, err := m.Generate(context.Background(), llm.Request{Role: llm.CallCritic})
	require.NoError(t, err)
	assert.Equal(t, "default", resp.Message.Text(), "roles without a script use the default one")
}

func TestHammer(t *testing.T) {
	m := scripted.NewFromConfig(scripted.Config{
		Turns:       []scripted.Turn{scripted.Call("a", `{"x":1}`), scripted.Text("b")},
		OnExhausted: scripted.ExhaustLoop,
		IDPrefix:    "p_",
	})
	const workers, each = 8, 50
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				var err error
				var resp llm.Response
				if w%2 == 0 {
					resp, err = m.Generate(context.Background(), ask("q"))
				} else {
					resp, err = llm.Collect(m.Stream(context.Background(), ask("q")))
				}
				if assert.NoError(t, err) {
					ids <- resp.Message.ID
				}
				_ = m.Requests()
				_, _ = m.LastRequest()
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		assert.False(t, seen[id], "duplicate ID %s", id)
		assert.True(t, strings.HasPrefix(id, "p_msg_"), id)
		seen[id] = true
	}
	assert.Len(t, seen, workers*each)
	assert.Equal(t, workers*each, m.Calls())
}

func TestRequestsAreDeepCopies(t *testing.T) {
	m := scripted.New(scripted.Text("a"), scripted.Text("b"))
	call := llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(`{"q":"x"}`)}
	req := llm.Request{
		Role:        llm.CallResearcher,
		Messages:    []llm.Message{llm.User("original"), llm.Assistant("", call), llm.Tool(llm.ToolResult{CallID: "c1", Content: "result"})},
		Tools:       []llm.ToolDef{{Name: "search", Parameters: json.RawMessage(`{"type":"object"}`)}},
		Temperature: llm.Temp(0.5),
		Schema:      &llm.ResponseSchema{Name: "s", Schema: json.RawMessage(`{}`)},
		Stop:        []string{"END"},
	}
	_, err := m.Generate(context.Background(), req)
	require.NoError(t, err)

	req.Messages[0].Parts[0].Text = "mutated"
	req.Messages[1].Parts[0].ToolCall.Args[2] = 'Q'
	req.Messages[2].Parts[0].ToolResult.Content = "mutated"
	req.Tools[0].Parameters[2] = 'T'
	*req.Temperature = 1
	req.Schema.Schema[0] = '['
	req.Stop[0] = "mutated"

	rec, ok := m.LastRequest()
	require.True(t, ok)
	assert.Equal(t, "original", rec.Messages[0].Text())
	assert.Equal(t, `{"q":"x"}`, string(rec.Messages[1].ToolCalls()[0].Args))
	assert.Equal(t, "result", rec.Messages[2].ToolResults()[0].Content)
	assert.Equal(t, `{"type":"object"}`, string(rec.Tools[0].Parameters))
	assert.Equal(t, 0.5, *rec.Temperature)
	assert.Equal(t, `{}`, string(rec.Schema.Schema))
	assert.Equal(t, []string{"END"}, rec.Stop)

	rec.Messages[0].Parts[0].Text = "changed copy"
	assert.Equal(t, "original", m.Requests()[0].Messages[0].Text(), "returned records are copies too")
}

func TestRepliesDoNotShareScriptData(t *testing.T) {
	m := scripted.NewFromConfig(scripted.Config{
		Turns:       []scripted.Turn{scripted.Call("a", `{"x":1}`)},
		OnExhausted: scripted.ExhaustRepeatLast,
	})
	first, err := m.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	first.Message.Parts[0].ToolCall.Args[2] = 'Y'
	second, err := m.Generate(context.Background(), ask("q"))
	require.NoError(t, err)
	assert.Equal(t, `{"x":1}`, string(second.Message.ToolCalls()[0].Args))
}

func TestUsageEstimate(t *testing.T) {
	m := scripted.New(scripted.Text("12345678").WithCall("ab", `{}`))
	req := llm.Request{Messages: []llm.Message{
		llm.System("abcd"), // 1
		llm.User("abcde"),  // 2
		llm.Tool(llm.ToolResult{Content: "123456789"}), // 3
	}}
	resp, err := m.Generate(context.Background(), req)
	require.NoError(t, err)
	// Output: "12345678" -> 2, "ab"+"{}" -> 1.
	assert.Equal(t, llm.Usage{Input: 6, Output: 3}, resp.Usage)
	assert.Equal(t, 0, scripted.EstimateTokens(""))
	assert.Equal(t, 1, scripted.EstimateTokens("a"))
}

// accumulate rebuilds a reply from stream events as a caller would.
func accumulate(t *testing.T, seq iter.Seq2[llm.Event, error]) (text string, calls []llm.ToolCall, events []llm.Event) {
	t.Helper()
	var b strings.Builder
	for ev, err := range seq {
		require.NoError(t, err)
		events = append(events, ev)
		switch ev.Kind {
		case llm.EventText:
			b.WriteString(ev.Text)
		case llm.EventToolCall:
			d := ev.ToolCall
			for len(calls) <= d.Index {
				calls = append(calls, llm.ToolCall{})
			}
			if d.ID != "" {
				calls[d.Index].ID = d.ID
			}
			if d.Name != "" {
				calls[d.Index].Name = d.Name
			}
			calls[d.Index].Args = append(calls[d.Index].Args, d.Args...)
		}
	}
	return b.String(), calls, events
}

func TestStreamAccumulatesToResponse(t *testing.T) {
	turns := []scripted.Turn{
		scripted.Text("The quick  brown\nfox jumps.").
			WithCall("search", `{"query":"über fox","limit":10}`).
			WithCall("fetch", `{"url":"https://example.com"}`),
	}
	streamed, generated := scripted.New(turns...), scripted.New(turns...)
	req := ask("q")

	text, calls, events := accumulate(t, streamed.Stream(context.Background(), req))
	want, err := generated.Generate(context.Background(), req)
	require.NoError(t, err)

	assert.Equal(t, want.Message.Text(), text)
	assert.Equal(t, want.Message.ToolCalls(), calls)
	var textEvents []string
	var argPieces int
	for _, ev := range events {
		if ev.Kind == llm.EventText {
			textEvents = append(textEvents, ev.Text)
		}
		if ev.Kind == llm.EventToolCall && ev.ToolCall.Args != "" {
			argPieces++
		}
	}
	assert.Equal(t, []string{"The ", "quick  ", "brown\n", "fox ", "jumps."}, textEvents, "text is split by words")
	assert.Equal(t, 6, argPieces, "each call's args arrive in three pieces")
	last := events[len(events)-1]
	require.Equal(t, llm.EventDone, last.Kind)
	assert.Equal(t, want, *last.Response)

	collected, err := llm.Collect(scripted.New(turns...).Stream(context.Background(), req))
	require.NoError(t, err)
	assert.Equal(t, want, collected)
}

func TestStreamError(t *testing.T) {
	m := scripted.New(scripted.Err(llm.ErrAuth))
	_, err := llm.Collect(m.Stream(context.Background(), ask("q")))
	assert.ErrorIs(t, err, llm.ErrAuth)
}

func TestCancellation(t *testing.T) {
	t.Run("generate", func(t *testing.T) {
		m := scripted.New(scripted.Text("kept"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := m.Generate(ctx, ask("q"))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, m.Calls(), "cancelled calls are recorded")
		assert.Equal(t, 1, m.Remaining(), "cancelled calls use no turn")
	})
	t.Run("stream before start", func(t *testing.T) {
		m := scripted.New(scripted.Text("kept"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := llm.Collect(m.Stream(ctx, ask("q")))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, m.Remaining())
	})
	t.Run("stream midway", func(t *testing.T) {
		m := scripted.New(scripted.Text("one two three four"))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var texts []string
		var gotErr error
		for ev, err := range m.Stream(ctx, ask("q")) {
			if err != nil {
				gotErr = err
				break
			}
			texts = append(texts, ev.Text)
			cancel()
		}
		assert.Equal(t, []string{"one "}, texts)
		assert.ErrorIs(t, gotErr, context.Canceled)
	})
	t.Run("early break", func(t *testing.T) {
		m := scripted.New(scripted.Text("one two three"), scripted.Text("next"))
		n := 0
		for range m.Stream(context.Background(), ask("q")) {
			n++
			break
		}
		assert.Equal(t, 1, n)
		resp, err := m.Generate(context.Background(), ask("q"))
		require.NoError(t, err)
		assert.Equal(t, "next", resp.Message.Text())
	})
}

func TestFuncAndRolesTogether(t *testing.T) {
	m := scripted.NewFromConfig(scripted.Config{
		Roles: map[llm.CallRole][]scripted.Turn{llm.CallPlanner: {scripted.Text("plan")}},
		Func: func(req llm.Request) (llm.Response, error) {
			return llm.Response{Message: llm.Assistant("role " + string(req.Role))}, nil
		},
		Name: "fake",
	})
	plan, err := m.Generate(context.Background(), llm.Request{Role: llm.CallPlanner})
	require.NoError(t, err)
	assert.Equal(t, "plan", plan.Message.Text())
	assert.Equal(t, "planner_msg_1", plan.Message.ID)
	assert.Equal(t, "fake", plan.Model)

	other, err := m.Generate(context.Background(), llm.Request{Role: llm.CallWriter})
	require.NoError(t, err)
	assert.Equal(t, "role writer", other.Message.Text())
	assert.True(t, strings.HasPrefix(other.Message.ID, "m_"), "IDs the func sets are kept")

	_, err = m.Generate(context.Background(), llm.Request{Role: llm.CallPlanner})
	var ex *scripted.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.True(t, ex.RoleScript)
	assert.Equal(t, llm.CallPlanner, ex.Role)
	assert.ErrorContains(t, err, `script for role "planner" exhausted`)
	assert.False(t, errors.Is(err, llm.ErrBadRequest))
}
