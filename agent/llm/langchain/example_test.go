package langchain_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/tmc/langchaingo/llms/fake"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/langchain"
)

// Wrap any langchaingo model, here langchaingo's own fake.
func ExampleNew() {
	m := langchain.New(fake.NewFakeLLM([]string{"Io, Europa and Ganymede."}), langchain.Config{Provider: "fake"})

	resp, err := m.Generate(context.Background(), llm.Request{
		Messages:    []llm.Message{llm.User("Name three moons of Jupiter.")},
		Temperature: llm.Temp(0),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Message.Text())
	fmt.Println(resp.FinishReason)
	// Output:
	// Io, Europa and Ganymede.
	// stop
}

// Stream from Ollama's native API; a stand-in server answers here as
// Ollama does, one JSON object per line.
func ExampleOpenOllama() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":"Hello"},"done":false}`)
		fmt.Fprintln(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":", world"},"done":false}`)
		fmt.Fprintln(w, `{"model":"qwen3:8b","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":12,"eval_count":3}`)
	}))
	defer srv.Close()

	m, err := langchain.OpenOllama("qwen3:8b", langchain.ProviderConfig{BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := llm.Request{Messages: []llm.Message{llm.User("Say hello.")}}
	for ev, err := range m.Stream(context.Background(), req) {
		if err != nil {
			fmt.Println(err)
			return
		}
		switch ev.Kind {
		case llm.EventText:
			fmt.Printf("%q\n", ev.Text)
		case llm.EventDone:
			u := ev.Response.Usage
			fmt.Printf("done: %d tokens in, %d out\n", u.Input, u.Output)
		}
	}
	// Output:
	// "Hello"
	// ", world"
	// done: 12 tokens in, 3 out
}
