package judge_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
	"github.com/deepctx/deepctx/eval"
	"github.com/deepctx/deepctx/eval/judge"
	"github.com/deepctx/deepctx/eval/stats"
)

// These tests run the judges through the real OpenAI provider against an
// httptest server speaking the chat-completions wire protocol. The server
// hosts several models and answers from what each request contains.

// wireMessage is a chat message as sent on the wire.
type wireMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// wireRequest is a chat-completions request as the server received it.
type wireRequest struct {
	Model       string        `json:"model"`
	Messages    []wireMessage `json:"messages"`
	Temperature *float64      `json:"temperature"`
	Stream      bool          `json:"stream"`

	Path, Auth, Raw string
}

// prompt is the first user message.
func (r wireRequest) prompt() string {
	for _, m := range r.Messages {
		if m.Role == "user" {
			return m.Content
		}
	}
	return ""
}

// answer is what the server replies: a status and the reply text (on 200)
// or an error body.
type answer struct {
	status int
	text   string
}

// judgeServer is an OpenAI-compatible server whose models answer with
// answerFn.
type judgeServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []wireRequest
}

func newJudgeServer(t *testing.T, answerFn func(wireRequest) answer) *judgeServer {
	t.Helper()
	s := &judgeServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var req wireRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Path, req.Auth, req.Raw = r.URL.Path, r.Header.Get("Authorization"), string(raw)
		s.mu.Lock()
		s.reqs = append(s.reqs, req)
		s.mu.Unlock()

		a := answerFn(req)
		w.Header().Set("Content-Type", "application/json")
		if a.status != http.StatusOK {
			w.WriteHeader(a.status)
			body, _ := json.Marshal(map[string]any{"error": map[string]any{"message": a.text, "type": "server_error", "param": nil, "code": nil}})
			_, _ = w.Write(body)
			return
		}
		_, _ = io.WriteString(w, completionBody(req.Model, a.text))
	}))
	t.Cleanup(s.Close)
	return s
}

// completionBody is a non-streamed chat.completion replying text.
func completionBody(model, text string) string {
	return `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"` + model + `",` +
		`"choices":[{"index":0,"message":{"role":"assistant","content":` + strconv.Quote(text) + `,"refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
		`"usage":{"prompt_tokens":120,"completion_tokens":40,"total_tokens":160}}`
}

// requests returns the requests received so far, for model ("" for all).
func (s *judgeServer) requests(model string) []wireRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []wireRequest
	for _, r := range s.reqs {
		if model == "" || r.Model == model {
			out = append(out, r)
		}
	}
	return out
}

// model returns the provider's model name on s.
func (s *judgeServer) model(t *testing.T, name string) *openai.Model {
	t.Helper()
	m, err := openai.New(openai.Config{Model: name, APIKey: "sk-test", BaseURL: s.URL + "/v1"})
	require.NoError(t, err)
	return m
}

func TestRACEThroughTheOpenAIProvider(t *testing.T) {
	// judge-a grades the target 8 and the reference 4 in either order,
	// after a first reply in prose; judge-b grades report A 6 and report
	// B 4, whatever they are: its bias cancels over the two orders.
	srv := newJudgeServer(t, func(r wireRequest) answer {
		prompt := r.prompt()
		switch {
		case strings.Contains(prompt, "Write a rubric"):
			return answer{http.StatusOK, rubricJSON}
		case r.Model == "judge-a" && len(r.Messages) == 2:
			return answer{http.StatusOK, "Report A is clearly stronger; I would give it an 8."}
		case r.Model == "judge-a":
			return answer{http.StatusOK, gradesJSON(prompt, 8, 4)}
		default:
			return answer{http.StatusOK, scoresJSON(numCriteria(prompt), 6, 4)}
		}
	})
	cache := newCache()
	r := &judge.RACE{Judges: []llm.Model{srv.model(t, "judge-a"), srv.model(t, "judge-b")}, Cache: cache}

	got, err := r.Score(t.Context(), sample("s1"), result("tuned", "Goroutines communicate over channels; select waits on several."))
	require.NoError(t, err)

	assert.InDelta(t, (8.0/12+0.5)/2, got.Value, 1e-12)
	js := got.Metadata["judges"].([]judge.JudgeScores)
	require.Len(t, js, 2)
	assert.Equal(t, "judge-a", js[0].Judge)
	assert.Equal(t, 4, js[0].Attempts, "in each order, a malformed first reply, then a valid one")
	assert.InDelta(t, 8.0/12, js[0].Relative, 1e-12)
	assert.Equal(t, "judge-b", js[1].Judge)
	assert.Equal(t, 2, js[1].Attempts, "one reply per order")
	assert.InDelta(t, 0.5, js[1].Relative, 1e-12)
	assert.InDelta(t, 0.6, js[1].Orders[0].Relative, 1e-12, "the target as A")
	assert.InDelta(t, 0.4, js[1].Orders[1].Relative, 1e-12, "the target as B")
	assert.Equal(t, 1, cache.saves)

	rubricReqs := 0
	for _, req := range srv.requests("") {
		assert.Equal(t, "/v1/chat/completions", req.Path)
		assert.Equal(t, "Bearer sk-test", req.Auth)
		assert.Contains(t, req.Raw, `"temperature":0`)
		assert.False(t, req.Stream)
		assert.Equal(t, "system", req.Messages[0].Role)
		if strings.Contains(req.prompt(), "Write a rubric") {
			rubricReqs++
			assert.Equal(t, "judge-a", req.Model, "the first judge writes the rubric")
		}
	}
	assert.Equal(t, 1, rubricReqs)

	a := srv.requests("judge-a")
	require.Len(t, a, 5, "rubric, then malformed and valid scores in each order")
	var retries []wireRequest
	for _, req := range a[1:] {
		if len(req.Messages) == 4 {
			retries = append(retries, req)
		}
	}
	require.Len(t, retries, 2, "one retry per order")
	assert.ElementsMatch(t, []string{"A", "B"}, []string{targetAs(retries[0].prompt()), targetAs(retries[1].prompt())})
	for _, retry := range retries {
		assert.Equal(t, "assistant", retry.Messages[2].Role)
		assert.Equal(t, "Report A is clearly stronger; I would give it an 8.", retry.Messages[2].Content)
		assert.Equal(t, "user", retry.Messages[3].Role)
		assert.Contains(t, retry.Messages[3].Content, "the reply contains no JSON object")
	}
	assert.Len(t, srv.requests("judge-b"), 2, "one request per order")
}

func TestPairwiseThroughTheOpenAIProvider(t *testing.T) {
	// judge-a prefers the report that mentions select, whatever its
	// position; judge-b always answers "1", so its two orders disagree.
	srv := newJudgeServer(t, func(r wireRequest) answer {
		if r.Model == "judge-b" {
			return answer{http.StatusOK, `{"winner": "1", "explanation": "Report 1 is better."}`}
		}
		one, _ := block(r.prompt(), "report", "1")
		if strings.Contains(one, "select") {
			return answer{http.StatusOK, "```json\n{\"winner\": \"1\", \"explanation\": \"covers select\"}\n```"}
		}
		return answer{http.StatusOK, `{"winner": "2", "explanation": "covers select"}`}
	})
	p := &judge.Pairwise{Judges: []llm.Model{srv.model(t, "judge-a"), srv.model(t, "judge-b")}}
	a := result("baseline", "Goroutines use channels.")
	b := result("tuned", "Goroutines use channels; select waits on several.")

	got, err := p.ScorePair(t.Context(), sample("s1"), a, b)
	require.NoError(t, err)

	assert.InDelta(t, 0.75, got.Value, 1e-12, "b wins for judge-a, a tie for judge-b")
	assert.Equal(t, judge.WinnerB, got.Winner)
	assert.Equal(t, []string{"b", "tie"}, got.Verdicts)
	jv := got.Metadata["judges"].([]judge.JudgeVerdict)
	assert.Equal(t, "judge-a", jv[0].Judge)
	assert.True(t, jv[0].Consistent)
	assert.Equal(t, "judge-b", jv[1].Judge)
	assert.False(t, jv[1].Consistent)
	assert.Equal(t, [2]string{"a", "b"}, [2]string{jv[1].Verdicts[0].Winner, jv[1].Verdicts[1].Winner})
	ag, err := stats.PanelAgreement([][]string{got.Verdicts})
	require.NoError(t, err)
	assert.Equal(t, stats.MethodCohenKappa, ag.Method)
	assert.True(t, ag.Degenerate)
	assert.Zero(t, ag.Value, "the two judges disagree on the one item")

	for _, model := range []string{"judge-a", "judge-b"} {
		reqs := srv.requests(model)
		require.Len(t, reqs, 2, "%s sees both orders", model)
		var firsts []string
		for _, r := range reqs {
			one, _ := block(r.prompt(), "report", "1")
			firsts = append(firsts, one)
		}
		assert.ElementsMatch(t, []string{a.Output.Report, b.Output.Report}, firsts)
	}
}

func TestJudgesReturnTransportErrorsAfterTheModelLayerRetries(t *testing.T) {
	srv := newJudgeServer(t, func(wireRequest) answer {
		return answer{http.StatusServiceUnavailable, "The server is overloaded."}
	})
	var retries atomic.Int32
	policy := llm.RetryPolicy{
		MaxAttempts: 2,
		Sleep:       func(context.Context, time.Duration) error { return nil },
		OnRetry:     func(int, time.Duration, error) { retries.Add(1) },
	}
	m := policy.Wrap(srv.model(t, "judge-a"))
	s := sample("s1")
	s.Rubric = []eval.Criterion{{Dimension: "insight", Criterion: "Explains why"}}

	_, err := (&judge.RACE{Judges: []llm.Model{m}}).Score(t.Context(), s, result("v", "report"))
	require.Error(t, err)
	assert.ErrorIs(t, err, llm.ErrTransient)
	assert.NotErrorIs(t, err, judge.ErrMalformed)
	assert.Contains(t, err.Error(), "giving up after 2 attempts")
	// Both orders are sent concurrently; the first to give up cancels the
	// other, which may have made one attempt or two by then. Neither is
	// retried by the judge.
	perOrder := map[string]int{}
	for _, req := range srv.requests("") {
		perOrder[targetAs(req.prompt())]++
	}
	assert.LessOrEqual(t, perOrder["A"], 2, "the model layer retried once at most; the judge did not retry")
	assert.LessOrEqual(t, perOrder["B"], 2, "the model layer retried once at most; the judge did not retry")
	assert.Equal(t, 2, max(perOrder["A"], perOrder["B"]), "the order that failed was retried once by the model layer")
	assert.GreaterOrEqual(t, retries.Load(), int32(1))
	assert.LessOrEqual(t, retries.Load(), int32(2), "at most one model-layer retry per order")

	_, err = (&judge.Pairwise{Judges: []llm.Model{m}}).ScorePair(t.Context(), s, result("a", "x"), result("b", "y"))
	require.ErrorIs(t, err, llm.ErrTransient)
}
