package graph

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ErrNoCheckpoint is returned by CheckpointStore.Latest for a run that has
// no checkpoint.
var ErrNoCheckpoint = errors.New("graph: no checkpoint")

// RunStatus is where a run stands.
type RunStatus string

// Run statuses, as recorded in checkpoints.
const (
	StatusRunning     RunStatus = "running"     // steps remain; a crash here is resumable
	StatusInterrupted RunStatus = "interrupted" // paused for a human; resume with an answer
	StatusDone        RunStatus = "done"        // reached END
	StatusFailed      RunStatus = "failed"      // stopped on an error; resumable after a fix
)

// Checkpoint is the persisted position of a run: the state after the last
// completed step and the work the next step still has to do. Checkpoints are
// written after every step and after every task that completes in a step of
// several tasks (a fan-out), so a run killed mid-step resumes without
// redoing finished tasks.
//
// State, Input and Update are JSON documents of the graph's state type and of
// the tasks' input types: a graph whose state does not round-trip through
// encoding/json cannot be checkpointed.
type Checkpoint struct {
	// RunID identifies the run.
	RunID string `json:"run_id"`
	// Seq numbers the run's checkpoints from 1, in write order.
	Seq int `json:"seq"`
	// Graph names the graph that wrote the checkpoint; resuming with a
	// different graph is an error.
	Graph string `json:"graph"`
	// Step counts the completed super-steps.
	Step int `json:"step"`
	// Status is the run's status when the checkpoint was written.
	Status RunStatus `json:"status"`
	// State is the JSON of the state after Step.
	State json.RawMessage `json:"state"`
	// Tasks is the work of step Step+1, in the order its results merge.
	// Finished tasks carry their Update and are not run again on resume.
	Tasks []TaskRecord `json:"tasks,omitempty"`
	// Interrupt is set when Status is StatusInterrupted.
	Interrupt *Interrupt `json:"interrupt,omitempty"`
	// Error is the failure that stopped the run, when Status is StatusFailed.
	Error string `json:"error,omitempty"`
	// Time is when the checkpoint was written.
	Time time.Time `json:"time"`
}

// TaskRecord is one unit of work of a step: a node to run, with the input a
// Send gave it, and its result once it finished.
type TaskRecord struct {
	// ID is unique within the run and stable across resumes
	// (e.g. "3:researcher:1" for the second task sent to researcher in step 3).
	ID string `json:"id"`
	// Node is the node to run.
	Node string `json:"node"`
	// Input is the JSON of the Send input, or null for a node reached by an edge.
	Input json.RawMessage `json:"input,omitempty"`
	// Done reports that the task finished; Update then holds its result.
	Done bool `json:"done,omitempty"`
	// Update is the JSON of the state update the task returned.
	Update json.RawMessage `json:"update,omitempty"`
	// Next is reserved for node names a task's routing chose inside the
	// task. This runtime does not write it (routing is decided again from
	// the merged state on resume); stores keep it as given.
	Next []string `json:"next,omitempty"`
	// Sends holds the fan-out tasks the task emitted, in emission order.
	Sends []TaskRecord `json:"sends,omitempty"`
	// Answers holds the human's answers to the task's interrupts, in the
	// order the task asked; on resume its Interrupt calls return them.
	Answers []json.RawMessage `json:"answers,omitempty"`
}

// Interrupt is a pause for a human: before or after a named node, or raised
// from inside a node with a payload (a clarifying question, a plan).
type Interrupt struct {
	// Node is the node that paused, or is about to run.
	Node string `json:"node"`
	// TaskID is the task that raised the interrupt, when raised inside a node.
	TaskID string `json:"task_id,omitempty"`
	// When is "before", "after" or "inside".
	When string `json:"when"`
	// Payload is what the node asked, as JSON (nil for before/after).
	Payload json.RawMessage `json:"payload,omitempty"`
}

// RunSummary describes a run in a CheckpointStore.
type RunSummary struct {
	RunID   string    `json:"run_id"`
	Graph   string    `json:"graph"`
	Status  RunStatus `json:"status"`
	Step    int       `json:"step"`
	Seq     int       `json:"seq"`
	Updated time.Time `json:"updated"`
}

// CheckpointStore persists checkpoints. Implementations must be safe for
// concurrent use, and Put must be durable when it returns: a process killed
// right after Put resumes from that checkpoint.
type CheckpointStore interface {
	// Put stores cp. cp.Seq must be greater than every Seq stored for the
	// run; stores may reject a lower one.
	Put(ctx context.Context, cp Checkpoint) error
	// Latest returns the checkpoint with the highest Seq for the run, or an
	// error wrapping ErrNoCheckpoint.
	Latest(ctx context.Context, runID string) (Checkpoint, error)
	// History returns the run's checkpoints in Seq order.
	History(ctx context.Context, runID string) ([]Checkpoint, error)
	// Runs lists the stored runs, most recently updated first.
	Runs(ctx context.Context) ([]RunSummary, error)
}
