package extractive_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/llm"
)

func TestClarify(t *testing.T) {
	tests := []struct {
		question string
		need     bool
	}{
		{"Go?", true},
		{"Tell me about it", true},
		{"What is the garbage collector?", false},
		{"How does the Go garbage collector keep pause times short?", false},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			resp := generate(t, llm.Request{
				Role:     llm.CallPlanner,
				Schema:   &llm.ResponseSchema{Name: "clarify_decision"},
				Messages: []llm.Message{llm.System("decide"), llm.User(section("Question", tt.question))},
			})
			var got struct {
				Need         bool   `json:"need_clarification"`
				Question     string `json:"question"`
				Verification string `json:"verification"`
			}
			require.NoError(t, json.Unmarshal([]byte(resp.Message.Text()), &got))
			assert.Equal(t, tt.need, got.Need)
			assert.NotEmpty(t, got.Verification)
			if tt.need {
				assert.NotEmpty(t, got.Question, "a clarification asks something")
			} else {
				assert.Empty(t, got.Question)
				assert.Contains(t, got.Verification, tt.question, "the verification restates the question")
			}
			assert.Equal(t, llm.FinishStop, resp.FinishReason)
		})
	}
}

func TestBrief(t *testing.T) {
	tests := []struct {
		name     string
		question string
		clar     string
		want     []string // exact sub-questions, when set
		min, max int
	}{
		{
			name:     "compound clauses split, pronoun resolved",
			question: "What is GOGC and how does it affect garbage collection pauses?",
			want:     []string{"What is GOGC?", "How does GOGC affect garbage collection pauses?"},
		},
		{
			name:     "enumeration expanded",
			question: "What are the memory costs of GOGC, GOMEMLIMIT and escape analysis?",
			want: []string{
				"What are the memory costs of GOGC?",
				"What are the memory costs of GOMEMLIMIT?",
				"What are the memory costs of escape analysis?",
			},
		},
		{
			name:     "several questions, contentless one dropped",
			question: "How does the Go garbage collector work? Why? When did it become concurrent?",
			want:     []string{"How does the Go garbage collector work?", "When did it become concurrent?"},
		},
		{
			name:     "single question with key-phrase variants",
			question: "How do the garbage collector and the escape analysis of the compiler interact?",
			min:      2, max: 3,
		},
		{
			name:     "at most five",
			question: "What is A1? What is B2? What is C3? What is D4? What is E5? What is F6?",
			min:      5, max: 5,
		},
		{
			name:     "clarifications join the brief",
			question: "How does the Go garbage collector work?",
			clar:     "Focus on Go 1.20 and later.",
			min:      1, max: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := section("Question", tt.question)
			if tt.clar != "" {
				user += "\n" + section("Clarifications", tt.clar)
			}
			resp := generate(t, llm.Request{
				Role:     llm.CallPlanner,
				Schema:   &llm.ResponseSchema{Name: "research_brief"},
				Messages: []llm.Message{llm.System("brief"), llm.User(user)},
			})
			var got struct {
				Brief        string   `json:"brief"`
				SubQuestions []string `json:"sub_questions"`
			}
			require.NoError(t, json.Unmarshal([]byte(resp.Message.Text()), &got))
			assert.True(t, strings.HasPrefix(got.Brief, tt.question), "the brief starts with the question: %q", got.Brief)
			if tt.clar != "" {
				assert.Contains(t, got.Brief, tt.clar)
			}
			if tt.want != nil {
				assert.Equal(t, tt.want, got.SubQuestions)
				return
			}
			assert.GreaterOrEqual(t, len(got.SubQuestions), tt.min, got.SubQuestions)
			assert.LessOrEqual(t, len(got.SubQuestions), tt.max, got.SubQuestions)
			if tt.min < 5 {
				assert.Equal(t, tt.question, got.SubQuestions[0], "a single question keeps itself first")
			}
		})
	}
}

// supervisorTurn asks the supervisor for its next move.
func supervisorTurn(t *testing.T, msgs []llm.Message) llm.Message {
	t.Helper()
	resp := generate(t, llm.Request{Role: llm.CallPlanner, Messages: msgs, Tools: supervisorTools})
	return resp.Message
}

func topics(t *testing.T, m llm.Message) []string {
	t.Helper()
	var out []string
	for _, c := range m.ToolCalls() {
		require.Equal(t, "conduct_research", c.Name)
		var a struct {
			Topic string `json:"topic"`
		}
		require.NoError(t, c.DecodeArgs(&a))
		out = append(out, a.Topic)
	}
	return out
}

func TestSupervisorPolicy(t *testing.T) {
	subqs := []string{
		"How does the Go garbage collector keep pauses short?",
		"What does the GOGC setting control?",
		"What does GOMEMLIMIT change for the collector?",
		"How did the collector in release 1.5 differ from earlier versions?",
	}
	first := section("Research brief", "How does Go's garbage collector work?") + "\n" +
		section("Sub-questions", bullets(subqs...)) + "\n" +
		section("Limits", "max_concurrent_researchers: 3\nmax_iterations: 5")
	msgs := []llm.Message{llm.System("lead"), llm.User(first)}
	ids := map[string]bool{}
	answer := func(m llm.Message, content func(topic string) string) {
		for _, c := range m.ToolCalls() {
			require.False(t, ids[c.ID], "tool call IDs are unique: %s", c.ID)
			ids[c.ID] = true
			var a struct {
				Topic string `json:"topic"`
			}
			_ = c.DecodeArgs(&a)
			msgs = append(msgs, llm.Tool(llm.ToolResult{CallID: c.ID, Name: c.Name, Content: content(a.Topic)}))
		}
	}
	findings := func(topic string) string {
		if strings.Contains(topic, "1.5") || strings.Contains(topic, "earlier versions") {
			return "Findings on: " + topic + "\n\nNo sources found."
		}
		return "Findings on: " + topic + "\n\n- The Go garbage collector is a concurrent mark-and-sweep collector. [aa11bb22cc33#3]"
	}

	// Turn 1: as many sub-questions as may run at once.
	turn1 := supervisorTurn(t, msgs)
	assert.Equal(t, subqs[:3], topics(t, turn1))
	msgs = append(msgs, turn1)
	answer(turn1, findings)

	// Turn 2: the remaining sub-question.
	turn2 := supervisorTurn(t, msgs)
	assert.Equal(t, subqs[3:], topics(t, turn2))
	msgs = append(msgs, turn2)
	answer(turn2, findings)

	// Turn 3: one retry, reformulated to key phrases, for the topic that found nothing.
	turn3 := supervisorTurn(t, msgs)
	retry := topics(t, turn3)
	require.Len(t, retry, 1)
	assert.NotEqual(t, subqs[3], retry[0])
	assert.Contains(t, subqs[3], strings.Fields(retry[0])[0], "the retry is made of the topic's own words")
	msgs = append(msgs, turn3)
	answer(turn3, findings)

	// Turn 4: the retry found nothing either; no second retry.
	turn4 := supervisorTurn(t, msgs)
	calls := turn4.ToolCalls()
	require.Len(t, calls, 1)
	assert.Equal(t, "research_complete", calls[0].Name)
	assert.JSONEq(t, `{}`, string(calls[0].Args))
}

func TestSupervisorLimits(t *testing.T) {
	first := section("Research brief", "Go GC") + "\n" +
		section("Sub-questions", bullets("What does GOGC control?", "What does GOMEMLIMIT control?")) + "\n" +
		section("Limits", "max_concurrent_researchers: 1\nmax_iterations: 1")
	msgs := []llm.Message{llm.System("lead"), llm.User(first)}
	turn1 := supervisorTurn(t, msgs)
	assert.Equal(t, []string{"What does GOGC control?"}, topics(t, turn1), "one researcher at a time")

	msgs = append(msgs, turn1, llm.Tool(llm.ToolResult{CallID: turn1.ToolCalls()[0].ID, Name: "conduct_research", Content: "Findings on: x\n\n- y [aa11bb22cc33#4]"}))
	turn2 := supervisorTurn(t, msgs)
	require.Len(t, turn2.ToolCalls(), 1)
	assert.Equal(t, "research_complete", turn2.ToolCalls()[0].Name, "max_iterations reached")
}

func TestSupervisorResendsRefusedTopics(t *testing.T) {
	first := section("Research brief", "Go GC") + "\n" + section("Sub-questions", bullets("What does GOGC control?", "What does GOMEMLIMIT control?"))
	msgs := []llm.Message{llm.System("lead"), llm.User(first)}
	turn1 := supervisorTurn(t, msgs)
	require.Len(t, turn1.ToolCalls(), 2)
	msgs = append(msgs, turn1,
		llm.Tool(llm.ToolResult{CallID: turn1.ToolCalls()[0].ID, Name: "conduct_research", Content: "Findings on: x\n\n- y [aa11bb22cc33#4]"}),
		llm.Tool(llm.ToolResult{CallID: turn1.ToolCalls()[1].ID, Name: "conduct_research", Content: "not run: at most 1 researchers run at once", IsError: true}))
	turn2 := supervisorTurn(t, msgs)
	assert.Equal(t, []string{"What does GOMEMLIMIT control?"}, topics(t, turn2))
}
