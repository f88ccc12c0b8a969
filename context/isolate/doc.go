// Package isolate runs sub-agents: a model working on one brief in a fresh
// transcript of its own, seeded only with its instructions and the brief,
// with a scoped tool set, its own context engine and budget, and a cap on
// its tool calls. It returns at most ReturnBudget tokens (compressed by a
// model, truncated as a last resort) plus the handles of any artifacts it
// stored; its raw tool results stay in its own transcript and never reach
// the parent's.
//
// Isolation is how read-heavy work fans out without flooding the lead
// agent's context: a researcher may read fifty pages, and the supervisor
// sees a page of findings. Decisions and writes stay in the parent's
// single thread.
//
//	res, err := isolate.Run(ctx, isolate.Config{
//		Model:        router,
//		Tokenizer:    tokens.ForModel("gpt-4.1"),
//		Tools:        []isolate.Tool{search, fetch},
//		MaxToolCalls: 15,
//		ReturnBudget: 1000,
//	}, "Find the 2024 benchmark results of X, with sources.")
//	// In the parent's loop, answering its conduct_research call:
//	parent.Append(llm.Tool(isolate.AsToolResult(res, call.ID, call.Name)))
//
// Tool is window.Tool, the context engine's two-field tool contract
// (definition and run function), rather than the agent's tool interface,
// because packages under context/ may not import agent/tool; notes.Tools
// can be passed as they are.
package isolate
