// Package notes is the agent's scratchpad: a small text, typically a plan
// with a checklist of what is done and what is left, that the agent
// rewrites through tools as it works and that the context engine recites
// at the end of every view, as Manus recites its todo.md. Recited last,
// the plan sits in the model's most recent attention however many tool
// calls came before, which keeps long runs on task.
//
// Notes implements window.Recitation; the recited message is a user
// message whose ID is a hash of its content, so unchanged notes keep the
// view byte-identical from call to call. Tools gives the model
// write_notes, append_notes and read_notes; Save and Load persist the notes
// with the run so that it can resume.
//
//	n := notes.New(notes.Config{})
//	m := &window.Manager{Tokenizer: tok, Policies: policies, Recite: n}
//	tools := notes.Tools(n) // offer them to the model next to the others
//	view, report, err := m.Prepare(ctx, transcript, defs, budget)
//	// view ends with "[Your notes]\n…" once the model has written some.
//
// The package depends only on agent/llm: its Tool type is the same
// two-field struct as isolate.Tool, defined here so that the package
// stays independent of the agent's tool registry.
package notes
