package eval

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
)

// DefaultAnswer is what a simulated user without fixed answers or a
// model replies to a clarifying question.
const DefaultAnswer = "No preference; use your judgement and answer the question as asked."

// User is a sample's simulated user: it answers the agent's clarifying
// questions and records the exchange. It is safe for concurrent use.
type User struct {
	sim   SimUser
	model llm.Model

	mu       sync.Mutex
	next     int
	dialogue []Exchange
}

// NewUser returns the simulated user of a sample: sim's fixed answers in
// order (the last one repeats), or model playing sim's persona. sim and
// model may be nil.
func NewUser(sim *SimUser, model llm.Model) *User {
	u := &User{model: model}
	if sim != nil {
		u.sim = *sim
	}
	return u
}

// Answer replies to question and records the exchange.
func (u *User) Answer(ctx context.Context, question string) (string, error) {
	answer, err := u.reply(ctx, question)
	if err != nil {
		return "", err
	}
	u.mu.Lock()
	u.dialogue = append(u.dialogue, Exchange{Question: question, Answer: answer})
	u.mu.Unlock()
	return answer, nil
}

func (u *User) reply(ctx context.Context, question string) (string, error) {
	u.mu.Lock()
	if n := len(u.sim.Answers); n > 0 {
		a := u.sim.Answers[min(u.next, n-1)]
		u.next++
		u.mu.Unlock()
		return a, nil
	}
	u.mu.Unlock()
	if u.sim.Persona == "" || u.model == nil {
		return DefaultAnswer, nil
	}
	resp, err := u.model.Generate(ctx, llm.Request{
		Role:        llm.CallDefault,
		Temperature: llm.Temp(0),
		Messages: []llm.Message{
			llm.System("You play a user who asked a research agent a question. Stay in character and answer its clarifying question briefly, in one or two sentences. Who you are: " + u.sim.Persona),
			llm.User(question),
		},
	})
	if err != nil {
		return "", fmt.Errorf("eval: simulated user: %w", err)
	}
	a := strings.TrimSpace(resp.Message.Text())
	if a == "" {
		return DefaultAnswer, nil
	}
	return a, nil
}

// Dialogue returns the exchanges so far.
func (u *User) Dialogue() []Exchange {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]Exchange(nil), u.dialogue...)
}
