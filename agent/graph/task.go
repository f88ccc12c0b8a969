package graph

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// When values of Interrupt.When.
const (
	WhenBefore = "before" // paused before the node ran (WithInterruptBefore)
	WhenAfter  = "after"  // paused after the node's step (WithInterruptAfter)
	WhenInside = "inside" // the node called Task.Interrupt
)

// Task is a node's handle on the run it is part of: who it is, and how to
// fan out work, report progress and ask a human. The runtime passes one to
// every Node.Run; it is valid until Run returns. Its methods are safe for
// concurrent use by the goroutines of that Run.
type Task struct {
	mu        sync.Mutex
	core      *core
	node      string
	nodeIdx   int
	step      int
	sendIdx   int // index among the step's sends to node, or -1 for an edge
	id        string
	input     any
	inputJSON json.RawMessage
	sendTo    []string // declared Send targets
	sendNode  []int    // their node indices
	sends     []sendRec
	answers   []json.RawMessage
	asked     int
	raised    *Interrupt
	err       error // a misuse to report when Run returns
	async     bool  // running on a worker goroutine
}

// sendRec is one Task.Send: a task for the next step.
type sendRec struct {
	node      int
	input     any
	inputJSON json.RawMessage
}

// RunID returns the ID of the run (the parent run's, inside a subgraph).
func (t *Task) RunID() string { return t.core.runID() }

// Step returns the super-step the task runs in, counting from 1.
func (t *Task) Step() int { return t.step }

// Node returns the name of the node the task runs.
func (t *Task) Node() string { return t.node }

// ID returns the task's ID, unique within the run and stable across
// resumes: "<step>:<node>" for a node reached by an edge, and
// "<step>:<node>:<i>" for the i-th task (from 0) sent to node for that step.
func (t *Task) ID() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idLocked()
}

func (t *Task) idLocked() string {
	if t.id == "" {
		t.id = taskID(t.step, t.node, t.sendIdx)
	}
	return t.id
}

func taskID(step int, node string, sendIdx int) string {
	id := strconv.Itoa(step) + ":" + node
	if sendIdx >= 0 {
		id += ":" + strconv.Itoa(sendIdx)
	}
	return id
}

// Input returns the value passed to Send for this task: the value itself,
// or its JSON as a json.RawMessage after a resume; nil for a task reached
// by an edge. InputNode decodes it to a type.
func (t *Task) Input() any { return t.input }

// Send schedules a task of node target for the next step, with input. The
// tasks a step sends run concurrently (see WithConcurrency) and their
// updates merge in send order: the order of the sending tasks, then the
// order of Send calls within each. target must be declared with WithSends
// on this node; a Send to any other node, or (with a checkpoint store) of
// an input that does not encode as JSON, fails the task when Run returns.
func (t *Task) Send(target string, input any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	node := -1
	for i, name := range t.sendTo {
		if name == target {
			node = t.sendNode[i]
			break
		}
	}
	if node < 0 {
		t.fail(fmt.Errorf("graph: node %q sent to %q, which is not declared with WithSends", t.node, target))
		return
	}
	rec := sendRec{node: node, input: input}
	if t.core.persist {
		b, err := json.Marshal(input)
		if err != nil {
			t.fail(fmt.Errorf("graph: node %q sent an input that is not JSON: %w", t.node, err))
			return
		}
		rec.inputJSON = b
	}
	t.sends = append(t.sends, rec)
}

func (t *Task) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// Emit reports a custom event (model tokens, a context edit, progress…) to
// the run's stream and sinks, as an EventCustom named name. payload should
// encode as JSON; it becomes Event.Data (and Event.Value in process). Emit
// does nothing, and costs nothing, when nobody consumes events.
func (t *Task) Emit(name string, payload any) {
	if !t.core.events {
		return
	}
	ev := t.event(EventCustom)
	ev.Name = name
	ev.Value = payload
	if payload != nil {
		b, err := json.Marshal(payload)
		if err != nil {
			ev.Err = "graph: custom event payload: " + err.Error()
		}
		ev.Data = b
	}
	t.post(ev)
}

// EmitModelCall reports a finished model call as an EventModelCall.
func (t *Task) EmitModelCall(info ModelCallInfo) {
	if !t.core.events {
		return
	}
	ev := t.event(EventModelCall)
	ev.Model = &info
	t.post(ev)
}

// EmitToolCall reports a finished tool call as an EventToolCall.
func (t *Task) EmitToolCall(info ToolCallInfo) {
	if !t.core.events {
		return
	}
	ev := t.event(EventToolCall)
	ev.Tool = &info
	t.post(ev)
}

// Interrupt asks a human and pauses the run until the answer arrives, like
// LangGraph's interrupt(). The first time, it records payload (which must
// encode as JSON) and returns an error matching ErrInterrupted: return it
// from Run. The run then stops with an *InterruptError carrying payload,
// after the step's other tasks finish, and is checkpointed. Resume with
// WithResumeValue(answer) runs the node again from the start; this time
// Interrupt returns the answer's JSON.
//
// A node may call Interrupt several times: answers are matched to calls in
// order, so every call before the unanswered one returns its earlier
// answer. Inside a subgraph, Interrupt pauses the enclosing run and the
// subgraph node re-runs from the start on resume (see Subgraph).
// Interrupting needs a CheckpointStore to be resumable.
func (t *Task) Interrupt(payload any) (json.RawMessage, error) {
	if p := t.core.parent; p != nil {
		return p.Interrupt(payload)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.asked < len(t.answers) {
		a := t.answers[t.asked]
		t.asked++
		return a, nil
	}
	if t.raised == nil {
		b, err := json.Marshal(payload)
		if err != nil {
			return nil, fmt.Errorf("graph: interrupt payload: %w", err)
		}
		t.raised = &Interrupt{Node: t.node, TaskID: t.idLocked(), When: WhenInside, Payload: b}
	}
	return nil, errPaused
}

// Ask is Task.Interrupt with a typed answer: it decodes the human's answer
// into an A.
func Ask[A any](t *Task, question any) (A, error) {
	var a A
	raw, err := t.Interrupt(question)
	if err != nil {
		return a, err
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, fmt.Errorf("graph: decoding the answer to node %q: %w", t.node, err)
	}
	return a, nil
}

// retried resets what one attempt of the task produced.
func (t *Task) retried() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.sends)
	t.sends = t.sends[:0]
	t.asked = 0
	t.err = nil
}

// event returns an event of kind about this task.
func (t *Task) event(kind EventKind) Event {
	ev := t.core.event(kind, t.step)
	ev.Node = t.node
	ev.TaskID = t.ID()
	return ev
}

// post delivers ev: through the step's coordinator when the task runs on a
// worker, directly otherwise.
func (t *Task) post(ev Event) {
	if t.async {
		t.core.msgs <- message{kind: msgEvent, ev: ev}
		return
	}
	t.core.deliver(ev)
}
