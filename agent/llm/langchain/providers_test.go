package langchain

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestOpenRequiresAKeyAndNamesItsVariable(t *testing.T) {
	t.Setenv(EnvAnthropicKey, "")
	t.Setenv(EnvGoogleKey, "")
	t.Setenv(EnvGeminiKey, "")

	_, err := OpenAnthropic("claude-sonnet-4-5", ProviderConfig{})
	require.ErrorIs(t, err, llm.ErrAuth)
	assert.Contains(t, err.Error(), "ANTHROPIC_API_KEY")

	_, err = OpenGoogle(context.Background(), "gemini-2.5-flash", ProviderConfig{})
	require.ErrorIs(t, err, llm.ErrAuth)
	assert.Contains(t, err.Error(), "GOOGLE_API_KEY")
	assert.Contains(t, err.Error(), "GEMINI_API_KEY")
}

func TestOpenRequiresAModelName(t *testing.T) {
	_, err := OpenAnthropic("", ProviderConfig{APIKey: "k"})
	assert.Error(t, err)
	_, err = OpenGoogle(context.Background(), "", ProviderConfig{APIKey: "k"})
	assert.Error(t, err)
	_, err = OpenOllama("", ProviderConfig{})
	assert.Error(t, err)
}

func TestOpenAnthropicReadsKeyFromEnvironment(t *testing.T) {
	srv := newAnthropicServer(t, http.StatusOK, anthropicToolUse)
	t.Setenv(EnvAnthropicKey, "test-key")
	t.Setenv(EnvAnthropicBaseURL, srv.URL)

	m, err := OpenAnthropic("claude-sonnet-4-5", ProviderConfig{})
	require.NoError(t, err)
	_, err = m.Generate(context.Background(), hiRequest())
	require.NoError(t, err)
	assert.Len(t, srv.received(), 1)

	cfg := m.Config()
	assert.Equal(t, "anthropic", cfg.Provider)
	assert.Equal(t, DialectSplit, cfg.Dialect)
	assert.Equal(t, 1.0, *cfg.DefaultTemperature)
	assert.Equal(t, 4096, cfg.DefaultMaxTokens)
}

// failingTransport fails every request and counts them.
type failingTransport struct{ calls int }

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.calls++
	return nil, errors.New("no network in tests")
}

func TestOpenGoogleBuildsWithoutRequests(t *testing.T) {
	t.Setenv(EnvGoogleKey, "")
	t.Setenv(EnvGeminiKey, "gemini-key")
	transport := &failingTransport{}

	m, err := OpenGoogle(context.Background(), "gemini-2.5-flash", ProviderConfig{HTTPClient: &http.Client{Transport: transport}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, m.Close()) })

	assert.Zero(t, transport.calls, "construction sends no HTTP request")
	cfg := m.Config()
	assert.Equal(t, "google", cfg.Provider)
	assert.Equal(t, "gemini-2.5-flash", cfg.Model)
	assert.Equal(t, DialectGrouped, cfg.Dialect)
	assert.Equal(t, 8192, cfg.DefaultMaxTokens)
	assert.Equal(t, 1.0, *cfg.DefaultTemperature)
}

func TestGoogleHTTPClientCarriesTheKey(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Header.Get("x-goog-api-key"))
	}))
	defer srv.Close()
	c := withAPIKey(&http.Client{}, "k1")

	for _, preset := range []string{"", "caller-key"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		if preset != "" {
			req.Header.Set("x-goog-api-key", preset)
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, preset, req.Header.Get("x-goog-api-key"), "the caller's request is not modified")
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"k1", "caller-key"}, got)
}

func TestOllamaURL(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"", "http://localhost:11434"},
		{"localhost", "http://localhost:11434"},
		{"0.0.0.0", "http://0.0.0.0:11434"},
		{"10.0.0.5:8080", "http://10.0.0.5:8080"},
		{"::1", "http://[::1]:11434"},
		{"[::1]:9000", "http://[::1]:9000"},
		{"http://gpu-box:11434/", "http://gpu-box:11434"},
		{"https://ollama.example.com", "https://ollama.example.com"},
		{"http://localhost:11434/v1", "http://localhost:11434"},
		{"https://proxy.example.com/ollama/", "https://proxy.example.com/ollama"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := OllamaBaseURL(tt.raw)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, bad := range []string{"ftp://host", "http://", "http://a b"} {
		_, err := OllamaBaseURL(bad)
		assert.Error(t, err, bad)
	}
	_, err := OpenOllama("qwen3:8b", ProviderConfig{BaseURL: "ftp://host"})
	assert.Error(t, err, "a bad URL is an error, not a process exit")
}

func TestAnthropicBaseURL(t *testing.T) {
	assert.Equal(t, "https://api.anthropic.com/v1", anthropicBaseURL("https://api.anthropic.com"))
	assert.Equal(t, "https://api.anthropic.com/v1", anthropicBaseURL("https://api.anthropic.com/"))
	assert.Equal(t, "https://gw.example.com/v1", anthropicBaseURL("https://gw.example.com/v1/"))
}

type closer struct {
	recorder
	closed bool
}

func (c *closer) Close() error { c.closed = true; return nil }

func TestCloseReachesTheWrappedModel(t *testing.T) {
	c := &closer{}
	require.NoError(t, New(c, Config{}).Close())
	assert.True(t, c.closed)
	assert.NoError(t, New(&recorder{}, Config{}).Close(), "models without Close need none")
}
