package observe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
)

func ExampleJSONL() {
	log := observe.NewJSONL(os.Stdout)
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, ev := range []graph.Event{
		{Kind: graph.EventRunStart, RunID: "r1", Time: start},
		{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: start},
		{Kind: graph.EventCheckpoint, RunID: "r1", Step: 1, Seq: 1, Time: start.Add(time.Second)}, // flushed here
	} {
		if err := log.Handle(ev); err != nil {
			fmt.Println(err)
		}
	}
	if err := log.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"kind":"run_start","run_id":"r1","step":0,"time":"2025-01-02T03:04:05Z"}
	// {"kind":"node_start","run_id":"r1","step":1,"node":"plan","task_id":"t1","time":"2025-01-02T03:04:05Z"}
	// {"kind":"checkpoint","run_id":"r1","step":1,"time":"2025-01-02T03:04:06Z","seq":1}
}

func ExampleReadJSONL() {
	// The writer was killed in the middle of the third line.
	log := `{"kind":"run_start","run_id":"r1","step":0,"time":"2025-01-02T03:04:05Z"}
{"kind":"node_start","run_id":"r1","step":1,"node":"plan","task_id":"t1","time":"2025-01-02T03:04:05Z"}
{"kind":"node_end","run_id":"r1","st`
	for ev, err := range observe.ReadJSONL(strings.NewReader(log)) {
		if errors.Is(err, observe.ErrTruncated) {
			fmt.Println("truncated:", err)
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Step, ev.Kind)
	}
	// Output:
	// 0 run_start
	// 1 node_start
	// truncated: observe: event log line 3: observe: truncated last line: unexpected end of JSON input
}

func ExampleOTel() {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	sink := observe.NewOTel(tp)
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, ev := range []graph.Event{
		{Kind: graph.EventRunStart, RunID: "r1", Name: "research", Time: start},
		{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: start},
		{Kind: graph.EventModelCall, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Model: &graph.ModelCallInfo{
			Provider: "openai", Model: "gpt-4.1", InputTokens: 900, OutputTokens: 120,
			Start: start, End: start.Add(2 * time.Second)}},
		{Kind: graph.EventToolCall, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Tool: &graph.ToolCallInfo{
			Name: "think", Start: start.Add(2 * time.Second), End: start.Add(3 * time.Second)}},
		{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: start.Add(3 * time.Second)},
		{Kind: graph.EventRunEnd, RunID: "r1", Step: 1, Time: start.Add(3 * time.Second)},
	} {
		_ = sink.Handle(ev)
	}
	_ = sink.Close()

	for _, s := range rec.Ended() {
		fmt.Printf("%s (%s)\n", s.Name(), s.EndTime().Sub(s.StartTime()))
	}
	// Output:
	// chat gpt-4.1 (2s)
	// execute_tool think (1s)
	// graph.node plan (3s)
	// graph.run research (3s)
}
