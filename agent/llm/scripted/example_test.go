package scripted_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
)

func Example() {
	m := scripted.New(
		scripted.Call("search", `{"q":"go iterators"}`),
		scripted.Text("Range-over-func iterators arrived in Go 1.23."),
	)
	ctx := context.Background()
	req := llm.Request{Messages: []llm.Message{llm.User("When did Go get iterators?")}}

	first, _ := m.Generate(ctx, req)
	call := first.Message.ToolCalls()[0]
	fmt.Println(first.FinishReason, call.ID, call.Name, string(call.Args))

	second, _ := m.Generate(ctx, req)
	fmt.Println(second.Message.ID, second.Message.Text())

	_, err := m.Generate(ctx, req)
	fmt.Println(errors.Is(err, scripted.ErrExhausted), err)
	// Output:
	// tool_calls call_1 search {"q":"go iterators"}
	// msg_2 Range-over-func iterators arrived in Go 1.23.
	// true scripted: script exhausted: 2 turn(s) scripted, call 3 has none
}
