package replay_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/replay"
	"github.com/deepctx/deepctx/agent/llm/scripted"
)

var ctx = context.Background()

func cassettePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "cassettes", "run.jsonl")
}

// conversation builds a two-step exchange with fresh message IDs; reply is
// the model's first answer.
func firstRequest() llm.Request {
	return llm.Request{
		Role:     llm.CallResearcher,
		Messages: []llm.Message{llm.System("You research."), llm.User("Who wrote Dune?")},
		Tools:    []llm.ToolDef{{Name: "search", Parameters: json.RawMessage(`{"type":"object"}`)}},
	}
}

func secondRequest(reply llm.Message) llm.Request {
	req := firstRequest()
	call := reply.ToolCalls()[0]
	req.Messages = append(req.Messages, reply, llm.Tool(llm.ToolResult{CallID: call.ID, Name: call.Name, Content: "Frank Herbert"}))
	return req
}

func record(t *testing.T, path string, inner llm.Model, reqs ...llm.Request) []llm.Response {
	t.Helper()
	rec, err := replay.Recorder(inner, path)
	require.NoError(t, err)
	var out []llm.Response
	for _, req := range reqs {
		resp, err := rec.Generate(ctx, req)
		require.NoError(t, err)
		out = append(out, resp)
	}
	require.NoError(t, rec.Close())
	return out
}

func withoutID(r llm.Response) llm.Response {
	r.Message.ID = ""
	return r
}

func TestRecordThenReplayWithFreshIDs(t *testing.T) {
	path := cassettePath(t)
	inner := scripted.New(
		scripted.Call("search", `{"q": "Dune author"}`).WithUsage(llm.Usage{Input: 20, Output: 5}),
		scripted.Text("Frank Herbert wrote Dune."),
	)
	rec, err := replay.Recorder(inner, path)
	require.NoError(t, err)
	first, err := rec.Generate(ctx, firstRequest())
	require.NoError(t, err)
	second, err := rec.Generate(ctx, secondRequest(first.Message))
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	assert.Equal(t, `{"q": "Dune author"}`, string(first.Message.ToolCalls()[0].Args), "the caller gets the model's answer verbatim")

	play, err := replay.Player(path)
	require.NoError(t, err)
	req1 := firstRequest() // same content, fresh message IDs
	require.NotEqual(t, req1.Messages[1].ID, inner.Requests()[0].Messages[1].ID)
	got1, err := play.Generate(ctx, req1)
	require.NoError(t, err)
	got2, err := play.Generate(ctx, secondRequest(got1.Message))
	require.NoError(t, err)

	want1 := withoutID(first)
	want1.Message.Parts[0].ToolCall.Args = json.RawMessage(`{"q":"Dune author"}`) // canonical JSON
	assert.Equal(t, want1, withoutID(got1))
	assert.Equal(t, withoutID(second), withoutID(got2))
	assert.NotEqual(t, first.Message.ID, got1.Message.ID, "replayed messages get fresh IDs")
	assert.NotEmpty(t, got1.Message.ID)
	assert.Equal(t, 2, inner.Calls(), "replay calls no model")
}

func TestKeyIsCanonical(t *testing.T) {
	c, err := replay.Recorder(scripted.New(), cassettePath(t))
	require.NoError(t, err)
	defer c.Close()

	callMsg := func(id, args string) llm.Message {
		return llm.Assistant("", llm.ToolCall{ID: id, Name: "search", Args: json.RawMessage(args)})
	}
	resultMsg := func(id string) llm.Message { return llm.Tool(llm.ToolResult{CallID: id, Content: "r"}) }
	base := func() llm.Request {
		return llm.Request{Messages: []llm.Message{llm.User("q"), callMsg("call_A", `{"a":1,"b":[1,2]}`), resultMsg("call_A")}}
	}
	baseKey, err := c.Key(base())
	require.NoError(t, err)

	tests := []struct {
		name   string
		change func(*llm.Request)
		same   bool
	}{
		{"fresh message IDs", func(r *llm.Request) { r.Messages[0].ID = llm.NewID() }, true},
		{"meta", func(r *llm.Request) { r.Messages[0].Meta = llm.Meta{Pinned: true, Provenance: "x"} }, true},
		{"args spacing and key order", func(r *llm.Request) {
			r.Messages[1] = callMsg("call_A", "{ \"b\": [1, 2],\n \"a\": 1 }")
		}, true},
		{"different call IDs, same pairing", func(r *llm.Request) {
			r.Messages[1], r.Messages[2] = callMsg("xyz", `{"a":1,"b":[1,2]}`), resultMsg("xyz")
		}, true},
		{"broken pairing", func(r *llm.Request) { r.Messages[2] = resultMsg("other") }, false},
		{"text", func(r *llm.Request) { r.Messages[0] = llm.User("Q") }, false},
		{"args value", func(r *llm.Request) { r.Messages[1] = callMsg("call_A", `{"a":2,"b":[1,2]}`) }, false},
		{"number spelling", func(r *llm.Request) { r.Messages[1] = callMsg("call_A", `{"a":1.0,"b":[1,2]}`) }, false},
		{"call role", func(r *llm.Request) { r.Role = llm.CallWriter }, false},
		{"temperature", func(r *llm.Request) { r.Temperature = llm.Temp(0) }, false},
		{"tools", func(r *llm.Request) { r.Tools = []llm.ToolDef{{Name: "search"}} }, false},
		{"max tokens", func(r *llm.Request) { r.MaxTokens = 10 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			tt.change(&req)
			key, err := c.Key(req)
			require.NoError(t, err)
			assert.Len(t, key, 64)
			if tt.same {
				assert.Equal(t, baseKey, key)
			} else {
				assert.NotEqual(t, baseKey, key)
			}
		})
	}
}

func TestNotRecorded(t *testing.T) {
	path := cassettePath(t)
	record(t, path, scripted.New(scripted.Text("hi")), firstRequest())
	play, err := replay.Player(path)
	require.NoError(t, err)

	long := "Tell me everything about sk-proj-abc123def456ghi789 " + strings.Repeat("and more ", 20)
	req := llm.Request{Messages: []llm.Message{llm.User(long), llm.Assistant("ok"), llm.System("x")}}
	_, err = play.Generate(ctx, req)
	require.ErrorIs(t, err, replay.ErrNotRecorded)
	var nr *replay.NotRecordedError
	require.ErrorAs(t, err, &nr)
	key, kerr := play.Key(req)
	require.NoError(t, kerr)
	assert.Equal(t, key, nr.Key)
	assert.Equal(t, path, nr.Path)
	assert.True(t, strings.HasPrefix(nr.Hint, "Tell me everything about [REDACTED] and more"), nr.Hint)
	assert.True(t, strings.HasSuffix(nr.Hint, "…"))
	assert.Len(t, []rune(nr.Hint), 81)
	assert.NotContains(t, err.Error(), "sk-proj")
	assert.Contains(t, err.Error(), key)

	_, err = llm.Collect(play.Stream(ctx, req))
	assert.ErrorIs(t, err, replay.ErrNotRecorded)
}

func TestRecordedErrorsReplay(t *testing.T) {
	plain := errors.New("boom")
	tests := []struct {
		name     string
		err      error
		sentinel error
		check    func(t *testing.T, err error)
	}{
		{"rate limit", &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "openai", Status: 429, Code: "rate_limit_exceeded", Message: "slow down", RetryAfter: 1500 * time.Millisecond}, llm.ErrRateLimited,
			func(t *testing.T, err error) {
				var pe *llm.ProviderError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, &llm.ProviderError{Kind: llm.ErrRateLimited, Provider: "openai", Status: 429, Code: "rate_limit_exceeded", Message: "slow down", RetryAfter: 1500 * time.Millisecond}, pe)
				assert.Equal(t, 1500*time.Millisecond, llm.RetryAfter(err))
				assert.True(t, llm.Retryable(err))
			}},
		{"context overflow", fmt.Errorf("openai: %w", &llm.ProviderError{Kind: llm.ErrContextOverflow, Provider: "openai", Status: 400, Err: errors.New("too long")}), llm.ErrContextOverflow,
			func(t *testing.T, err error) {
				var pe *llm.ProviderError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, "too long", pe.Message)
				assert.Contains(t, err.Error(), "openai: openai: llm: context window exceeded (HTTP 400)")
			}},
		{"wrapped sentinel", fmt.Errorf("langchain: %w", llm.ErrTransient), llm.ErrTransient, nil},
		{"malformed", &llm.MalformedOutputError{What: "tool arguments", Detail: "bad", Raw: "{"}, llm.ErrMalformedOutput,
			func(t *testing.T, err error) {
				var me *llm.MalformedOutputError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, &llm.MalformedOutputError{What: "tool arguments", Detail: "bad", Raw: "{"}, me)
			}},
		{"unclassified", plain, nil, func(t *testing.T, err error) {
			for _, s := range []error{llm.ErrRateLimited, llm.ErrAuth, llm.ErrTransient, llm.ErrBadRequest} {
				assert.NotErrorIs(t, err, s)
			}
		}},
	}
	var turns []scripted.Turn
	var reqs []llm.Request
	for i, tt := range tests {
		turns = append(turns, scripted.Err(tt.err))
		reqs = append(reqs, llm.Request{Messages: []llm.Message{llm.User(fmt.Sprint("request ", i))}})
	}
	path := cassettePath(t)
	rec, err := replay.Recorder(scripted.New(turns...), path)
	require.NoError(t, err)
	for i, req := range reqs {
		_, err := rec.Generate(ctx, req)
		require.Same(t, tests[i].err, err, "recording passes the error through")
	}
	require.NoError(t, rec.Close())

	play, err := replay.Player(path)
	require.NoError(t, err)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, gen := range []func() error{
				func() error { _, err := play.Generate(ctx, reqs[i]); return err },
				func() error { _, err := llm.Collect(play.Stream(ctx, reqs[i])); return err },
			} {
				err := gen()
				require.Error(t, err)
				var re *replay.ReplayedError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, tt.err.Error(), re.Message)
				if tt.sentinel != nil {
					assert.ErrorIs(t, err, tt.sentinel)
				}
				if tt.check != nil {
					tt.check(t, err)
				}
			}
		})
	}
}

func TestSecretsNeverReachTheCassette(t *testing.T) {
	secrets := []string{
		"sk-proj-abc123def456ghi789jkl",
		"s3cr3t-arg-value",
		"tok-in-args-999",
		"AKIAIOSFODNN7EXAMPLE",
		"hdr-value-12345678",
		"xyz-error-token",
		"ghp_0123456789abcdefghijABCDEFGHIJ",
		"internal-codename",
	}
	req := llm.Request{Messages: []llm.Message{
		llm.User("My key is sk-proj-abc123def456ghi789jkl, codename internal-codename."),
		llm.Assistant("", llm.ToolCall{ID: "c1", Name: "http", Args: json.RawMessage(
			`{"url":"https://x","api_key":"s3cr3t-arg-value","headers":{"Authorization":"Bearer tok-in-args-999"}}`)}),
		llm.Tool(llm.ToolResult{CallID: "c1", Content: `aws AKIAIOSFODNN7EXAMPLE; X-Api-Key: hdr-value-12345678`}),
	}, Tools: []llm.ToolDef{{Name: "login", Parameters: json.RawMessage(`{"properties":{"password":{"type":"string"}}}`)}}}
	failing := &llm.ProviderError{Kind: llm.ErrAuth, Provider: "openai", Status: 401,
		Message: "invalid header Authorization: Bearer xyz-error-token"}
	inner := scripted.New(
		scripted.Text("Your token ghp_0123456789abcdefghijABCDEFGHIJ is public."),
		scripted.Err(failing),
	)
	redact := func(s string) string { return strings.ReplaceAll(s, "internal-codename", "[CODENAME]") }
	path := cassettePath(t)
	rec, err := replay.Open(inner, replay.Config{Path: path, Mode: replay.ModeRecord, Redact: redact})
	require.NoError(t, err)
	resp, err := rec.Generate(ctx, req)
	require.NoError(t, err)
	assert.Contains(t, resp.Message.Text(), "ghp_0123456789", "the caller sees the real answer")
	other := req
	other.Stop = []string{"END"}
	_, err = rec.Generate(ctx, other)
	require.ErrorIs(t, err, llm.ErrAuth)
	require.NoError(t, rec.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, s := range secrets {
		assert.NotContains(t, string(data), s)
	}
	assert.NotContains(t, string(data), "Bearer xyz")
	assert.Contains(t, string(data), "[REDACTED]")
	assert.Contains(t, string(data), "[CODENAME]")
	assert.Contains(t, string(data), `"password":{"type":"string"}`, "schemas naming secret fields are kept")

	play, err := replay.Open(nil, replay.Config{Path: path, Redact: redact})
	require.NoError(t, err)
	got, err := play.Generate(ctx, req)
	require.NoError(t, err, "the same request replays: keys are computed after scrubbing")
	assert.Equal(t, "Your token [REDACTED] is public.", got.Message.Text())
	_, err = play.Generate(ctx, other)
	assert.ErrorIs(t, err, llm.ErrAuth)
	assert.NotContains(t, err.Error(), "xyz-error-token")
}

func TestRedactSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"key sk-proj-abc123def456ghi789", "key [REDACTED]"},
		{"sk-ant-api03-AbC9_dEf-123456", "[REDACTED]"},
		{"uses sk-learn-compatible-api", "uses sk-learn-compatible-api"},
		{"Authorization: Bearer xyz", "Authorization: [REDACTED]"},
		{"curl -H 'Authorization: Bearer abc.def-ghi'", "curl -H 'Authorization: [REDACTED]'"},
		{"token is Bearer abc123", "token is Bearer [REDACTED]"},
		{`{"api_key": "v", "x-api-key":"w", "name":"n"}`, `{"api_key": "[REDACTED]", "x-api-key":"[REDACTED]", "name":"n"}`},
		{"OPENAI_API_KEY=notsk_1234567890abc", "OPENAI_API_KEY=[REDACTED]"},
		{"api-key: abcdefgh12", "api-key: [REDACTED]"},
		{"authorization: the act of granting", "authorization: the act of granting"},
		{"google AIzaSyA1234567890abcdefghijklmnopqrstuv", "google [REDACTED]"},
		{"GITHUB_TOKEN=abcdefgh1234 next", "GITHUB_TOKEN=[REDACTED] next"},
		{`{"client_secret":"a\"b", "max_tokens": 10}`, `{"client_secret":"[REDACTED]", "max_tokens": 10}`},
		{"plain text stays", "plain text stays"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, replay.RedactSecrets(tt.in), tt.in)
	}
}

func TestCorruptCassette(t *testing.T) {
	path := cassettePath(t)
	record(t, path, scripted.New(scripted.Text("ok")), firstRequest())
	valid, err := os.ReadFile(path)
	require.NoError(t, err)

	tests := []struct {
		name, content, want string
	}{
		{"bad json", string(valid) + "{not json\n", ":2: invalid character"},
		{"no key", string(valid) + "\n" + `{"request":{},"response":{}}` + "\n", ":3: interaction has no key"},
		{"response and error", `{"key":"k","request":{},"response":{},"error":{"message":"x"}}` + "\n", ":1: interaction needs exactly one"},
		{"neither", `{"key":"k","request":{}}` + "\n", ":1: interaction needs exactly one"},
		{"wrong type", `{"key":1}` + "\n", ":1: json: cannot unmarshal"},
		{"truncated", string(valid) + string(valid[:len(valid)/2]), ":2: truncated last line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.jsonl")
			require.NoError(t, os.WriteFile(p, []byte(tt.content), 0o600))
			for _, open := range []func() error{
				func() error { _, err := replay.Player(p); return err },
				func() error { _, err := replay.ReplayOrRecord(scripted.New(), p); return err },
			} {
				err := open()
				require.Error(t, err)
				assert.Contains(t, err.Error(), p+tt.want)
			}
		})
	}
}

func TestConcurrentRecording(t *testing.T) {
	path := cassettePath(t)
	inner := scripted.Func(func(req llm.Request) (llm.Response, error) {
		return llm.Response{Message: llm.Assistant("echo " + req.Messages[0].Text())}, nil
	})
	rec, err := replay.Recorder(inner, path)
	require.NoError(t, err)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				req := llm.Request{Messages: []llm.Message{llm.User(fmt.Sprintf("w%d-%d %s", w, i, strings.Repeat("x", 500)))}}
				var err error
				if i%2 == 0 {
					_, err = rec.Generate(ctx, req)
				} else {
					_, err = llm.Collect(rec.Stream(ctx, req))
				}
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	require.NoError(t, rec.Close())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	lines := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines++
		var v map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v), "line %d", lines)
		assert.Contains(t, v, "key")
		assert.Contains(t, v, "response")
		assert.Contains(t, v, "recorded_at")
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, workers*each, lines)

	play, err := replay.Player(path)
	require.NoError(t, err)
	resp, err := play.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("w3-7 " + strings.Repeat("x", 500))}})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(resp.Message.Text(), "echo w3-7 "))
}

func TestStreamRecordAndReplay(t *testing.T) {
	path := cassettePath(t)
	inner := scripted.New(
		scripted.Text("Let me look that up.").WithCall("search", `{"q":"dune"}`),
		scripted.Text("never finished"),
	)
	rec, err := replay.Recorder(inner, path)
	require.NoError(t, err)
	var textEvents int
	var recorded llm.Response
	for ev, err := range rec.Stream(ctx, firstRequest()) {
		require.NoError(t, err)
		if ev.Kind == llm.EventText {
			textEvents++
		}
		if ev.Kind == llm.EventDone {
			recorded = *ev.Response
		}
	}
	assert.Greater(t, textEvents, 1, "the model's events pass through")
	early := llm.Request{Messages: []llm.Message{llm.User("stop early")}}
	for range rec.Stream(ctx, early) {
		break
	}
	require.NoError(t, rec.Close())

	play, err := replay.Player(path)
	require.NoError(t, err)
	var kinds []llm.EventKind
	var text string
	var call llm.ToolCallDelta
	var done llm.Response
	for ev, err := range play.Stream(ctx, firstRequest()) {
		require.NoError(t, err)
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case llm.EventText:
			text += ev.Text
		case llm.EventToolCall:
			call = *ev.ToolCall
		case llm.EventDone:
			done = *ev.Response
		}
	}
	assert.Equal(t, []llm.EventKind{llm.EventText, llm.EventToolCall, llm.EventDone}, kinds)
	assert.Equal(t, "Let me look that up.", text)
	assert.Equal(t, llm.ToolCallDelta{Index: 0, ID: "call_1", Name: "search", Args: `{"q":"dune"}`}, call)
	assert.Equal(t, withoutID(recorded), withoutID(done))

	_, err = play.Generate(ctx, early)
	assert.ErrorIs(t, err, replay.ErrNotRecorded, "a stream stopped early is not recorded")
}

func TestRepeatedKeyReplaysInOrderThenKeepsLast(t *testing.T) {
	path := cassettePath(t)
	req := llm.Request{Messages: []llm.Message{llm.User("roll a die")}}
	rec, err := replay.Recorder(scripted.New(scripted.Text("1"), scripted.Err(llm.ErrTransient), scripted.Text("3")), path)
	require.NoError(t, err)
	for range 3 {
		_, _ = rec.Generate(ctx, req)
	}
	require.NoError(t, rec.Close())

	play, err := replay.Player(path)
	require.NoError(t, err)
	var got []string
	for range 5 {
		resp, err := play.Generate(ctx, req)
		if err != nil {
			assert.ErrorIs(t, err, llm.ErrTransient)
			got = append(got, "err")
			continue
		}
		got = append(got, resp.Message.Text())
	}
	assert.Equal(t, []string{"1", "err", "3", "3", "3"}, got)
}

func TestReplayOrRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "c.jsonl")
	a := llm.Request{Messages: []llm.Message{llm.User("a")}}
	b := llm.Request{Messages: []llm.Message{llm.User("b")}}

	first := scripted.New(scripted.Text("A"))
	c, err := replay.ReplayOrRecord(first, path)
	require.NoError(t, err, "a missing cassette and directory are created")
	resp, err := c.Generate(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, "A", resp.Message.Text())
	require.NoError(t, c.Close())

	second := scripted.New(scripted.Text("B"))
	c, err = replay.ReplayOrRecord(second, path)
	require.NoError(t, err)
	resp, err = c.Generate(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, "A", resp.Message.Text(), "recorded keys replay")
	resp, err = c.Generate(ctx, b)
	require.NoError(t, err)
	assert.Equal(t, "B", resp.Message.Text(), "missing keys are recorded")
	assert.Equal(t, 1, second.Calls())
	require.NoError(t, c.Close())

	play, err := replay.Player(path)
	require.NoError(t, err)
	for req, want := range map[*llm.Request]string{&a: "A", &b: "B"} {
		resp, err := play.Generate(ctx, *req)
		require.NoError(t, err)
		assert.Equal(t, want, resp.Message.Text())
	}
}

func TestReplayOrRecordDoesNotKeepAnOutage(t *testing.T) {
	path := cassettePath(t)
	req := llm.Request{Messages: []llm.Message{llm.User("a")}}
	down := scripted.New(scripted.Err(llm.ErrTransient))
	c, err := replay.ReplayOrRecord(down, path)
	require.NoError(t, err)
	_, err = c.Generate(ctx, req)
	require.ErrorIs(t, err, llm.ErrTransient)
	require.NoError(t, c.Close())

	up := scripted.New(scripted.Text("A"))
	c, err = replay.ReplayOrRecord(up, path)
	require.NoError(t, err)
	resp, err := c.Generate(ctx, req)
	require.NoError(t, err, "a transient fault was not recorded: the model is asked again")
	assert.Equal(t, "A", resp.Message.Text())
	assert.Equal(t, 1, up.Calls())
	require.NoError(t, c.Close())
}

func TestUnterminatedLastLineIsContinued(t *testing.T) {
	path := cassettePath(t)
	record(t, path, scripted.New(scripted.Text("A")), llm.Request{Messages: []llm.Message{llm.User("a")}})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.TrimSuffix(string(data), "\n")), 0o600))

	c, err := replay.ReplayOrRecord(scripted.New(scripted.Text("B")), path)
	require.NoError(t, err)
	_, err = c.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("b")}})
	require.NoError(t, err)
	require.NoError(t, c.Close())

	play, err := replay.Player(path)
	require.NoError(t, err, "the appended line starts on a line of its own")
	resp, err := play.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("a")}})
	require.NoError(t, err)
	assert.Equal(t, "A", resp.Message.Text())
}

func TestMalformedArgsSurvive(t *testing.T) {
	const broken = `{"q": "unterminated`
	tests := []struct {
		name  string
		inner llm.Model
	}{
		// Providers store broken arguments as a JSON string (llm.ArgsFromText).
		{"as a provider stores them", scripted.New(scripted.Call("search", broken))},
		// A hand-built reply may hold them raw, which no json.Marshal accepts.
		{"raw", llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
			call := llm.ToolCall{ID: "c1", Name: "search", Args: json.RawMessage(broken)}
			return llm.Response{Message: llm.Assistant("", call), FinishReason: llm.FinishToolCalls}, nil
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := cassettePath(t)
			req := llm.Request{Messages: []llm.Message{llm.User("call")}}
			record(t, path, tt.inner, req)
			play, err := replay.Player(path)
			require.NoError(t, err)
			resp, err := play.Generate(ctx, req)
			require.NoError(t, err)

			_, err = json.Marshal(resp)
			require.NoError(t, err, "a replayed reply must marshal")
			call := resp.Message.ToolCalls()[0]
			assert.Equal(t, string(llm.ArgsFromText(broken)), string(call.Args))
			var args map[string]any
			var malformed *llm.MalformedOutputError
			require.ErrorAs(t, call.DecodeArgs(&args), &malformed)
			assert.Equal(t, broken, malformed.Raw, "the model's text survives the trip")
		})
	}
}

func TestCancellation(t *testing.T) {
	path := cassettePath(t)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	inner := llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		return llm.Response{}, fmt.Errorf("openai: %w", context.DeadlineExceeded)
	})
	rec, err := replay.Recorder(inner, path)
	require.NoError(t, err)

	_, err = rec.Generate(cancelled, firstRequest())
	assert.ErrorIs(t, err, context.Canceled)
	_, err = llm.Collect(rec.Stream(cancelled, firstRequest()))
	assert.ErrorIs(t, err, context.Canceled)
	_, err = rec.Generate(ctx, firstRequest())
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, rec.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Empty(t, data, "cancellations are not recorded")
}

func TestOpenAndCloseErrors(t *testing.T) {
	_, err := replay.Open(nil, replay.Config{})
	assert.ErrorContains(t, err, "Path is required")
	_, err = replay.Recorder(nil, cassettePath(t))
	assert.ErrorContains(t, err, "mode record needs a model")
	_, err = replay.Player(filepath.Join(t.TempDir(), "missing.jsonl"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = replay.Open(scripted.New(), replay.Config{Path: cassettePath(t), Mode: replay.Mode(9)})
	assert.ErrorContains(t, err, "unknown mode")

	rec, err := replay.Recorder(scripted.New(scripted.Text("a")), cassettePath(t))
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	require.NoError(t, rec.Close(), "Close is idempotent")
	_, err = rec.Generate(ctx, firstRequest())
	assert.ErrorContains(t, err, "cassette closed")

	inner := scripted.New(scripted.Text("never"))
	rec, err = replay.ReplayOrRecord(inner, cassettePath(t))
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	_, err = rec.Generate(ctx, firstRequest())
	assert.ErrorContains(t, err, "cassette closed")
	_, err = llm.Collect(rec.Stream(ctx, firstRequest()))
	assert.ErrorContains(t, err, "cassette closed")
	assert.Zero(t, inner.Calls(), "a closed cassette calls no model it could not record")
}

func TestRecordedAt(t *testing.T) {
	path := cassettePath(t)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec, err := replay.Open(scripted.New(scripted.Text("a")), replay.Config{Path: path, Mode: replay.ModeRecord, Now: func() time.Time { return at }})
	require.NoError(t, err)
	_, err = rec.Generate(ctx, firstRequest())
	require.NoError(t, err)
	require.NoError(t, rec.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var line struct {
		Key        string          `json:"key"`
		Request    json.RawMessage `json:"request"`
		RecordedAt time.Time       `json:"recorded_at"`
	}
	require.NoError(t, json.Unmarshal(data, &line))
	assert.Equal(t, at, line.RecordedAt)
	assert.NotContains(t, string(line.Request), `"id":"m_`, "message IDs are not stored")
	assert.Contains(t, string(line.Request), `"Who wrote Dune?"`)
}
