package notes_test

import (
	"context"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/notes"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

func Example() {
	n := notes.New(notes.Config{})
	write := notes.Tools(n)[0] // write_notes

	// The model rewrites its plan through the tool…
	res := write.Run(context.Background(), llm.ToolCall{
		ID:   "call_1",
		Name: notes.WriteToolName,
		Args: []byte(`{"text":"- [x] find the release notes\n- [ ] compare the benchmarks"}`),
	})
	fmt.Println(res.Content)

	// …and the Manager recites it at the end of every view.
	m := &window.Manager{Tokenizer: tokens.ForModel("gpt-4.1"), Recite: n}
	t, _ := window.NewTranscript(llm.System("You research."), llm.User("Is Go 1.26 faster?"))
	view, _, _ := m.Prepare(context.Background(), t, nil, window.Budget{Window: 8000})
	last := view[len(view)-1]
	fmt.Println(last.Role)
	fmt.Println(last.Text())
	fmt.Println(len(n.Pending()), "item left")
	// Output:
	// Notes saved (57 of 8192 bytes).
	// user
	// [Your notes]
	// - [x] find the release notes
	// - [ ] compare the benchmarks
	// 1 item left
}
