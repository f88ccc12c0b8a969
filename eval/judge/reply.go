package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
)

// DefaultMaxRetries is how many times a judge is asked again after a reply
// that cannot be used, when a config leaves MaxRetries at 0.
const DefaultMaxRetries = 2

// ErrMalformed is matched (errors.Is) by the error a scorer returns when a
// judge's replies could not be used even after the retries: not JSON,
// fields missing, scores out of range, an unknown verdict. Such errors
// also match llm.ErrMalformedOutput.
var ErrMalformed = errors.New("judge: malformed judge reply")

// MalformedReplyError reports a judge whose every reply was unusable.
type MalformedReplyError struct {
	// Judge names the judge.
	Judge string
	// Task is what the judge was asked: "rubric", "scores" or "verdict".
	Task string
	// Attempts counts the replies received, first included.
	Attempts int
	// Problem says what was wrong with the last reply.
	Problem string
	// Raw is the last reply, verbatim.
	Raw string
}

func (e *MalformedReplyError) Error() string {
	return fmt.Sprintf("judge: %s: unusable %s reply after %d attempt(s): %s", e.Judge, e.Task, e.Attempts, e.Problem)
}

// Is matches ErrMalformed and llm.ErrMalformedOutput.
func (e *MalformedReplyError) Is(target error) bool {
	return target == ErrMalformed || target == llm.ErrMalformedOutput
}

// retries returns the configured number of retries: n, DefaultMaxRetries
// for 0, none for a negative n.
func retries(n int) int {
	switch {
	case n == 0:
		return DefaultMaxRetries
	case n < 0:
		return 0
	}
	return n
}

// panelist is one judge of a panel.
type panelist struct {
	model   llm.Model
	name    string
	retries int
}

// panel returns the judges with their names: names[i] when given, else
// the model's Name() when it has one, else "judge<i+1>"; a name used twice
// gets "#<i+1>" appended.
func panel(models []llm.Model, names []string, maxRetries int) []panelist {
	out := make([]panelist, len(models))
	seen := map[string]int{}
	for i, m := range models {
		name := ""
		if i < len(names) {
			name = names[i]
		}
		if name == "" {
			if n, ok := m.(interface{ Name() string }); ok {
				name = n.Name()
			}
		}
		if name == "" {
			name = fmt.Sprintf("judge%d", i+1)
		}
		seen[name]++
		out[i] = panelist{model: m, name: name, retries: retries(maxRetries)}
	}
	for i := range out {
		if seen[out[i].name] > 1 {
			out[i].name = fmt.Sprintf("%s#%d", out[i].name, i+1)
		}
	}
	return out
}

// ask sends the system and user prompts to the judge and hands the reply
// to parse, which returns what is wrong with it. An unusable reply is
// shown back to the judge with the problem, up to p.retries times; then
// ask returns a *MalformedReplyError. A failing model call returns its
// error at once: the model layer has its own retry policy. ask returns
// the number of replies received.
func (p panelist) ask(ctx context.Context, task, system, user string, parse func(reply string) error) (int, error) {
	msgs := []llm.Message{llm.System(system), llm.User(user)}
	for attempt := 1; ; attempt++ {
		resp, err := p.model.Generate(ctx, llm.Request{
			Role:        llm.CallJudge,
			Messages:    msgs,
			Temperature: llm.Temp(0),
		})
		if err != nil {
			return attempt, fmt.Errorf("judge: %s: %s call: %w", p.name, task, err)
		}
		reply := resp.Message.Text()
		perr := parse(reply)
		if perr == nil {
			return attempt, nil
		}
		problem := perr.Error()
		if resp.FinishReason == llm.FinishLength {
			problem += " (the reply was cut off at the output limit: keep explanations short)"
		}
		if attempt > p.retries {
			return attempt, &MalformedReplyError{Judge: p.name, Task: task, Attempts: attempt, Problem: problem, Raw: reply}
		}
		msgs = append(msgs, llm.Assistant(reply), llm.User(fmt.Sprintf(retryUser, problem)))
	}
}

// decodeReply decodes the JSON object in a judge's reply into v. It
// accepts the object alone, inside a Markdown code fence, or surrounded by
// prose; the error says what is wrong in words meant for the judge.
func decodeReply(reply string, v any) error {
	text := strings.TrimSpace(reply)
	if text == "" {
		return errors.New("the reply was empty; expected a JSON object")
	}
	start, end := strings.Index(text, "{"), strings.LastIndex(text, "}")
	if start < 0 || end < start {
		return errors.New("the reply contains no JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(text[start : end+1])))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the reply is not a valid JSON object of the requested form: %v", err)
	}
	return nil
}

// parallel runs fn(ctx, i) for i in [0, n) concurrently. The first error
// cancels the others' context and is returned.
func parallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := range n {
		wg.Go(func() {
			if err := safely(ctx, i, fn); err != nil {
				once.Do(func() {
					first = err
					cancel()
				})
			}
		})
	}
	wg.Wait()
	return first
}

// safely calls fn, turning a panic (a misbehaving model) into an error.
func safely(ctx context.Context, i int, fn func(ctx context.Context, i int) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("judge: judge call panicked: %v", p)
		}
	}()
	return fn(ctx, i)
}
