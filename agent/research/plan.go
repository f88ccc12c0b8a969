package research

import (
	"context"
	"strings"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/extractive"
)

// ClarifyingQuestion is the payload of the interrupt a run pauses with when
// the agent needs the user to clarify the question.
type ClarifyingQuestion struct {
	Question string `json:"question"`
	// Verification restates what the agent understood.
	Verification string `json:"verification,omitempty"`
}

// clarify asks the planner whether the question needs clarifying and, if
// so, pauses the run for the user's answer.
func (a *Agent) clarify(ctx context.Context, s State, t *graph.Task) (State, error) {
	if !a.cfg.Clarify {
		return State{}, nil
	}
	resp, err := a.generate(ctx, t, llm.Request{
		Role:     llm.CallPlanner,
		Messages: []llm.Message{llm.System(clarifySystem), llm.User(questionSections(s))},
		Schema:   &llm.ResponseSchema{Name: extractive.SchemaClarify, Schema: clarifySchema},
	})
	upd := State{Usage: resp.Usage}
	if err != nil {
		return upd, err
	}
	var d struct {
		Need         bool   `json:"need_clarification"`
		Question     string `json:"question"`
		Verification string `json:"verification"`
	}
	if err := decodeJSON(resp.Message.Text(), &d); err != nil {
		upd.Warnings = []string{"clarify: " + err.Error() + "; going on without clarification"}
		return upd, nil
	}
	if d.Need && strings.TrimSpace(d.Question) != "" {
		upd.Asked = &ClarifyingQuestion{Question: strings.TrimSpace(d.Question), Verification: d.Verification}
	}
	return upd, nil
}

// ask pauses the run with the question clarify chose, and records the
// answer. It is a node of its own, without a model call, because a node
// that interrupts runs again from its start on resume: the question the
// user answers is the one they were asked.
func (a *Agent) ask(ctx context.Context, s State, t *graph.Task) (State, error) {
	if s.Asked == nil || s.Clarification != "" {
		return State{}, nil
	}
	answer, err := graph.Ask[string](t, *s.Asked)
	if err != nil {
		return State{}, err
	}
	answer = strings.TrimSpace(answer)
	if answer == "" {
		answer = "(no answer)"
	}
	return State{Clarification: answer}, nil
}

// brief has the planner turn the question into a research brief and
// sub-questions, and seeds the supervisor's transcript with them.
func (a *Agent) brief(ctx context.Context, s State, t *graph.Task) (State, error) {
	resp, err := a.generate(ctx, t, llm.Request{
		Role:     llm.CallPlanner,
		Messages: []llm.Message{llm.System(briefSystem), llm.User(questionSections(s))},
		Schema:   &llm.ResponseSchema{Name: extractive.SchemaBrief, Schema: briefSchema},
	})
	upd := State{Usage: resp.Usage}
	if err != nil {
		return upd, err
	}
	var d struct {
		Brief        string   `json:"brief"`
		SubQuestions []string `json:"sub_questions"`
	}
	if err := decodeJSON(resp.Message.Text(), &d); err != nil {
		upd.Warnings = []string{"brief: " + err.Error() + "; researching the question as asked"}
	}
	upd.Brief = strings.TrimSpace(d.Brief)
	if upd.Brief == "" {
		upd.Brief = strings.TrimSpace(s.Question + "\n\n" + s.Clarification)
	}
	for _, q := range d.SubQuestions {
		if q = strings.TrimSpace(q); q != "" {
			upd.SubQuestions = append(upd.SubQuestions, q)
		}
	}
	if len(upd.SubQuestions) == 0 {
		upd.SubQuestions = []string{s.Question}
	}
	s.Brief, s.SubQuestions = upd.Brief, upd.SubQuestions
	upd.Supervisor = []llm.Message{llm.System(supervisorSystem), llm.User(supervisorBrief(s, a.cfg))}
	return upd, nil
}
