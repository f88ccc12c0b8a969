package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/deepctx/deepctx/agent/graph"
)

// Survey is the state of the example: a research loop over questions.
type Survey struct {
	Round    int
	Findings []string
}

// Example builds a three-node graph: plan fans out one research task per
// question (Send), the tasks join at review, and review loops back to plan
// until two rounds are done. Findings merge in send order, whatever order
// the concurrent tasks finish in.
func Example() {
	g := graph.New("survey",
		graph.Field(func(s *Survey) *[]string { return &s.Findings }, graph.Append[string]),
		graph.Field(func(s *Survey) *int { return &s.Round }, func(cur, upd int) int { return cur + upd }),
	)
	g.AddNodeFunc("plan", func(_ context.Context, s Survey, t *graph.Task) (Survey, error) {
		for _, q := range []string{"why", "how", "when"} {
			t.Send("research", fmt.Sprintf("%s (round %d)", q, s.Round+1))
		}
		return Survey{Round: 1}, nil
	}, graph.WithSends("research"))
	g.AddNode("research", graph.InputNode(func(_ context.Context, _ Survey, q string, _ *graph.Task) (Survey, error) {
		return Survey{Findings: []string{"answer to " + q}}, nil
	}))
	g.AddNodeFunc("review", func(context.Context, Survey, *graph.Task) (Survey, error) {
		return Survey{}, nil
	})
	g.AddEdge(graph.START, "plan")
	g.AddEdge("research", "review")
	g.AddConditionalEdges("review", func(_ context.Context, s Survey) ([]string, error) {
		if s.Round < 2 {
			return []string{"plan"}, nil
		}
		return []string{graph.END}, nil
	}, "plan", graph.END)

	r, err := g.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	final, err := r.Invoke(context.Background(), Survey{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Join(final.Findings, "\n"))
	// Output:
	// answer to why (round 1)
	// answer to how (round 1)
	// answer to when (round 1)
	// answer to why (round 2)
	// answer to how (round 2)
	// answer to when (round 2)
}

// ExampleRunnable_Stream prints the events of a two-node run.
func ExampleRunnable_Stream() {
	g := graph.New[Survey]("stream").
		AddNodeFunc("a", func(_ context.Context, _ Survey, t *graph.Task) (Survey, error) {
			t.Emit("progress", "half way")
			return Survey{Round: 1}, nil
		}).
		AddNodeFunc("b", func(context.Context, Survey, *graph.Task) (Survey, error) { return Survey{Round: 2}, nil }).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	r, err := g.Compile()
	if err != nil {
		fmt.Println(err)
		return
	}
	for ev, err := range r.Stream(context.Background(), Survey{}) {
		if err != nil {
			fmt.Println("failed:", err)
			return
		}
		line := fmt.Sprint(ev.Step, " ", ev.Kind)
		if ev.TaskID != "" {
			line += " " + ev.TaskID
		}
		if ev.Data != nil {
			line += " " + string(ev.Data)
		}
		fmt.Println(line)
	}
	// Output:
	// 0 run_start
	// 1 node_start 1:a
	// 1 custom 1:a "half way"
	// 1 node_end 1:a
	// 1 state_update {"Round":1,"Findings":null}
	// 2 node_start 2:b
	// 2 node_end 2:b
	// 2 state_update {"Round":2,"Findings":null}
	// 2 run_end
}

// ExampleTask_Interrupt pauses a run for a human and resumes it with the
// answer.
func ExampleTask_Interrupt() {
	type Chat struct{ Topic string }
	g := graph.New[Chat]("clarify").
		AddNodeFunc("clarify", func(_ context.Context, _ Chat, t *graph.Task) (Chat, error) {
			topic, err := graph.Ask[string](t, "What should I research?")
			if err != nil {
				return Chat{}, err // pauses the run
			}
			return Chat{Topic: topic}, nil
		}).
		AddEdge(graph.START, "clarify").AddEdge("clarify", graph.END)
	r, err := g.Compile(graph.WithCheckpointer(newMemStore()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_, err = r.Invoke(ctx, Chat{}, graph.WithRunID("chat-1"))
	var ie *graph.InterruptError
	if errors.As(err, &ie) {
		fmt.Printf("asked: %s\n", ie.Interrupt.Payload)
	}
	final, err := r.Resume(ctx, ie.RunID, graph.WithResumeValue("tide pools"))
	fmt.Println(final.Topic, err)
	// Output:
	// asked: "What should I research?"
	// tide pools <nil>
}
