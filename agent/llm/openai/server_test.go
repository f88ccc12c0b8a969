package openai_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

// received is one request as the fake server saw it.
type received struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Raw    string
	Body   map[string]any
}

// fakeServer is an httptest server that records every request and answers
// with its handler, speaking OpenAI's chat-completions wire format.
type fakeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

func newServer(t *testing.T, h http.HandlerFunc) *fakeServer {
	t.Helper()
	f := &fakeServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := received{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Raw: string(raw)}
		_ = json.Unmarshal(raw, &rec.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// requests returns the requests received so far.
func (f *fakeServer) requests() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.reqs...)
}

// last returns the last request received.
func (f *fakeServer) last(t *testing.T) received {
	t.Helper()
	reqs := f.requests()
	require.NotEmpty(t, reqs, "the server received no request")
	return reqs[len(reqs)-1]
}

// replyJSON answers with status and a JSON body, plus optional header pairs.
func replyJSON(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// replySSE streams each chunk as a server-sent event, then "data: [DONE]".
func replySSE(chunks ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeSSE(w, chunks...)
		writeSSE(w, "[DONE]")
	}
}

// writeSSE writes data events and flushes them to the client.
func writeSSE(w http.ResponseWriter, data ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, d := range data {
		_, _ = fmt.Fprintf(w, "data: %s\n\n", d)
	}
	_ = http.NewResponseController(w).Flush()
}

// chunkFmt is a chat.completion.chunk with one choice: delta, finish_reason.
const chunkFmt = `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1-2025-04-14","system_fingerprint":"fp_1","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}],"usage":null}`

// textChunk is a chunk carrying a text delta.
func textChunk(text string) string {
	return fmt.Sprintf(chunkFmt, `{"content":`+strconv.Quote(text)+`}`, "null")
}

// finishChunk is the chunk carrying the finish reason.
func finishChunk(reason string) string {
	return fmt.Sprintf(chunkFmt, `{}`, strconv.Quote(reason))
}

// usageChunk is the last chunk sent with stream_options.include_usage.
func usageChunk(prompt, cached, completion, reasoning int) string {
	return fmt.Sprintf(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1-2025-04-14","choices":[],`+
		`"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,`+
		`"prompt_tokens_details":{"cached_tokens":%d,"audio_tokens":0},`+
		`"completion_tokens_details":{"reasoning_tokens":%d,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`,
		prompt, completion, prompt+completion, cached, reasoning)
}

// noIndex marks a tool-call delta sent without an "index" field.
const noIndex = -1

// toolChunk is a chunk carrying one tool-call delta. Empty id and name are
// left out, as OpenAI does after a call's first delta.
func toolChunk(index int, id, name, args string) string {
	tc := map[string]any{"function": map[string]any{"arguments": args}}
	if index != noIndex {
		tc["index"] = index
	}
	if id != "" {
		tc["id"], tc["type"] = id, "function"
	}
	if name != "" {
		tc["function"].(map[string]any)["name"] = name
	}
	delta, _ := json.Marshal(map[string]any{"tool_calls": []any{tc}})
	return fmt.Sprintf(chunkFmt, delta, "null")
}

// completion is a non-streamed chat.completion with one choice.
func completion(message, finish string) string {
	return `{"id":"chatcmpl-2","object":"chat.completion","created":1700000000,"model":"gpt-4.1-2025-04-14",` +
		`"choices":[{"index":0,"message":` + message + `,"logprobs":null,"finish_reason":"` + finish + `"}],` +
		`"usage":{"prompt_tokens":50,"completion_tokens":10,"total_tokens":60,` +
		`"prompt_tokens_details":{"cached_tokens":32,"audio_tokens":0},` +
		`"completion_tokens_details":{"reasoning_tokens":4,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},` +
		`"system_fingerprint":"fp_1","service_tier":"default"}`
}

// textCompletion is a completion whose reply is text.
func textCompletion(text string) string {
	return completion(`{"role":"assistant","content":`+strconv.Quote(text)+`,"refusal":null,"annotations":[]}`, "stop")
}

// openAIError is an error body in OpenAI's shape.
func openAIError(message, typ, param, code string) string {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"message": message, "type": typ, "param": nullable(param), "code": nullable(code),
	}})
	return string(body)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// newModel returns a Model talking to srv as a custom OpenAI-compatible
// server, with cfg edited by edits.
func newModel(t *testing.T, srv *fakeServer, edits ...func(*openai.Config)) *openai.Model {
	t.Helper()
	cfg := openai.Config{Model: "gpt-4.1", APIKey: "sk-test", BaseURL: srv.URL + "/v1"}
	for _, edit := range edits {
		edit(&cfg)
	}
	m, err := openai.New(cfg)
	require.NoError(t, err)
	return m
}

// redirectTo returns an HTTP client that sends every request to srv,
// whatever its URL, so that the default api.openai.com endpoint is testable.
func redirectTo(srv *fakeServer) *http.Client {
	target, _ := url.Parse(srv.URL)
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = target.Scheme, target.Host
		return srv.Client().Transport.RoundTrip(r)
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// user is a one-message request.
func user(text string) llm.Request {
	return llm.Request{Messages: []llm.Message{llm.User(text)}}
}

// collect drains a stream, returning its non-final events, the final
// response (nil if none) and the error that ended it.
func collect(seq func(func(llm.Event, error) bool)) (events []llm.Event, done *llm.Response, err error) {
	for ev, e := range seq {
		if e != nil {
			return events, done, e
		}
		if ev.Kind == llm.EventDone {
			done = ev.Response
			continue
		}
		events = append(events, ev)
	}
	return events, done, nil
}

// jsonOf re-encodes a decoded JSON value, for JSONEq comparisons.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
