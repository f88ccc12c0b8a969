package scripted

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
)

// Responder computes a reply from a request, for Func mode.
type Responder func(llm.Request) (llm.Response, error)

// Exhaust says what a script does once every turn has been used.
type Exhaust int

const (
	// ExhaustError fails further calls with an *ExhaustedError. The default.
	ExhaustError Exhaust = iota
	// ExhaustRepeatLast answers further calls with the script's last turn.
	ExhaustRepeatLast
	// ExhaustLoop starts the script over from its first turn.
	ExhaustLoop
)

// Config describes a Model. The zero value answers every call with an
// *ExhaustedError.
type Config struct {
	// Turns is the default script: it answers requests whose role has no
	// script in Roles. Optional.
	Turns []Turn
	// Roles holds a separate script per call role. Each role's turns are
	// used in order, whatever the interleaving of concurrent calls.
	// Optional.
	Roles map[llm.CallRole][]Turn
	// Func answers requests that have no script: roles without an entry in
	// Roles, when Turns is empty. Its reply is completed like a turn's:
	// missing IDs, role, finish reason and model are filled in, and a zero
	// Usage is replaced by EstimateUsage. Optional.
	Func Responder
	// OnExhausted says what a script does when it runs out. Optional.
	// Defaults to ExhaustError.
	OnExhausted Exhaust
	// Name is reported as Response.Model. Optional. Defaults to "scripted".
	Name string
	// IDPrefix is prepended to every generated message and tool-call ID.
	// Optional. Defaults to none.
	IDPrefix string
}

// Model is a scripted llm.Model. It is safe for concurrent use.
type Model struct {
	cfg Config

	mu       sync.Mutex
	next     map[scriptKey]int // next turn of each script
	msgSeq   map[scriptKey]int // messages numbered so far per script
	callSeq  map[scriptKey]int // tool calls numbered so far per script
	requests []llm.Request
}

var _ llm.Model = (*Model)(nil)

// scriptKey names one script: a role script, or the default one.
type scriptKey struct {
	role   llm.CallRole
	isRole bool
}

// New returns a Model that answers calls with turns, in order, and fails
// once they run out.
func New(turns ...Turn) *Model { return NewFromConfig(Config{Turns: turns}) }

// Func returns a Model whose replies are computed by fn.
func Func(fn Responder) *Model { return NewFromConfig(Config{Func: fn}) }

// NewFromConfig returns a Model described by cfg.
func NewFromConfig(cfg Config) *Model {
	if cfg.Name == "" {
		cfg.Name = "scripted"
	}
	return &Model{
		cfg:     cfg,
		next:    map[scriptKey]int{},
		msgSeq:  map[scriptKey]int{},
		callSeq: map[scriptKey]int{},
	}
}

// Generate records req and answers it with the next turn of its script.
// A call whose ctx is already cancelled is recorded but uses no turn.
func (m *Model) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	key, turn, fn, err := m.take(ctx, req)
	if err != nil {
		return llm.Response{}, err
	}
	if fn == nil {
		return turn, nil
	}
	resp, err := fn(cloneRequest(req))
	if err != nil {
		return llm.Response{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.complete(key, req, resp, resp.Usage == llm.Usage{}), nil
}

// take records req and picks what answers it: the reply of the next turn
// of its script, complete with IDs, or fn.
func (m *Model) take(ctx context.Context, req llm.Request) (scriptKey, llm.Response, Responder, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, cloneRequest(req))
	if err := ctx.Err(); err != nil {
		return scriptKey{}, llm.Response{}, nil, fmt.Errorf("scripted: %w", err)
	}
	key, turns := scriptKey{}, m.cfg.Turns
	if roleTurns, ok := m.cfg.Roles[req.Role]; ok {
		key, turns = scriptKey{role: req.Role, isRole: true}, roleTurns
	} else if len(turns) == 0 && m.cfg.Func != nil {
		return key, llm.Response{}, m.cfg.Func, nil
	}
	turn, err := m.turn(key, turns)
	if err == nil {
		err = turn.Err
	}
	if err != nil {
		return key, llm.Response{}, nil, err
	}
	return key, m.complete(key, req, turn.response(), turn.Usage == nil), nil, nil
}

// turn returns the next turn of a script; m.mu must be held.
func (m *Model) turn(key scriptKey, turns []Turn) (Turn, error) {
	n := m.next[key]
	m.next[key] = n + 1
	switch {
	case n < len(turns):
		return turns[n], nil
	case len(turns) > 0 && m.cfg.OnExhausted == ExhaustRepeatLast:
		return turns[len(turns)-1], nil
	case len(turns) > 0 && m.cfg.OnExhausted == ExhaustLoop:
		return turns[n%len(turns)], nil
	}
	return Turn{}, &ExhaustedError{Role: key.role, RoleScript: key.isRole, Scripted: len(turns), Call: n + 1}
}

// complete fills in what a reply lacks: IDs, role, finish reason, model
// and, when estimate is set, usage. m.mu must be held.
func (m *Model) complete(key scriptKey, req llm.Request, resp llm.Response, estimate bool) llm.Response {
	resp.Message = cloneMessage(resp.Message)
	m.assignIDs(key, &resp.Message)
	if resp.Message.Role == "" {
		resp.Message.Role = llm.RoleAssistant
	}
	if resp.FinishReason == "" {
		resp.FinishReason = llm.FinishStop
		if len(resp.Message.ToolCalls()) > 0 {
			resp.FinishReason = llm.FinishToolCalls
		}
	}
	if resp.Model == "" {
		resp.Model = m.cfg.Name
	}
	if estimate {
		resp.Usage = EstimateUsage(req, resp.Message)
	}
	return resp
}

// assignIDs numbers msg and its ID-less tool calls within the script key;
// m.mu must be held.
func (m *Model) assignIDs(key scriptKey, msg *llm.Message) {
	prefix := m.cfg.IDPrefix
	if key.isRole {
		role := string(key.role)
		if role == "" {
			role = "default"
		}
		prefix += role + "_"
	}
	if msg.ID == "" {
		m.msgSeq[key]++
		msg.ID = prefix + "msg_" + strconv.Itoa(m.msgSeq[key])
	}
	for _, p := range msg.Parts {
		if p.ToolCall != nil && p.ToolCall.ID == "" {
			m.callSeq[key]++
			p.ToolCall.ID = prefix + "call_" + strconv.Itoa(m.callSeq[key])
		}
	}
}
