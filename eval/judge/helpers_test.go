package judge_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/agent/llm/scripted"
	"github.com/deepctx/deepctx/eval"
)

// reply is a model reply with text.
func reply(text string) llm.Response {
	return llm.Response{Message: llm.Assistant(text)}
}

// userText is the text of the request's first user message: the prompt.
func userText(req llm.Request) string {
	for _, m := range req.Messages {
		if m.Role == llm.RoleUser {
			return m.Text()
		}
	}
	return ""
}

// lastUserText is the text of the request's last message.
func lastUserText(req llm.Request) string {
	return req.Messages[len(req.Messages)-1].Text()
}

// block returns the text between <tag id="id"> and the first </tag> after
// it, as a model that trusts the delimiters would read it.
func block(prompt, tag, id string) (string, bool) {
	open := "<" + tag + ` id="` + id + `">` + "\n"
	start := strings.Index(prompt, open)
	if start < 0 {
		return "", false
	}
	start += len(open)
	end := strings.Index(prompt[start:], "\n</"+tag+">")
	if end < 0 {
		return "", false
	}
	return prompt[start : start+end], true
}

// outside returns the prompt with every <report> block cut out.
func outside(prompt string) string {
	var b strings.Builder
	for {
		start := strings.Index(prompt, "<report id=")
		if start < 0 {
			b.WriteString(prompt)
			return b.String()
		}
		b.WriteString(prompt[:start])
		end := strings.Index(prompt[start:], "</report>")
		if end < 0 {
			return b.String()
		}
		prompt = prompt[start+end+len("</report>"):]
	}
}

// numCriteria counts the numbered criteria in a scoring prompt.
func numCriteria(prompt string) int {
	return len(criterionLine.FindAllString(prompt, -1))
}

var criterionLine = regexp.MustCompile(`(?m)^\d+\. \[`)

// scoresJSON is a scoring reply giving every criterion the grades a and b.
func scoresJSON(n int, a, b float64) string {
	type entry struct {
		Criterion   int     `json:"criterion"`
		A           float64 `json:"a"`
		B           float64 `json:"b"`
		Explanation string  `json:"explanation"`
	}
	var out struct {
		Scores []entry `json:"scores"`
	}
	for k := 1; k <= n; k++ {
		out.Scores = append(out.Scores, entry{k, a, b, fmt.Sprintf("criterion %d", k)})
	}
	data, _ := json.Marshal(out)
	return string(data)
}

// isRubricRequest tells rubric generation from scoring.
func isRubricRequest(req llm.Request) bool {
	return strings.Contains(userText(req), "Write a rubric")
}

// rubricJSON is a generated rubric with unnormalised weights.
const rubricJSON = `Here is the rubric:
` + "```json" + `
{"dimension_weights": {"comprehensiveness": 3, "insight": 3, "instruction_following": 2, "readability": 2},
 "criteria": [
  {"dimension": "comprehensiveness", "criterion": "Covers goroutines and channels", "weight": 2},
  {"dimension": "comprehensiveness", "criterion": "Covers the memory model", "weight": 1},
  {"dimension": "insight", "criterion": "Explains when to prefer a mutex", "weight": 1},
  {"dimension": "instruction_following", "criterion": "Answers the question asked", "weight": 1},
  {"dimension": "readability", "criterion": "Is well structured", "weight": 1}
 ]}
` + "```"

// referenceText is the reference report of sample.
const referenceText = "Goroutines communicate over channels."

// targetAs returns the label ("A" or "B") the target report has in a RACE
// scoring prompt: the one whose report is not referenceText.
func targetAs(prompt string) string {
	if a, _ := block(prompt, "report", "A"); a == referenceText {
		return "B"
	}
	return "A"
}

// gradesJSON is a scoring reply to prompt that gives every criterion the
// grade target to the target report and ref to the reference, in whichever
// order the prompt shows them: a judge without position bias.
func gradesJSON(prompt string, target, ref float64) string {
	n := numCriteria(prompt)
	if targetAs(prompt) == "B" {
		return scoresJSON(n, ref, target)
	}
	return scoresJSON(n, target, ref)
}

// grader is a scripted judge that writes rubricJSON and grades every
// criterion target for the report and ref for the reference (sample's,
// referenceText), whatever their order.
func grader(target, ref float64) *scripted.Model {
	return scripted.Func(func(req llm.Request) (llm.Response, error) {
		if isRubricRequest(req) {
			return reply(rubricJSON), nil
		}
		return reply(gradesJSON(userText(req), target, ref)), nil
	})
}

// biasedGrader is a scripted judge that writes rubricJSON and grades every
// criterion a for report A and b for report B, whatever they say: a judge
// with position bias.
func biasedGrader(a, b float64) *scripted.Model {
	return scripted.Func(func(req llm.Request) (llm.Response, error) {
		if isRubricRequest(req) {
			return reply(rubricJSON), nil
		}
		return reply(scoresJSON(numCriteria(userText(req)), a, b)), nil
	})
}

// sample is a question with a reference report (referenceText).
func sample(id string) eval.Sample {
	return eval.Sample{
		ID:            id,
		Question:      "How do goroutines communicate?",
		ReferenceText: referenceText,
	}
}

// result is a variant's run with report text.
func result(variant, report string) eval.Result {
	return eval.Result{Variant: variant, Epoch: 1, Output: eval.Output{Report: report}}
}

// memCache is an eval.Cache in memory that stores values as JSON, as the
// eval log does.
type memCache struct {
	mu    sync.Mutex
	data  map[string][]byte
	saves int
}

func newCache() *memCache { return &memCache{data: map[string][]byte{}} }

func (c *memCache) Load(key string, v any) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.data[key]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(data, v)
}

func (c *memCache) Save(key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = data
	c.saves++
	return nil
}

// jsonRoundTrip passes v through JSON, as the eval log does.
func jsonRoundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var out T
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}
