package isolate_test

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/context/isolate"
	"github.com/deepctx/deepctx/context/tokens"
)

func ExampleRun() {
	fetch := isolate.Tool{
		Def: llm.ToolDef{Name: "fetch", Description: "Fetch a web page."},
		Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
			return llm.ToolResult{Content: "<html>… 30,000 tokens about Go 1.23 …</html>"}
		},
	}
	model := scripted.New(
		scripted.Call("fetch", `{"url":"https://go.dev/doc/go1.23"}`),
		scripted.Call("delete_file", `{"path":"/"}`), // not in scope
		scripted.Text("Go 1.23 (August 2024) added range-over-func iterators. Source: https://go.dev/doc/go1.23"),
	)

	res, err := isolate.Run(context.Background(), isolate.Config{
		Model:        model,
		Tokenizer:    tokens.ForModel("gpt-4.1"),
		Tools:        []isolate.Tool{fetch},
		MaxToolCalls: 5,
		ReturnBudget: 200,
	}, "When did Go get iterators? Cite the source.")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Stop, res.ToolCalls, "tool calls,", res.ModelCalls, "model calls")
	fmt.Println(res.Transcript.Messages()[5].ToolResults()[0].Content)

	// What the parent's transcript receives for its own tool call:
	fmt.Println(isolate.AsToolResult(res, "call_7", "conduct_research").Content)
	// Output:
	// answered 2 tool calls, 3 model calls
	// tool "delete_file" is not available to this sub-agent; available tools: fetch
	// Go 1.23 (August 2024) added range-over-func iterators. Source: https://go.dev/doc/go1.23
}
