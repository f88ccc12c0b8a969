// Package scripted is a deterministic llm.Model for tests: it answers with
// replies and tool calls written in advance, or computed from the request,
// and records every request it receives so tests can assert on them.
//
//	m := scripted.New(
//		scripted.Call("search", `{"q":"go iterators"}`),
//		scripted.Text("Iterators arrived in Go 1.23."),
//	)
//	resp, err := m.Generate(ctx, llm.Request{Messages: []llm.Message{llm.User("When?")}})
//	// resp.Message.ToolCalls()[0].ID == "call_1"; the next call answers with text.
//
// A Model can keep a separate script per llm.CallRole (Config.Roles), so the
// turn order of each role stays deterministic while agents call the same
// model for several roles concurrently. When a script runs out the call
// fails with an *ExhaustedError (errors.Is ErrExhausted), unless
// Config.OnExhausted says to repeat the last turn or loop.
//
// Identifiers are deterministic: every script numbers its replies
// ("msg_1", "msg_2", …) and the tool calls that have no ID ("call_1",
// "call_2", …). A role script prefixes them with the role
// ("researcher_msg_1", "researcher_call_1"), and Config.IDPrefix with
// anything else, so IDs are unique within one Model; give Models that write
// into one transcript distinct IDPrefixes.
//
// Usage, when a turn does not give it, is EstimateUsage: about one token per
// four bytes of content, so token accounting is testable too.
//
// Stream splits the reply into several events (text by words, tool-call
// arguments in pieces) before the final llm.EventDone, exercising callers'
// stream accumulation.
package scripted
