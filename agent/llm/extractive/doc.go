// Package extractive is deepctx's offline engine: an llm.Model that needs no
// language model. It runs the deep-research agent (agent/research) with
// classic, non-neural algorithms chosen by Request.Role, so that
// `deepctx research` works on a machine without a key, and so that every LLM
// configuration has a baseline to beat in the eval harness.
//
// It is not an LLM and does not pretend to be one: it cannot follow
// instructions, it never writes a sentence of its own into findings or
// reports (every claim is quoted verbatim from a source passage, with its
// key), and it understands only the request shapes listed below. Responses
// name the model "extractive".
//
//	m := extractive.New(extractive.Options{})
//	resp, err := m.Generate(ctx, llm.Request{
//		Role:     llm.CallPlanner,
//		Schema:   &llm.ResponseSchema{Name: "research_brief"},
//		Messages: []llm.Message{llm.User("# Question\nHow does Go's garbage collector keep pauses short?")},
//	})
//	// resp.Message.Text(): {"brief":"How does …","sub_questions":["How does …"]}
//
// # Protocol
//
// User messages are Markdown with "# " sections; only the names below
// start a section, so a report's own "# Title" inside "# Report" is read
// as part of it. Source keys are "[id#n]" (id of [A-Za-z0-9_.-], n decimal).
// Search results are read as
//
//	Found 2 passages for "garbage collector":
//
//	[3fa9c2e01b7d#12] Title — path
//	passage text, possibly several lines
//
// and read_document results as a "Document id: title — path (chunks a-b of
// n)" line, then "[id#n]" lines each followed by the chunk's text. Any tool
// result is scanned the same way: a line starting with a key opens a
// passage, so results truncated or offloaded by the context engine yield
// whatever passages survive in them.
//
// By role:
//
//   - planner, Schema.Name "clarify_decision" (# Question): replies
//     {"need_clarification","question","verification"}; it asks only when
//     the question has fewer than two content words (words that are not
//     stopwords), and the verification restates the question.
//   - planner, Schema.Name "research_brief" (# Question, optional
//     # Clarifications): replies {"brief","sub_questions"}. The brief is the
//     question followed by the clarifications. Sub-questions (1 to 5,
//     deduplicated by content words): one per question mark or sentence;
//     compound clauses ("What is X and how does it …") split at the
//     conjunction, a pronoun in the second clause replaced by the first
//     clause's best key phrase; enumerations ("… of A, B and C") expanded
//     into one question per item. A single simple question yields itself
//     plus up to two questions about its best RAKE key phrases (candidate
//     phrases delimited by stopwords and punctuation, scored by the sum of
//     their words' degree/frequency).
//   - planner with the conduct_research tool (the supervisor; first user
//     message # Research brief, # Sub-questions, # Limits with
//     max_concurrent_researchers and max_iterations, defaults 3 and 4):
//     dispatches one conduct_research {"topic"} per sub-question, at most
//     max_concurrent_researchers per reply, the rest in later replies;
//     re-dispatches topics whose result was refused ("not run…"); once every
//     sub-question has been answered, retries once each topic whose findings
//     hold no source key, with a reformulated topic (its top three key
//     phrases), unless the reformulation is the topic itself or a retry
//     already; then calls research_complete {}. It calls think only to wait
//     for outstanding results, and research_complete whenever
//     max_iterations assistant turns have been taken or tool choice is
//     "none".
//   - researcher (tools search {"query","k"} and read_document
//     {"id","offset","limit"}; argument names follow the tool's schema when
//     it names them differently): the topic is the first user message. One
//     search per reply: the topic, then up to MaxSearches-1 of its key
//     phrases, until a search brings no new key (unless nothing was found
//     yet); then, in one reply, read_document around the most relevant
//     passages of at most MaxReads unread documents (offset chunk-1, limit
//     3), only where a neighbouring chunk is unseen; then the findings, with
//     no tool call. Tool choice "none", no tools, or MaxToolCalls calls in
//     the transcript: the findings at once. Findings are
//     "Findings on: <topic>\n\n- <sentence> [key]\n…": sentences quoted
//     verbatim from every passage of the tool results, complete prose only
//     (no fragments, headings, tables or code), chosen by maximal marginal
//     relevance (λ = Lambda) over TF-IDF cosine similarity to the topic, at
//     most MaxFindings, three per passage, near-duplicates (cosine above
//     Redundancy) skipped. Without any passage: "Findings on: <topic>\n\nNo
//     sources found."
//   - compressor (the context engine's "Brief: …\n\nAnswer to compress: …",
//     or any text): keeps the lines that carry a source key, most relevant
//     to the brief (or the answer's first line) first, within
//     Request.MaxTokens counted with Options.Tokenizer, in their original
//     order under their "Findings on:" headers; 0 keeps every keyed line.
//     An answer without keys is cut to its most relevant sentences.
//   - summarizer: summarize.Extractive (TextRank) over the request's
//     non-system messages within Request.MaxTokens; a request written by
//     summarize.Model is unwrapped to its transcript, its task used as the
//     focus.
//   - writer (# Research brief, # Sub-questions, # Findings): a Markdown
//     report: "# <the brief's first sentence>", "## Summary" with the
//     findings most relevant to the brief and sub-questions (a quarter of
//     them, 1 to SummarySentences), then "## <sub-question>" sections, each
//     holding the unused findings most similar to it by TF-IDF (every
//     finding goes to the sub-question it is most similar to, at most
//     SectionSentences per section); a sub-question no finding relates to
//     gets no section. Each sentence is quoted verbatim and followed by its
//     keys; no sentence is used twice; there is no Sources list. Without
//     findings: the Summary says "No findings were available."
//   - writer with # Report and # Critique (revise): removes body sentences
//     without a key, or whose keys are all missing from # Findings (other
//     unresolved keys are dropped), and those the optional # Claim check
//     lists (same words, or one containing the other; the findings they
//     quote are not used again); drops the key of each "unsupported
//     citation [key] in: <claim>" or "invalid citation [key] in: <claim>"
//     line of # Claim check from the sentences that claim matches (the
//     sentence goes only when no good key is left); adds the most similar unused findings to
//     each sub-question the critique names ("uncovered: <sub-question>") or
//     whose section was emptied, creating its section if needed; refills an
//     emptied Summary; keeps everything else.
//   - critic, Schema.Name "critique" (# Research brief, # Sub-questions,
//     # Findings, # Report, optional # Citation check and # Claim check):
//     replies {"score","issues","uncovered"}. Issues: "uncited: <sentence>"
//     per body sentence of four words or more without a key; "unresolved
//     citation [key]: …" per key not in the findings; "citation check:
//     <line>" per line of # Citation check; "unsupported: <claim>" and
//     "invalid citation: <claim>" per "unsupported: "/"invalid: " item of
//     # Claim check (the agent's claim-level verifier), and each
//     "unsupported citation [key] in: <claim>"/"invalid citation [key] in:
//     <claim>" item of it as is; "uncovered: <sub-question>" per
//     sub-question fewer than half of whose content words appear in the
//     report's body (headings excluded). Score = 1 −
//     (0.10 per uncited sentence + 0.15 per unresolved key + 0.05 per check
//     line + 0.10 per unsupported claim or citation + 0.15 per invalid
//     one + 0.40 × share of sub-questions uncovered + 0.50 if nothing is
//     cited), clamped to [0, 1] and rounded to three decimals. Findings
//     without any key score 0.
//
// A request without a Role is routed by its schema, tools and sections. Any
// other role (judge included) and any request that fits none of the shapes
// above fail with an *llm.ProviderError matching llm.ErrBadRequest: the
// engine does not guess answers to free-form prompts.
//
// Every reply is deterministic: the same request gives the same response,
// byte for byte, message and tool-call IDs included (they derive from a
// digest of the request). Usage counts the request with
// Tokenizer.CountRequest, and the reply's text, tool names and arguments
// with Tokenizer.Count plus tokens.ToolCallTokens per call. Finish reasons are "tool_calls" or "stop". Cancellation
// of ctx is honoured. Stream is llm.StreamOf over Generate.
package extractive
