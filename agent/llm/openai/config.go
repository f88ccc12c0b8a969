package openai

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	oai "github.com/sashabaranov/go-openai"
)

// APIType selects the flavour of the chat-completions API.
type APIType string

// The supported API flavours.
const (
	// APITypeOpenAI is api.openai.com and every OpenAI-compatible server
	// (Ollama, vLLM, llama.cpp, OpenRouter…): Bearer auth, BaseURL + "/chat/completions".
	APITypeOpenAI APIType = "openai"
	// APITypeAzure is Azure OpenAI: "api-key" auth,
	// BaseURL + "/openai/deployments/{Model}/chat/completions?api-version={APIVersion}".
	APITypeAzure APIType = "azure"
)

// Names of the request field that carries llm.Request.MaxTokens.
const (
	// MaxCompletionTokens is OpenAI's current field; reasoning models accept
	// only this one.
	MaxCompletionTokens = "max_completion_tokens"
	// MaxTokens is the legacy field most OpenAI-compatible servers know.
	MaxTokens = "max_tokens"
)

// Defaults used when the corresponding Config field is empty.
const (
	// DefaultBaseURL is OpenAI's API endpoint.
	DefaultBaseURL = "https://api.openai.com/v1"
	// DefaultAzureAPIVersion is the Azure OpenAI API version used when none
	// is configured.
	DefaultAzureAPIVersion = "2024-10-21"
)

// Environment variables read by Config.WithEnv.
const (
	EnvAPIKey        = "OPENAI_API_KEY"
	EnvBaseURL       = "OPENAI_BASE_URL"
	EnvOrganization  = "OPENAI_ORG_ID"
	EnvAzureAPIKey   = "AZURE_OPENAI_API_KEY"
	EnvAzureEndpoint = "AZURE_OPENAI_ENDPOINT"
	EnvAPIVersion    = "OPENAI_API_VERSION"
)

// Config configures a Model. Only Model is required; call WithEnv to fill
// the key and endpoint from the usual environment variables.
type Config struct {
	// Model is the model name sent with every request ("gpt-4.1",
	// "qwen3:8b"…). For Azure it is the deployment name. Required.
	Model string
	// APIKey authenticates requests. Optional for a custom BaseURL (a local
	// Ollama, vLLM or llama.cpp server usually needs none); required for
	// api.openai.com and Azure. Defaults to none.
	APIKey string
	// BaseURL is the API root, e.g. "http://localhost:11434/v1" for Ollama
	// or "https://RESOURCE.openai.azure.com" for Azure. Optional for OpenAI.
	// Defaults to DefaultBaseURL; required for Azure.
	BaseURL string
	// Organization is sent as the OpenAI-Organization header. Optional.
	// Defaults to none (the key's default organization).
	Organization string
	// APIType selects OpenAI or Azure. Optional. Defaults to APITypeOpenAI.
	APIType APIType
	// APIVersion is the Azure "api-version" query parameter; ignored for
	// APITypeOpenAI. Optional. Defaults to DefaultAzureAPIVersion.
	APIVersion string
	// MaxTokensParam names the request field that carries
	// llm.Request.MaxTokens: MaxCompletionTokens or MaxTokens. Optional.
	// Defaults to MaxCompletionTokens for api.openai.com and Azure, and to
	// MaxTokens for any other BaseURL, since many compatible servers only
	// know the legacy field.
	MaxTokensParam string
	// HTTPClient sends the requests. Optional. Defaults to a client without
	// timeout: calls end with their context.
	HTTPClient *http.Client
	// Provider names the provider in errors (llm.ProviderError.Provider).
	// Optional. Defaults to "openai", or "azure" for APITypeAzure.
	Provider string
}

// WithEnv returns a copy of c whose empty fields are filled from the
// environment. For APITypeOpenAI: APIKey from OPENAI_API_KEY, BaseURL from
// OPENAI_BASE_URL, Organization from OPENAI_ORG_ID. For APITypeAzure: APIKey
// from AZURE_OPENAI_API_KEY, BaseURL from AZURE_OPENAI_ENDPOINT, APIVersion
// from OPENAI_API_VERSION. Fields already set are kept.
func (c Config) WithEnv() Config {
	fill := func(field *string, env string) {
		if *field == "" {
			*field = os.Getenv(env)
		}
	}
	if c.APIType == APITypeAzure {
		fill(&c.APIKey, EnvAzureAPIKey)
		fill(&c.BaseURL, EnvAzureEndpoint)
		fill(&c.APIVersion, EnvAPIVersion)
		return c
	}
	fill(&c.APIKey, EnvAPIKey)
	fill(&c.BaseURL, EnvBaseURL)
	fill(&c.Organization, EnvOrganization)
	return c
}

// withDefaults validates c and fills its optional fields.
func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.Model) == "" {
		return c, errors.New("openai: Config.Model is required")
	}
	switch c.APIType {
	case "", APITypeOpenAI:
		c.APIType = APITypeOpenAI
		c.APIVersion = ""
	case APITypeAzure:
		if c.APIVersion == "" {
			c.APIVersion = DefaultAzureAPIVersion
		}
	default:
		return c, fmt.Errorf("openai: unknown APIType %q (want %q or %q)", c.APIType, APITypeOpenAI, APITypeAzure)
	}
	if err := c.checkEndpoint(); err != nil {
		return c, err
	}
	if c.Provider == "" {
		c.Provider = string(c.APIType)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	return c, c.defaultMaxTokensParam()
}

// checkEndpoint fills the default BaseURL and checks that a key is present
// where the endpoint requires one.
func (c *Config) checkEndpoint() error {
	if c.BaseURL == "" && c.APIType == APITypeAzure {
		return fmt.Errorf("openai: Azure needs Config.BaseURL (or %s), e.g. https://RESOURCE.openai.azure.com", EnvAzureEndpoint)
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("openai: Config.BaseURL %q is not an http(s) URL", c.BaseURL)
	}
	if c.APIKey != "" || !c.needsKey() {
		return nil
	}
	if c.APIType == APITypeAzure {
		return fmt.Errorf("openai: no API key for Azure: set Config.APIKey or %s", EnvAzureAPIKey)
	}
	return fmt.Errorf("openai: no API key for %s: set Config.APIKey or %s (a custom Config.BaseURL needs none)", c.BaseURL, EnvAPIKey)
}

// needsKey reports whether the endpoint is one that always wants a key:
// Azure or OpenAI's own API.
func (c *Config) needsKey() bool {
	return c.APIType == APITypeAzure || c.official()
}

// official reports whether BaseURL points at api.openai.com.
func (c *Config) official() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && strings.EqualFold(u.Hostname(), "api.openai.com")
}

func (c *Config) defaultMaxTokensParam() error {
	switch c.MaxTokensParam {
	case MaxCompletionTokens, MaxTokens:
		return nil
	case "":
		c.MaxTokensParam = MaxTokens
		if c.needsKey() {
			c.MaxTokensParam = MaxCompletionTokens
		}
		return nil
	}
	return fmt.Errorf("openai: unknown Config.MaxTokensParam %q (want %q or %q)", c.MaxTokensParam, MaxCompletionTokens, MaxTokens)
}

// clientConfig returns the go-openai configuration for c, with the HTTP
// client wrapped in transport.
func (c Config) clientConfig() oai.ClientConfig {
	var cc oai.ClientConfig
	if c.APIType == APITypeAzure {
		cc = oai.DefaultAzureConfig(c.APIKey, c.BaseURL)
		cc.APIVersion = c.APIVersion
		// The deployment is exactly Config.Model, unlike go-openai's
		// default mapper, which rewrites some model names.
		cc.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		cc = oai.DefaultConfig(c.APIKey)
		cc.BaseURL = c.BaseURL
		cc.OrgID = c.Organization
	}
	cc.HTTPClient = transport{next: c.HTTPClient}
	return cc
}
