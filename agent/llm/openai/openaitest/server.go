package openaitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

// Config configures a Server.
type Config struct {
	// Models serves each model name with its model. Required: a request
	// for another name is answered 404 model_not_found.
	Models map[string]llm.Model
	// Role infers a request's call role, which the wire does not carry;
	// the backing model receives it in llm.Request.Role. Optional.
	// Defaults to leaving the role empty (llm.CallDefault).
	Role func(Wire) llm.CallRole
	// APIKey, when set, must come with every request as "Authorization:
	// Bearer <APIKey>"; other requests are answered 401. Optional.
	// Defaults to accepting any request.
	APIKey string
	// RateLimit lists requests, by their number (Request.N, from 1), to
	// answer with 429 rate_limit_exceeded and a Retry-After header instead
	// of asking the model. Optional.
	RateLimit []int
	// RetryAfter is the Retry-After of those replies, in seconds.
	// Optional. Defaults to 1.
	RetryAfter int
	// Handler sees every request that passed the checks above before the
	// model does, and may write any reply itself. Optional.
	Handler Handler
}

// Handler scripts raw replies: it writes a reply to r and returns true, or
// returns false, without writing, to leave r to the backing model. Reply
// and WriteError write well-formed replies; anything else may be written
// to test a client's handling of broken ones. Handlers run concurrently.
type Handler func(w http.ResponseWriter, r Request) bool

// Request is one request the server received, as its log keeps it.
type Request struct {
	// N numbers the requests in the order they arrived, from 1.
	N      int
	Path   string
	Header http.Header
	// Body is the raw request body; Wire is its decoded form.
	Body []byte
	Wire Wire
	// Role is the call role Config.Role inferred.
	Role llm.CallRole
	// Status is the HTTP status of the reply; 0 while it is being written.
	Status int
}

// Server is a running fake OpenAI server. Its URL is the server's root;
// clients use BaseURL. It is safe for concurrent use.
type Server struct {
	*httptest.Server
	cfg Config

	mu  sync.Mutex
	log []Request
}

// New starts a server configured by cfg and closes it when the test ends.
func New(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if len(cfg.Models) == 0 {
		tb.Fatal("openaitest: Config.Models is empty")
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = 1
	}
	s := &Server{cfg: cfg}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// BaseURL is the API root clients are configured with: URL + "/v1".
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// OpenAIConfig returns the provider configuration that reaches model on s,
// with the server's API key.
func (s *Server) OpenAIConfig(model string) openai.Config {
	return openai.Config{Model: model, APIKey: s.cfg.APIKey, BaseURL: s.BaseURL()}
}

// Requests returns the requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// serve answers one request.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var wire Wire
	werr := json.Unmarshal(body, &wire)
	req := Request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Wire: wire}
	if werr == nil && s.cfg.Role != nil {
		req.Role = s.cfg.Role(wire)
	}
	s.mu.Lock()
	req.N = len(s.log) + 1
	s.log = append(s.log, req)
	s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.setStatus(req.N, cmpStatus(sw.status)) }()

	switch {
	case r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions"):
		WriteError(sw, http.StatusNotFound, "invalid_request_error", "", "no such endpoint: "+r.Method+" "+r.URL.Path)
		return
	case s.cfg.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.cfg.APIKey:
		WriteError(sw, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.")
		return
	case werr != nil:
		WriteError(sw, http.StatusBadRequest, "invalid_request_error", "", "could not parse the JSON body: "+werr.Error())
		return
	case slices.Contains(s.cfg.RateLimit, req.N):
		sw.Header().Set("Retry-After", strconv.Itoa(s.cfg.RetryAfter))
		WriteError(sw, http.StatusTooManyRequests, "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again later.")
		return
	}
	if s.cfg.Handler != nil && s.cfg.Handler(sw, req) {
		return
	}
	model, ok := s.cfg.Models[wire.Model]
	if !ok {
		WriteError(sw, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("The model `%s` does not exist.", wire.Model))
		return
	}
	lreq := wire.Request()
	lreq.Role = req.Role
	resp, err := model.Generate(r.Context(), lreq)
	if err != nil {
		status, typ, code := errorStatus(err)
		WriteError(sw, status, typ, code, err.Error())
		return
	}
	Reply(sw, req, resp)
}

func (s *Server) setStatus(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log[n-1].Status = status
}

func cmpStatus(status int) int {
	if status == 0 {
		return http.StatusOK
	}
	return status
}

// statusWriter remembers the status of the reply.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// errorStatus maps a model's error to the status, type and code OpenAI
// would answer with.
func errorStatus(err error) (int, string, string) {
	switch {
	case errors.Is(err, llm.ErrContextOverflow):
		return http.StatusBadRequest, "invalid_request_error", "context_length_exceeded"
	case errors.Is(err, llm.ErrBadRequest):
		return http.StatusBadRequest, "invalid_request_error", ""
	case errors.Is(err, llm.ErrRateLimited):
		return http.StatusTooManyRequests, "requests", "rate_limit_exceeded"
	case errors.Is(err, llm.ErrAuth):
		return http.StatusUnauthorized, "invalid_request_error", "invalid_api_key"
	}
	return http.StatusInternalServerError, "server_error", ""
}

// WriteError writes an OpenAI error reply: status and
// {"error":{"message","type","param","code"}}; an empty code is sent as
// null.
func WriteError(w http.ResponseWriter, status int, typ, code, message string) {
	var c any
	if code != "" {
		c = code
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"message": message, "type": typ, "param": nil, "code": c}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
