package graph

import (
	"encoding/json"
	"time"
)

// EventKind tells what an Event reports.
type EventKind string

// Event kinds, in the order a run produces them.
const (
	EventRunStart    EventKind = "run_start"
	EventNodeStart   EventKind = "node_start"
	EventCustom      EventKind = "custom"       // emitted by a node: model tokens, tool calls, context edits…
	EventModelCall   EventKind = "model_call"   // a model call finished; Model is set
	EventToolCall    EventKind = "tool_call"    // a tool call finished; Tool is set
	EventNodeEnd     EventKind = "node_end"     // a task finished; Err is set if it failed
	EventStateUpdate EventKind = "state_update" // a step's updates were merged; Value (and Data, as JSON) hold the new state
	EventCheckpoint  EventKind = "checkpoint"   // a checkpoint was written; Seq is set
	EventInterrupt   EventKind = "interrupt"    // the run paused; Interrupt is set
	EventError       EventKind = "error"        // the run failed; Err is set
	EventRunEnd      EventKind = "run_end"
)

// ModelCallInfo describes one model call, for events and GenAI tracing.
type ModelCallInfo struct {
	// Provider is the GenAI system ("openai", "anthropic", …).
	Provider string `json:"provider,omitempty"`
	// Model is the requested model.
	Model string `json:"model,omitempty"`
	// Role is the call's purpose (planner, researcher, …).
	Role         string    `json:"role,omitempty"`
	InputTokens  int       `json:"input_tokens,omitempty"`
	CachedInput  int       `json:"cached_input_tokens,omitempty"`
	OutputTokens int       `json:"output_tokens,omitempty"`
	FinishReason string    `json:"finish_reason,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	// Err is the call's error message, if it failed.
	Err string `json:"error,omitempty"`
}

// ToolCallInfo describes one tool call, for events and tracing.
type ToolCallInfo struct {
	Name   string    `json:"name"`
	CallID string    `json:"call_id,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// Err is the tool's error message, if it failed.
	Err string `json:"error,omitempty"`
}

// Event is one item of a run's stream. Which fields are set depends on Kind.
// Events are plain data: they marshal to JSON as one line of an event log.
type Event struct {
	Kind  EventKind `json:"kind"`
	RunID string    `json:"run_id"`
	// Step is the super-step the event belongs to (1-based; 0 before the first).
	Step int `json:"step"`
	// Node and TaskID identify the task, for node and custom events.
	Node   string `json:"node,omitempty"`
	TaskID string `json:"task_id,omitempty"`
	// Path locates the event in nested subgraphs: the task IDs of the
	// enclosing subgraph tasks, outermost first (e.g. ["2:research:1"] for
	// an event of the child run started by the second task sent to the
	// subgraph node "research" in step 2). Each child run of a parallel
	// fan-out to a subgraph has its own Path.
	Path []string  `json:"path,omitempty"`
	Time time.Time `json:"time"`
	// Name names a custom event ("token", "context_edit", …), or the graph
	// for EventRunStart.
	Name string `json:"name,omitempty"`
	// Data is a custom event's payload, or the state for EventStateUpdate.
	Data json.RawMessage `json:"data,omitempty"`
	// Model is set for EventModelCall.
	Model *ModelCallInfo `json:"model,omitempty"`
	// Tool is set for EventToolCall.
	Tool *ToolCallInfo `json:"tool,omitempty"`
	// Interrupt is set for EventInterrupt.
	Interrupt *Interrupt `json:"interrupt,omitempty"`
	// Seq is the checkpoint number, for EventCheckpoint.
	Seq int `json:"seq,omitempty"`
	// Duration is the node's or run's wall time, for end events.
	Duration time.Duration `json:"duration,omitempty"`
	// Err is the failure, for failed node ends and EventError.
	Err string `json:"error,omitempty"`
	// Value is the in-process form of Data: the typed state for
	// EventStateUpdate and EventRunEnd, the payload for EventCustom. It is
	// not serialized.
	Value any `json:"-"`
}

// EventSink receives every event of a run, in order, from one goroutine at
// a time. Sinks must not block for long: they run on the run's path.
type EventSink interface {
	Handle(ev Event) error
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ev Event) error

// Handle calls f.
func (f EventSinkFunc) Handle(ev Event) error { return f(ev) }
