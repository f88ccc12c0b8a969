package research_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/provider"
	"github.com/deepctx/deepctx/agent/research"
)

func TestBudgetModelIsTheSmallestWindow(t *testing.T) {
	assert.Equal(t, "gpt-4.1", research.BudgetModel("extractive"))
	assert.Equal(t, "gpt-4.1", research.BudgetModel("openai:gpt-4.1"))
	assert.Equal(t, "gpt-4o", research.BudgetModel("openai:gpt-4.1", "openai:gpt-4o"), "gpt-4o's 128k window is smaller than gpt-4.1's 1M")
	assert.Equal(t, "gpt-4.1", research.BudgetModel("openai:gpt-4.1", "ollama:some-unknown-model"))
}

func TestOpenModels(t *testing.T) {
	m, err := research.OpenModels(research.ModelSetup{}, provider.Options{})
	require.NoError(t, err)
	assert.Equal(t, llm.ProviderExtractive, m.Description, "no setup: the offline engine")
	assert.Equal(t, research.DefaultTokenizerModel, m.BudgetModel)

	m, err = research.OpenModels(research.ModelSetup{
		Default: "openai:gpt-4.1",
		Roles:   map[llm.CallRole]string{llm.CallWriter: "openai:gpt-4o", llm.CallCompressor: "extractive"},
		BaseURL: "http://127.0.0.1:9/v1",
	}, provider.Options{Endpoints: map[string]provider.Endpoint{"openai": {APIKey: "k"}}})
	require.NoError(t, err)
	assert.Equal(t, "openai:gpt-4.1 (compressor=extractive, writer=openai:gpt-4o)", m.Description, "roles sorted")
	assert.Equal(t, "gpt-4o", m.BudgetModel)
	require.NotNil(t, m.Router)

	_, err = research.OpenModels(research.ModelSetup{Default: "nope:"}, provider.Options{})
	require.Error(t, err)
}
