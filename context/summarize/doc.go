// Package summarize condenses context: compaction of a transcript that
// nears its budget, as Anthropic's and Codex's auto-compaction do, and
// summarization of large tool results before they enter a transcript, as
// Open Deep Research does with every fetched page.
//
// A Summarizer turns messages into text within a token budget. Model asks
// a model (llm.CallSummarizer role, replaceable instructions, by default
// DefaultInstructions: goal, progress, facts with their sources, open
// questions, next steps). Extractive needs no model: TextRank over TF-IDF
// sentence similarity, biased toward the task, with a bonus for sentences
// carrying numbers, URLs, names and quotes; it keeps the tool, call,
// arguments and artifact handle of every summarized tool result, so facts
// stay attributable and recoverable.
//
// New returns the compaction policy, a window.Policy: past TriggerFraction
// of the budget it replaces everything but the protected messages (system,
// user, pinned) and the last KeepRecent turns with one summary, recorded as
// a window.EditSummarize. It never splits a tool call from its results,
// records nothing when the summarizer fails, and folds an earlier summary
// into the next one, so the view always holds at most one.
//
//	m := &window.Manager{
//		Tokenizer: tokens.ForModel("gpt-4.1"),
//		Policies: []window.Policy{
//			summarize.New(summarize.Model(router, summarize.ModelConfig{}), summarize.Config{}),
//		},
//	}
//
// Ingest condenses one tool result to a token budget:
//
//	page, err = summarize.Ingest(ctx, summarize.Extractive(summarize.ExtractiveConfig{}), page, 1500, tok)
package summarize
