package research

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/engine"
	"github.com/deepctx/deepctx/context/summarize"
	"github.com/deepctx/deepctx/context/window"
)

// GraphName names the research graph in checkpoints.
const GraphName = "deep-research"

// Node names of the research graph, as they appear in events.
const (
	NodeClarify    = "clarify"
	NodeAsk        = "ask"
	NodeBrief      = "brief"
	NodeSupervisor = "supervisor"
	NodeResearcher = "researcher"
	NodeWrite      = "write"
	NodeCritique   = "critique"
	NodeRevise     = "revise"
	NodeFinish     = "finish"
)

// Agent is the deep-research agent: a compiled graph that runs
// clarify -> ask -> brief -> supervisor <-> researchers -> write -> critique <->
// revise -> finish. It is safe for concurrent runs.
type Agent struct {
	cfg      Config
	model    llm.Model // cfg.Model, streamed
	runnable *graph.Runnable[State]
}

// streaming makes Generate consume the model's Stream, so replies arrive
// as interactive providers send them (text and tool-call arguments in
// deltas) and a stalled stream fails with the call's context.
type streaming struct{ llm.Model }

func (s streaming) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	return llm.Collect(s.Model.Stream(ctx, req))
}

// New builds an Agent from cfg.
func New(cfg Config) (*Agent, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: c, model: streaming{c.Model}}
	g := graph.New(GraphName, stateFields()...)
	g.AddNodeFunc(NodeClarify, a.clarify)
	g.AddNodeFunc(NodeAsk, a.ask)
	g.AddNodeFunc(NodeBrief, a.brief)
	g.AddNodeFunc(NodeSupervisor, a.supervise, graph.WithSends(NodeResearcher))
	g.AddNode(NodeResearcher, graph.InputNode(a.research))
	g.AddNodeFunc(NodeWrite, a.write)
	g.AddNodeFunc(NodeCritique, a.critique)
	g.AddNodeFunc(NodeRevise, a.revise)
	g.AddNodeFunc(NodeFinish, a.finish)
	g.AddEdge(graph.START, NodeClarify).
		AddEdge(NodeClarify, NodeAsk).
		AddEdge(NodeAsk, NodeBrief).
		AddEdge(NodeBrief, NodeSupervisor).
		AddConditionalEdges(NodeSupervisor, a.afterSupervisor, NodeSupervisor, NodeWrite, graph.END).
		AddEdge(NodeResearcher, NodeSupervisor).
		AddConditionalEdges(NodeWrite, a.afterDraft, NodeCritique, NodeFinish).
		AddConditionalEdges(NodeCritique, a.afterCritique, NodeRevise, NodeFinish).
		AddEdge(NodeRevise, NodeCritique).
		AddEdge(NodeFinish, graph.END)
	r, err := g.Compile(graph.WithCheckpointer(c.Checkpoints), graph.WithConcurrency(c.MaxConcurrentResearchers), graph.WithMaxSteps(c.maxSteps()))
	if err != nil {
		return nil, fmt.Errorf("research: %w", err)
	}
	a.runnable = r
	return a, nil
}

// Config returns the agent's configuration with its defaults filled in.
func (a *Agent) Config() Config { return a.cfg }

// Graph returns the compiled graph, for callers that stream its events.
func (a *Agent) Graph() *graph.Runnable[State] { return a.runnable }

// Run researches question and returns the report. opts are passed to the
// graph run: graph.WithRunID names the run (and its checkpoints),
// graph.WithSinks receives its events. A run that pauses for a clarifying
// question returns an error matching graph.ErrInterrupted (Result.RunID
// names it); a run that fails or is cancelled can be continued with
// Resume under the ID given with graph.WithRunID.
func (a *Agent) Run(ctx context.Context, question string, opts ...graph.RunOption) (Result, error) {
	if question == "" {
		return Result{}, fmt.Errorf("research: empty question")
	}
	final, err := a.runnable.Invoke(ctx, State{Question: question}, opts...)
	return a.result(final, err)
}

// Resume continues the run runID from its latest checkpoint, without
// repeating finished work. answer is the user's reply when the run paused
// for a clarifying question, and ignored otherwise.
func (a *Agent) Resume(ctx context.Context, runID, answer string, opts ...graph.RunOption) (Result, error) {
	if answer != "" {
		opts = append(opts, graph.WithResumeValue(answer))
	}
	final, err := a.runnable.Resume(ctx, runID, opts...)
	return a.result(final, err)
}

func (a *Agent) result(s State, err error) (Result, error) {
	res := Result{State: s}
	if s.Final > 0 && s.Final <= len(s.Drafts) {
		d := s.Drafts[s.Final-1]
		res.Report, res.Sources = d.Report, d.Sources
		if s.Final <= len(s.Critiques) {
			res.Score = s.Critiques[s.Final-1].Score
		}
	}
	if err != nil {
		var ie *graph.InterruptError
		if errors.As(err, &ie) {
			res.RunID = ie.RunID
		}
		return res, err
	}
	return res, nil
}

// generate calls the model and reports the call as an event.
func (a *Agent) generate(ctx context.Context, t *graph.Task, req llm.Request) (llm.Response, error) {
	start := time.Now()
	resp, err := a.model.Generate(ctx, req)
	info := graph.ModelCallInfo{
		Model: resp.Model, Role: string(req.Role),
		InputTokens: resp.Usage.Input, CachedInput: resp.Usage.CachedInput, OutputTokens: resp.Usage.Output,
		FinishReason: string(resp.FinishReason), Start: start, End: time.Now(),
	}
	if err != nil {
		info.Err = err.Error()
	}
	t.EmitModelCall(info)
	if err != nil {
		return resp, fmt.Errorf("research: %s call: %w", req.Role, err)
	}
	return resp, nil
}

// manager returns the context engine of one transcript: Config.NewManager's,
// or DefaultPolicy over the run's artifact store, summarizing with the
// model's summarizer role.
func (a *Agent) manager() *window.Manager {
	if a.cfg.NewManager != nil {
		return a.cfg.NewManager()
	}
	return engine.NewManager(a.cfg.Tokenizer, engine.Options{
		Store:      a.cfg.Artifacts,
		Summarizer: summarize.Model(a.model, summarize.ModelConfig{}),
	})
}
