package research

import (
	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/research/verify"
)

// State is the research graph's state, checkpointed after every step. It
// round-trips through encoding/json. Slices only grow (see the reducers in
// newGraph); counters add up.
type State struct {
	// Question is what the user asked.
	Question string `json:"question"`
	// Asked is the clarifying question put to the user, if any, and
	// Clarification the user's answer.
	Asked         *ClarifyingQuestion `json:"asked,omitempty"`
	Clarification string              `json:"clarification,omitempty"`
	// Brief is the research brief the planner wrote, and SubQuestions the
	// questions the report must answer.
	Brief        string   `json:"brief,omitempty"`
	SubQuestions []string `json:"sub_questions,omitempty"`
	// Supervisor is the supervisor's transcript: its system prompt, the
	// brief, its turns and the researchers' findings as tool results.
	// Researchers' own transcripts never enter it.
	Supervisor []llm.Message `json:"supervisor,omitempty"`
	// Iterations counts the supervisor's model calls.
	Iterations int `json:"iterations,omitempty"`
	// Dispatched counts the researchers the supervisor started; the
	// research round is over when every one has a Finding.
	Dispatched int `json:"dispatched,omitempty"`
	// ResearchDone is set when the supervisor called research_complete,
	// stopped calling tools, or ran out of iterations.
	ResearchDone bool `json:"research_done,omitempty"`
	// Findings are the researchers' compressed findings, in the order the
	// supervisor dispatched them.
	Findings []Finding `json:"findings,omitempty"`
	// Drafts are the report's versions: the writer's first draft, then
	// each revision, with their citations resolved.
	Drafts []Draft `json:"drafts,omitempty"`
	// Critiques are the critic's reviews; Critiques[i] reviews Drafts[i].
	Critiques []Critique `json:"critiques,omitempty"`
	// Final is the index in Drafts of the report chosen as the result,
	// plus one (0: not chosen yet).
	Final int `json:"final,omitempty"`
	// Usage sums the usage of every model call of the run.
	Usage llm.Usage `json:"usage"`
	// Warnings are problems the run worked around (a planner reply that
	// was not valid JSON, a failed researcher, …).
	Warnings []string `json:"warnings,omitempty"`
}

// Assignment is one conduct_research call: the input of a researcher task.
type Assignment struct {
	CallID string `json:"call_id"`
	Topic  string `json:"topic"`
	// Seq numbers the researchers of the run from 1, for progress output.
	Seq int `json:"seq"`
}

// Finding is what one researcher returned to the supervisor.
type Finding struct {
	Assignment
	// Text is the researcher's compressed answer, citing passages with
	// source keys ("[docid#chunk]").
	Text string `json:"text"`
	// Seen are the keys of every passage the researcher's tools returned.
	Seen []string `json:"seen,omitempty"`
	// Artifacts are handles of content the researcher offloaded.
	Artifacts []string `json:"artifacts,omitempty"`
	// ToolCalls and ModelCalls count the researcher's calls; Stop says
	// why its loop ended.
	ToolCalls  int    `json:"tool_calls"`
	ModelCalls int    `json:"model_calls"`
	Stop       string `json:"stop,omitempty"`
	// Usage is the researcher's usage, compression included.
	Usage llm.Usage `json:"usage"`
	// Err is why the researcher failed, if it did; Text then says so too.
	Err string `json:"error,omitempty"`
}

// Draft is one version of the report.
type Draft struct {
	// Keyed is the writer's text, citing with source keys.
	Keyed string `json:"keyed"`
	// Report is the Markdown report: citations numbered [n] and a Sources
	// list appended. Every [n] resolves to Sources[n-1].
	Report string `json:"report"`
	// Sources are the cited passages, numbered from 1 in order of first
	// citation.
	Sources []Source `json:"sources"`
	// Problems are what citation checking removed or found (unresolved
	// keys, uncited paragraphs), shown to the critic.
	Problems []string `json:"problems,omitempty"`
	// Verification is the claim-level check of Report's citations against
	// the corpus (verify.Check with the offline verify.Lexical
	// supporter): its counts, citation accuracy and the claims to fix,
	// which the critic and the writer's revision are shown. Nil when the
	// check could not run (see State.Warnings) and in states saved before
	// it existed.
	Verification *verify.Summary `json:"verification,omitempty"`
}

// Critique is the critic's review of one draft.
type Critique struct {
	// Score is in [0, 1]; higher is better.
	Score float64 `json:"score"`
	// Issues are what the writer should fix.
	Issues []string `json:"issues,omitempty"`
	// Uncovered are sub-questions the draft does not answer.
	Uncovered []string `json:"uncovered,omitempty"`
	// Unreadable marks a critic reply that was not a critique.
	Unreadable bool `json:"unreadable,omitempty"`
}

// options declares State's reducers.
func stateFields() []graph.Option[State] {
	sum := func(cur, upd int) int { return cur + upd }
	return []graph.Option[State]{
		graph.Field(func(s *State) *[]llm.Message { return &s.Supervisor }, graph.Append[llm.Message]),
		graph.Field(func(s *State) *int { return &s.Iterations }, sum),
		graph.Field(func(s *State) *int { return &s.Dispatched }, sum),
		graph.Field(func(s *State) *[]Finding { return &s.Findings }, graph.Append[Finding]),
		graph.Field(func(s *State) *[]Draft { return &s.Drafts }, graph.Append[Draft]),
		graph.Field(func(s *State) *[]Critique { return &s.Critiques }, graph.Append[Critique]),
		graph.Field(func(s *State) *llm.Usage { return &s.Usage }, func(cur, upd llm.Usage) llm.Usage { return cur.Add(upd) }),
		graph.Field(func(s *State) *[]string { return &s.Warnings }, graph.Append[string]),
	}
}

// Result is a finished run.
type Result struct {
	// RunID is set when the run paused for a clarifying question: the ID
	// to pass to Agent.Resume. To resume a run that failed or was
	// cancelled, name it yourself with graph.WithRunID.
	RunID string
	// Report is the final Markdown report with numbered citations and a
	// Sources list; Sources are its citations, numbered from 1.
	Report  string
	Sources []Source
	// Score is the critic's score of the final report (0 without
	// critique).
	Score float64
	// State is the run's final state.
	State State
}
