package langchain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/googleai"
	"github.com/tmc/langchaingo/llms/ollama"
	"google.golang.org/api/option"

	"github.com/deepctx/deepctx/agent/llm"
)

// Environment variables the Open functions read when ProviderConfig leaves
// a field empty.
const (
	EnvAnthropicKey     = "ANTHROPIC_API_KEY"
	EnvAnthropicBaseURL = "ANTHROPIC_BASE_URL"
	EnvGoogleKey        = "GOOGLE_API_KEY"
	EnvGeminiKey        = "GEMINI_API_KEY" // read when GOOGLE_API_KEY is unset
	EnvOllamaHost       = "OLLAMA_HOST"
)

// DefaultOllamaURL is the Ollama server used when neither ProviderConfig
// nor OLLAMA_HOST names one.
const DefaultOllamaURL = "http://localhost:11434"

// ProviderConfig holds what the Open functions need beyond the model name.
// The zero value reads keys and URLs from the environment.
type ProviderConfig struct {
	// APIKey authenticates the calls. Optional. Defaults to the provider's
	// environment variable (ANTHROPIC_API_KEY; GOOGLE_API_KEY, then
	// GEMINI_API_KEY). Ollama needs none and ignores it.
	APIKey string
	// BaseURL is the API's address. Optional. Defaults per provider:
	// Anthropic: ANTHROPIC_BASE_URL, else https://api.anthropic.com ("/v1"
	// is appended when missing). Google: the genai library's endpoint.
	// Ollama: OLLAMA_HOST (as Ollama reads it: "host", "host:port" or a
	// URL), else DefaultOllamaURL; a trailing "/v1" (the OpenAI-compatible
	// path) is dropped, since the native API lives under /api.
	BaseURL string
	// HTTPClient sends the requests. Optional. Defaults to langchaingo's
	// client. For Google the API key is added to each request by this
	// package, since the genai library skips its own authentication when
	// given a client.
	HTTPClient *http.Client
	// MaxTokens caps the output when a Request leaves MaxTokens 0.
	// Optional. Defaults to 4096 for Anthropic (the largest output every
	// Claude model accepts; langchaingo would send 2048), 8192 for Google
	// (langchaingo would send 2048), and Ollama's own default (the model's
	// num_predict) for Ollama.
	MaxTokens int
	// Temperature is sent when a Request leaves Temperature nil. Optional.
	// Defaults to the API's documented default: 1.0 for Anthropic and
	// Google, 0.8 for Ollama. A default is needed because langchaingo sends
	// a temperature on every call (0 for anthropic and ollama, 0.5 for
	// googleai when none is set); for Ollama it overrides a temperature
	// set in the model's Modelfile.
	Temperature *float64
}

func (c ProviderConfig) temperature(def float64) *float64 {
	if c.Temperature != nil {
		return llm.Temp(*c.Temperature)
	}
	return llm.Temp(def)
}

// OpenAnthropic returns Anthropic's Messages API model through langchaingo's
// anthropic client. It does not touch the network. A missing API key is an
// error matching llm.ErrAuth that names ANTHROPIC_API_KEY.
//
// langchaingo v0.1.14 ignores tool choice and JSON mode for Anthropic: a
// Request's ToolChoice is advisory and its Schema is asked for in the
// system prompt only.
func OpenAnthropic(model string, cfg ProviderConfig) (*Model, error) {
	if model == "" {
		return nil, errors.New("langchain: anthropic: no model name")
	}
	key := cmp.Or(cfg.APIKey, os.Getenv(EnvAnthropicKey))
	if key == "" {
		return nil, fmt.Errorf("langchain: anthropic: %w: no API key (set %s or ProviderConfig.APIKey)", llm.ErrAuth, EnvAnthropicKey)
	}
	opts := []anthropic.Option{anthropic.WithToken(key), anthropic.WithModel(model)}
	if base := cmp.Or(cfg.BaseURL, os.Getenv(EnvAnthropicBaseURL)); base != "" {
		opts = append(opts, anthropic.WithBaseURL(anthropicBaseURL(base)))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, anthropic.WithHTTPClient(cfg.HTTPClient))
	}
	m, err := anthropic.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("langchain: anthropic: %w", err)
	}
	return New(m, Config{
		Provider:           llm.ProviderAnthropic,
		Model:              model,
		Dialect:            DialectSplit,
		DefaultTemperature: cfg.temperature(1.0),
		DefaultMaxTokens:   cmp.Or(cfg.MaxTokens, 4096),
		MapError:           anthropic.MapError,
	}), nil
}

// anthropicBaseURL accepts Anthropic's base URL with or without the "/v1"
// that langchaingo expects.
func anthropicBaseURL(base string) string {
	base = strings.TrimRight(base, "/")
	if !strings.HasSuffix(base, "/v1") {
		base += "/v1"
	}
	return base
}

// OpenGoogle returns a Gemini model through langchaingo's googleai client.
// A missing API key is an error matching llm.ErrAuth that names
// GOOGLE_API_KEY and GEMINI_API_KEY. Call Close when done with the model.
//
// Construction sends no request and does not wait on the network, but the
// genai client it builds holds a gRPC channel for its prompt-cache service
// that starts connecting in the background at once (google.golang.org/api
// dials with grpc.DialContext, which leaves idle mode immediately); Close
// releases it. Generation itself uses the REST API.
func OpenGoogle(ctx context.Context, model string, cfg ProviderConfig) (*Model, error) {
	if model == "" {
		return nil, errors.New("langchain: google: no model name")
	}
	key := cmp.Or(cfg.APIKey, os.Getenv(EnvGoogleKey), os.Getenv(EnvGeminiKey))
	if key == "" {
		return nil, fmt.Errorf("langchain: google: %w: no API key (set %s or %s, or ProviderConfig.APIKey)", llm.ErrAuth, EnvGoogleKey, EnvGeminiKey)
	}
	opts := []googleai.Option{googleai.WithAPIKey(key), googleai.WithDefaultModel(model)}
	if cfg.HTTPClient != nil {
		opts = append(opts, googleai.WithHTTPClient(withAPIKey(cfg.HTTPClient, key)))
	}
	if cfg.BaseURL != "" {
		opts = append(opts, func(o *googleai.Options) {
			o.ClientOptions = append(o.ClientOptions, option.WithEndpoint(cfg.BaseURL))
		})
	}
	m, err := googleai.New(ctx, opts...)
	if err != nil {
		if m != nil {
			_ = m.Close()
		}
		return nil, fmt.Errorf("langchain: google: %w", err)
	}
	return New(m, Config{
		Provider:           llm.ProviderGoogle,
		Model:              model,
		Dialect:            DialectGrouped,
		DefaultTemperature: cfg.temperature(1.0),
		DefaultMaxTokens:   cmp.Or(cfg.MaxTokens, 8192),
		MapError:           googleai.MapError,
	}), nil
}

// withAPIKey returns a copy of c whose requests carry Google's API key
// header, unless they already do.
func withAPIKey(c *http.Client, key string) *http.Client {
	cc := *c
	base := cc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cc.Transport = keyTransport{base: base, key: key}
	return &cc
}

type keyTransport struct {
	base http.RoundTripper
	key  string
}

func (t keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("x-goog-api-key") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("x-goog-api-key", t.key)
	}
	return t.base.RoundTrip(r)
}

// OpenOllama returns a model served by Ollama's native API (/api/chat)
// through langchaingo's ollama client. It does not touch the network.
//
// langchaingo v0.1.14's ollama client has no tool support, so the model
// uses DialectText: requests with Tools fail with llm.ErrBadRequest (reach
// Ollama's OpenAI-compatible endpoint for tool calling). Request.Schema
// turns on Ollama's JSON format.
func OpenOllama(model string, cfg ProviderConfig) (*Model, error) {
	if model == "" {
		return nil, errors.New("langchain: ollama: no model name")
	}
	base, err := OllamaBaseURL(cmp.Or(cfg.BaseURL, os.Getenv(EnvOllamaHost)))
	if err != nil {
		return nil, fmt.Errorf("langchain: ollama: %w", err)
	}
	opts := []ollama.Option{ollama.WithModel(model), ollama.WithServerURL(base)}
	if cfg.HTTPClient != nil {
		opts = append(opts, ollama.WithHTTPClient(cfg.HTTPClient))
	}
	m, err := ollama.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("langchain: ollama: %w", err)
	}
	return New(m, Config{
		Provider:           llm.ProviderOllamaNative,
		Model:              model,
		Dialect:            DialectText,
		DefaultTemperature: cfg.temperature(0.8),
		DefaultMaxTokens:   cfg.MaxTokens,
	}), nil
}

// OllamaBaseURL resolves an Ollama address as Ollama itself reads
// OLLAMA_HOST ("host", "host:port" or a URL; empty means DefaultOllamaURL)
// to the server's root URL, without a trailing slash or the "/v1" of the
// OpenAI-compatible API: without a scheme it is http with port 11434 by
// default; with a scheme the scheme's port is the default. An address that
// is not an http(s) URL is an error (langchaingo's ollama.WithServerURL
// would exit the process on it).
func OllamaBaseURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultOllamaURL, nil
	}
	if !strings.Contains(raw, "://") {
		hostport, path, _ := strings.Cut(raw, "/")
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), "11434")
		}
		raw = "http://" + hostport + "/" + path
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("bad Ollama URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("bad Ollama URL %q: want http(s)://host[:port]", raw)
	}
	u.Path = strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/v1")
	return strings.TrimRight(u.String(), "/"), nil
}
