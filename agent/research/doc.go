// Package research is the deep-research agent: Open Deep Research's
// architecture on deepctx's graph runtime and context engine.
//
// A run is a graph of checkpointed stages:
//
//	clarify -> ask (optional: the planner may pause the run to ask the user)
//	  -> brief (the planner turns the question into a brief and sub-questions)
//	  -> supervisor <-> researchers (conduct_research, think, research_complete;
//	     up to MaxConcurrentResearchers isolated researchers in parallel,
//	     MaxSupervisorIterations turns)
//	  -> write (a Markdown report citing passages)
//	  -> critique <-> revise (up to MaxCritiqueRounds revisions, stopping when
//	     a revision scores no better)
//	  -> finish (the best-scored draft, its citations verified)
//
// Each researcher is a sub-agent (context/isolate) with its own transcript and
// context engine (context/engine.DefaultPolicy: offload, prune, summarize)
// inside the budget; it searches the Corpus, reads around promising passages
// and returns compressed findings that cite passages by source key
// ("[3fa9c2e01b7d#12]"). The supervisor sees only those findings, never a
// researcher's tool results; the supervisor's own transcript runs through the
// same context engine.
//
// Citations are the agent's job, not the model's: the writer cites source
// keys, and the agent numbers them [1], [2], … in order of first use,
// resolves each against the Corpus, drops (and reports to the critic) any
// that do not resolve, and appends the Sources list. Verify checks a finished
// report the same way. Each draft is then checked claim by claim against the
// corpus (agent/research/verify, the verifier the evaluation harness scores
// with; offline lexical support): Draft.Verification keeps the counts,
// citation accuracy and the unsupported or invalid claims, which the critic
// is shown (# Claim check) and the revision must fix or drop.
//
// Models are chosen per role through the request's llm.CallRole (planner,
// researcher, compressor, summarizer, writer, critic): pass an *llm.Router to
// give each role its own model. With the offline engine
// (agent/llm/extractive) the agent runs with no LLM at all.
//
// Every model call, tool call, context measurement ("context" events),
// researcher step ("researcher" events), draft verification ("verification"
// events) and critique ("critique" events) is
// an event of the graph run; pass graph.WithSinks to Run to record or display
// them. With a persistent Config.Checkpoints a killed run resumes without
// repeating finished stages or finished researchers.
//
// Minimal use:
//
//	idx, err := search.Open("index", search.Options{})
//	...
//	_, err = idx.Add(ctx, "docs/")
//	agent, err := research.New(research.Config{
//		Model:  extractive.New(extractive.Options{}), // or an *llm.Router
//		Corpus: research.IndexCorpus(idx),
//	})
//	res, err := agent.Run(ctx, "How does the Go scheduler preempt goroutines?")
//	fmt.Println(res.Report)
package research
