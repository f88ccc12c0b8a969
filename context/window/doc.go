// Package window decides what a model sees on each call. A Transcript is
// an append-only log of messages plus recorded edits; a Manager renders the
// view for each call through a pipeline of Policies (prune, offload,
// summarize, …, each in its own package) and guarantees the result fits
// the budget.
//
// Nothing is ever deleted: a policy records an Edit (replace some messages,
// or summarize a run of them) and the view is rendered from the log and
// every edit so far. So a run replays at full fidelity, every token saved
// is accounted for in Edit.TokensFreed, and an edit once made renders the
// same way on every later call, which keeps the prompt prefix stable for
// provider caches.
//
//	t, _ := window.NewTranscript(llm.System("You research."), llm.User(question))
//	m := &window.Manager{Tokenizer: tokens.ForModel("gpt-4.1"), Policies: policies}
//	for {
//		view, report, err := m.Prepare(ctx, t, tools, window.BudgetFor(info, 0))
//		if err != nil { … } // *OverBudgetError names what is too big
//		resp, err := model.Generate(ctx, llm.Request{Messages: view, Tools: tools})
//		t.Append(resp.Message)
//		// … run the tools, t.Append(results…)
//	}
//
// Guarantees of Prepare: the view never exceeds Budget.Limit(); no tool
// call or result is orphaned; system, user and pinned messages are kept;
// the same log, edits and configuration give a byte-identical view.
package window
