package openai_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/openai"
)

// exampleServer stands in for an OpenAI-compatible server such as Ollama.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"qwen3:8b",
			"choices":[{"index":0,"message":{"role":"assistant","content":"Goroutines, channels and fast builds."},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":21,"completion_tokens":8,"total_tokens":29}}`)
	}))
}

func ExampleModel_Generate() {
	srv := exampleServer()
	defer srv.Close()

	// A local server needs no API key; its URL usually ends in /v1.
	model, err := openai.New(openai.Config{Model: "qwen3:8b", BaseURL: srv.URL + "/v1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := model.Generate(context.Background(), llm.Request{
		Messages:    []llm.Message{llm.User("Name three strengths of Go.")},
		Temperature: llm.Temp(0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Message.Text())
	fmt.Println(resp.FinishReason, resp.Usage.Input, resp.Usage.Output)
	// Output:
	// Goroutines, channels and fast builds.
	// stop 21 8
}
