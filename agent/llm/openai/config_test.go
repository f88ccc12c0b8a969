package openai_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm/openai"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     openai.Config
		wantErr string // "" for success
	}{
		{"model is required", openai.Config{APIKey: "k"}, "Model is required"},
		{"api.openai.com needs a key", openai.Config{Model: "gpt-4.1"}, "OPENAI_API_KEY"},
		{"explicit api.openai.com needs a key", openai.Config{Model: "gpt-4.1", BaseURL: "https://api.openai.com/v1/"}, "no API key"},
		{"custom base URL needs no key", openai.Config{Model: "qwen3:8b", BaseURL: "http://localhost:11434/v1"}, ""},
		{"api.openai.com with key", openai.Config{Model: "gpt-4.1", APIKey: "sk"}, ""},
		{"azure needs an endpoint", openai.Config{Model: "d", APIKey: "k", APIType: openai.APITypeAzure}, "AZURE_OPENAI_ENDPOINT"},
		{"azure needs a key", openai.Config{Model: "d", BaseURL: "https://r.openai.azure.com", APIType: openai.APITypeAzure}, "AZURE_OPENAI_API_KEY"},
		{"azure complete", openai.Config{Model: "d", APIKey: "k", BaseURL: "https://r.openai.azure.com", APIType: openai.APITypeAzure}, ""},
		{"unknown API type", openai.Config{Model: "m", APIKey: "k", APIType: "bedrock"}, "unknown APIType"},
		{"unknown max tokens param", openai.Config{Model: "m", APIKey: "k", MaxTokensParam: "max_output_tokens"}, "MaxTokensParam"},
		{"base URL must be http(s)", openai.Config{Model: "m", BaseURL: "localhost:8080"}, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := openai.New(tt.cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, m)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.cfg.Model, m.Name())
		})
	}
}

func TestWithEnv(t *testing.T) {
	t.Setenv(openai.EnvAPIKey, "sk-env")
	t.Setenv(openai.EnvBaseURL, "http://vllm:8000/v1")
	t.Setenv(openai.EnvOrganization, "org-env")
	t.Setenv(openai.EnvAzureAPIKey, "az-env")
	t.Setenv(openai.EnvAzureEndpoint, "https://res.openai.azure.com")
	t.Setenv(openai.EnvAPIVersion, "2025-01-01-preview")

	tests := []struct {
		name string
		cfg  openai.Config
		want openai.Config
	}{
		{
			"openai fills empty fields",
			openai.Config{Model: "m"},
			openai.Config{Model: "m", APIKey: "sk-env", BaseURL: "http://vllm:8000/v1", Organization: "org-env"},
		},
		{
			"set fields are kept",
			openai.Config{Model: "m", APIKey: "sk-mine", BaseURL: "http://mine/v1"},
			openai.Config{Model: "m", APIKey: "sk-mine", BaseURL: "http://mine/v1", Organization: "org-env"},
		},
		{
			"azure reads the azure variables",
			openai.Config{Model: "d", APIType: openai.APITypeAzure},
			openai.Config{Model: "d", APIType: openai.APITypeAzure, APIKey: "az-env", BaseURL: "https://res.openai.azure.com", APIVersion: "2025-01-01-preview"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.cfg.WithEnv())
		})
	}
}

func TestOfficialEndpointHeaders(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv, func(c *openai.Config) {
		c.BaseURL, c.HTTPClient, c.Organization = "", redirectTo(srv), "org-42"
	})
	_, err := m.Generate(t.Context(), user("hi"))
	require.NoError(t, err)
	got := srv.last(t)
	assert.Equal(t, "/v1/chat/completions", got.Path)
	assert.Empty(t, got.Query)
	assert.Equal(t, "Bearer sk-test", got.Header.Get("Authorization"))
	assert.Equal(t, "org-42", got.Header.Get("OpenAI-Organization"))
}

func TestCustomServerWithoutKeySendsNoAuthorization(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	m := newModel(t, srv, func(c *openai.Config) { c.APIKey = "" })
	_, err := m.Generate(t.Context(), user("hi"))
	require.NoError(t, err)
	_, present := srv.last(t).Header["Authorization"]
	assert.False(t, present)
}

func TestAzureRequestShape(t *testing.T) {
	tests := []struct {
		name        string
		apiVersion  string
		wantVersion string
	}{
		{"default API version", "", openai.DefaultAzureAPIVersion},
		{"configured API version", "2025-01-01-preview", "2025-01-01-preview"},
	}
	srv := newServer(t, replyJSON(http.StatusOK, textCompletion("ok")))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := openai.New(openai.Config{
				APIType:    openai.APITypeAzure,
				Model:      "gpt-4.1-mini.prod", // deployment names are used verbatim
				BaseURL:    srv.URL,
				APIKey:     "az-key",
				APIVersion: tt.apiVersion,
			})
			require.NoError(t, err)
			req := user("hi")
			req.MaxTokens = 64
			_, err = m.Generate(t.Context(), req)
			require.NoError(t, err)

			got := srv.last(t)
			assert.Equal(t, "/openai/deployments/gpt-4.1-mini.prod/chat/completions", got.Path)
			assert.Equal(t, tt.wantVersion, got.Query.Get("api-version"))
			assert.Equal(t, "az-key", got.Header.Get("api-key"))
			assert.Empty(t, got.Header.Get("Authorization"))
			assert.EqualValues(t, 64, got.Body["max_completion_tokens"])
		})
	}
}

func TestAzureErrorsNameAzure(t *testing.T) {
	srv := newServer(t, replyJSON(http.StatusUnauthorized, `{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}`))
	m, err := openai.New(openai.Config{APIType: openai.APITypeAzure, Model: "d", BaseURL: srv.URL, APIKey: "bad"})
	require.NoError(t, err)
	_, err = m.Generate(t.Context(), user("hi"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "azure: llm: authentication failed (HTTP 401")
}
