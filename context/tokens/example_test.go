package tokens_test

import (
	"encoding/json"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
)

func ExampleEncoderFor() {
	enc, err := tokens.EncoderFor(tokens.O200kBase)
	if err != nil {
		panic(err)
	}
	fmt.Println(enc.Count("hello world"))
	fmt.Println(enc.Count("tiktoken is great!"))
	// Output:
	// 2
	// 6
}

func ExampleLookup() {
	for _, name := range []string{"openai:gpt-4.1-2025-04-14", "ollama:qwen3:8b", "my-local-finetune"} {
		info, known := tokens.Lookup(name)
		fmt.Printf("%s known=%t window=%d output=%d exact=%t\n",
			info.Name, known, info.ContextWindow, info.MaxOutput, info.Exact)
	}
	// Output:
	// gpt-4.1 known=true window=1047576 output=32768 exact=true
	// qwen3 known=true window=32768 output=8192 exact=false
	// my-local-finetune known=false window=8192 output=4096 exact=false
}

// The example conversation of OpenAI's token-counting cookbook, for which the
// API reports 124 prompt tokens on gpt-4o.
func ExampleTokenizer_CountMessages() {
	tok := tokens.ForModel("openai:gpt-4o")
	msgs := []llm.Message{
		llm.System("You are a helpful assistant that can answer to questions about the weather."),
		llm.User("What's the weather like in San Francisco?"),
	}
	tools := []llm.ToolDef{{
		Name:        "get_current_weather",
		Description: "Get the current weather in a given location",
		Parameters: json.RawMessage(`{"type":"object","properties":{
			"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
			"unit":{"type":"string","description":"The unit of temperature to return","enum":["celsius","fahrenheit"]}},
			"required":["location"]}`),
	}}
	fmt.Println(tok.CountMessages(msgs, nil))
	fmt.Println(tok.CountMessages(msgs, tools))
	// Output:
	// 33
	// 101
}

func ExampleCalibrator() {
	cal := tokens.NewCalibrator(tokens.CalibratorConfig{})
	tok := tokens.New(tokens.Resolve("anthropic:claude-sonnet-4-5", nil), tokens.Options{Calibrator: cal})
	msgs := []llm.Message{llm.User("Compare the context-editing features of three agent SDKs.")}

	before := tok.Estimate(msgs, nil)
	// The provider's usage said the request held 10% fewer tokens than
	// estimated: later estimates follow.
	tok.Observe(msgs, nil, before*9/10)
	ratio, samples := cal.Ratio("claude-sonnet-4-5")
	fmt.Printf("estimate %d -> %d (ratio %.2f over %d request)\n", before, tok.Estimate(msgs, nil), ratio, samples)
	// Output:
	// estimate 25 -> 22 (ratio 0.88 over 1 request)
}

func ExampleModels() {
	for _, m := range tokens.Models() {
		if m.Provider == "google" {
			fmt.Println(m.Name, m.ContextWindow, m.MaxOutput)
		}
	}
	// Output:
	// gemini-2.0-flash 1048576 8192
	// gemini-2.0-flash-lite 1048576 8192
	// gemini-2.5-flash 1048576 65536
	// gemini-2.5-flash-lite 1048576 65536
	// gemini-2.5-pro 1048576 65536
}
