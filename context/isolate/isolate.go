package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/tokens"
	"github.com/deepctx/deepctx/context/window"
)

// Defaults of Config.
const (
	// DefaultMaxToolCalls is the tool calls a sub-agent may make when
	// Config.MaxToolCalls is 0.
	DefaultMaxToolCalls = 20
	// DefaultReturnBudget is the most tokens a sub-agent's answer may hold
	// when Config.ReturnBudget is 0.
	DefaultReturnBudget = 1500
)

// DefaultSystem is the sub-agent's instructions when Config.System is empty.
const DefaultSystem = "You are a research sub-agent working on one brief for a lead agent. " +
	"Use the tools to find what the brief asks for. When you are done, reply without calling any tool: " +
	"that reply is your final answer and all the lead agent will see of your work, so state your findings " +
	"with the figures and sources (URLs, artifact handles) that support them."

// ErrConfig is matched (errors.Is) by the error Run returns for an unusable
// Config.
var ErrConfig = errors.New("isolate: invalid config")

// Tool is the context engine's tool contract (window.Tool): a tool the
// sub-agent may call. Run must honour ctx and should report failures as a
// result with IsError set; a panic in Run is recovered and reported to the
// model the same way. A tool of the agent's registry adapts as
// Tool{Def: t.Def(), Run: t.Call} or similar.
type Tool = window.Tool

// Config describes a sub-agent.
type Config struct {
	// Model runs the sub-agent's turns (Request.Role llm.CallResearcher).
	// Required.
	Model llm.Model
	// System is the sub-agent's instructions. Run appends one sentence
	// telling the model its answer is cut to ReturnBudget tokens.
	// Optional. Defaults to DefaultSystem.
	System string
	// Tools is the sub-agent's scoped tool set: the only tools it is
	// offered and the only ones it can run. A call to any other tool is
	// answered with an error result and the run goes on. Names must be
	// unique. Optional. Defaults to none: the sub-agent answers from its
	// brief alone.
	Tools []Tool
	// Manager prepares each view of the sub-agent's transcript: its own
	// context engine, with its own policies. Optional. Defaults to a
	// Manager without policies counting with Tokenizer.
	Manager *window.Manager
	// Tokenizer counts the answer against ReturnBudget and, when Manager
	// is nil, the views. Optional when Manager is set. Defaults to
	// Manager.Tokenizer.
	Tokenizer *tokens.Tokenizer
	// Budget bounds every view of the sub-agent. Optional. Defaults to
	// window.BudgetFor(Tokenizer.Info(), 0): the model's whole window.
	Budget window.Budget
	// MaxToolCalls caps the tool calls the sub-agent makes, counting
	// every call it is answered for (failed, malformed and out-of-scope
	// calls included). Calls past the cap are answered "not run" and the
	// model is asked, with tools disabled, for its final answer. Optional.
	// Defaults to DefaultMaxToolCalls.
	MaxToolCalls int
	// MaxTurns caps the model calls that may use tools; the next call asks
	// for the final answer, as at MaxToolCalls. Optional. Defaults to 0: no
	// cap beyond MaxToolCalls (each such turn makes at least one call).
	MaxTurns int
	// ReturnBudget is the most tokens Result.Answer may hold, counted with
	// Tokenizer. A longer answer is compressed by one call to Compressor
	// (Request.Role llm.CallCompressor) and, if that fails or is still too
	// long, truncated with a marker. Optional. Defaults to
	// DefaultReturnBudget.
	ReturnBudget int
	// Compressor shortens an answer over ReturnBudget. Optional. Defaults
	// to Model (a Router maps the compressor role to its tier).
	Compressor llm.Model
	// NoCompress truncates an answer over ReturnBudget without asking a
	// model to compress it first. Optional. Defaults to false.
	NoCompress bool
	// Concurrency is how many tool calls of one reply run at once. Results
	// are appended in call order whatever the concurrency. Optional.
	// Defaults to 1: calls run one after another.
	Concurrency int
	// Observe, if set, is called after every model call and every answered
	// tool call, from the goroutine running Run, in order. It must not
	// block for long: the loop waits for it.
	Observe func(Step)
}

// StopReason says why a sub-agent's loop ended.
type StopReason string

// Why a sub-agent stopped.
const (
	// StopAnswered: the model replied without tool calls.
	StopAnswered StopReason = "answered"
	// StopMaxToolCalls: the sub-agent used MaxToolCalls and was asked for
	// its final answer.
	StopMaxToolCalls StopReason = "max_tool_calls"
	// StopMaxTurns: the sub-agent used MaxTurns and was asked for its
	// final answer.
	StopMaxTurns StopReason = "max_turns"
)

// Result is what a sub-agent returns to the agent that started it.
type Result struct {
	// Answer is the sub-agent's final answer, at most ReturnBudget tokens.
	Answer string
	// AnswerTokens is the size of Answer, counted with the Tokenizer.
	AnswerTokens int
	// Compressed reports that the model's answer was over ReturnBudget and
	// Answer is a compressed version of it.
	Compressed bool
	// Truncated reports that Answer was cut to ReturnBudget and ends with
	// a marker saying so.
	Truncated bool
	// CompressError is why compression failed, when it did; Answer is then
	// truncated.
	CompressError error
	// Artifacts are the handles of content the sub-agent stored, in order
	// of appearance: the Meta.Artifact of its transcript's messages, and
	// the Artifact and replacements' Meta.Artifact of its edits (such as
	// an offload policy's in Manager).
	Artifacts []string
	// Usage sums the usage of every model call, compression included.
	Usage llm.Usage
	// ToolCalls counts the tool calls charged against MaxToolCalls.
	ToolCalls int
	// ModelCalls counts the model calls, compression included.
	ModelCalls int
	// Stop says why the loop ended.
	Stop StopReason
	// Transcript is the sub-agent's own transcript (system prompt, brief,
	// every turn and raw tool result, and its Manager's edits), for the
	// caller to persist or inspect. The parent's transcript is never
	// touched.
	Transcript *window.Transcript
}

// Run runs a sub-agent on brief in a fresh transcript holding only its
// system prompt and the brief, and returns its bounded answer.
//
// Each turn, cfg.Manager prepares the view within cfg.Budget and the model
// answers; its tool calls run (scoped to cfg.Tools, in call order) and their
// results are appended. The loop ends when the model replies without tool
// calls, or, at MaxToolCalls or MaxTurns, after one more call with tools
// disabled asking for the final answer. The answer is then fitted to
// ReturnBudget (see Config.ReturnBudget).
//
// On an error (cancelled ctx, failed model call, a view over budget) Run
// returns it wrapped with what it has so far: the transcript, usage and
// counts, and no answer.
func Run(ctx context.Context, cfg Config, brief string) (Result, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	t, err := window.NewTranscript(llm.System(c.systemPrompt()), llm.User(brief))
	if err != nil {
		return Result{}, fmt.Errorf("isolate: %w", err)
	}
	r := &runner{cfg: c, t: t, res: Result{Transcript: t}, tools: map[string]Tool{}}
	for _, tl := range c.Tools {
		r.defs = append(r.defs, tl.Def)
		r.tools[tl.Def.Name] = tl
	}
	answer, err := r.loop(ctx)
	r.res.Artifacts = artifacts(t)
	if err != nil {
		return r.res, err
	}
	if err := r.fit(ctx, brief, answer); err != nil {
		return r.res, err
	}
	return r.res, nil
}

func (c Config) withDefaults() (Config, error) {
	if c.Model == nil {
		return c, fmt.Errorf("%w: Model is required", ErrConfig)
	}
	if c.Tokenizer == nil && c.Manager != nil {
		c.Tokenizer = c.Manager.Tokenizer
	}
	if c.Tokenizer == nil {
		return c, fmt.Errorf("%w: Tokenizer (or a Manager with one) is required", ErrConfig)
	}
	if c.Manager == nil {
		c.Manager = &window.Manager{Tokenizer: c.Tokenizer}
	}
	if c.Budget.Window <= 0 {
		c.Budget = window.BudgetFor(c.Tokenizer.Info(), 0)
	}
	if c.MaxToolCalls <= 0 {
		c.MaxToolCalls = DefaultMaxToolCalls
	}
	if c.ReturnBudget <= 0 {
		c.ReturnBudget = DefaultReturnBudget
	}
	if c.Compressor == nil {
		c.Compressor = c.Model
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	seen := map[string]bool{}
	for _, tl := range c.Tools {
		if tl.Def.Name == "" {
			return c, fmt.Errorf("%w: a tool has no name", ErrConfig)
		}
		if seen[tl.Def.Name] {
			return c, fmt.Errorf("%w: tool %q is listed twice", ErrConfig, tl.Def.Name)
		}
		seen[tl.Def.Name] = true
	}
	return c, nil
}

func (c Config) systemPrompt() string {
	s := c.System
	if s == "" {
		s = DefaultSystem
	}
	return fmt.Sprintf("%s\n\nYour final answer is cut to %d tokens: make it dense.", s, c.ReturnBudget)
}

type runner struct {
	cfg   Config
	t     *window.Transcript
	res   Result
	defs  []llm.ToolDef
	tools map[string]Tool
}

// loop runs turns until the model answers and returns the answer's text.
func (r *runner) loop(ctx context.Context) (string, error) {
	for turns := 0; ; turns++ {
		var stop StopReason
		switch {
		case r.res.ToolCalls >= r.cfg.MaxToolCalls:
			stop = StopMaxToolCalls
		case r.cfg.MaxTurns > 0 && turns >= r.cfg.MaxTurns:
			stop = StopMaxTurns
		}
		if stop != "" {
			return r.final(ctx, stop)
		}
		msg, err := r.turn(ctx, llm.ToolChoice{})
		if err != nil {
			return "", err
		}
		calls := msg.ToolCalls()
		if len(calls) == 0 {
			r.res.Stop = StopAnswered
			return msg.Text(), nil
		}
		if err := r.answer(ctx, calls); err != nil {
			return "", err
		}
		if err := ctx.Err(); err != nil {
			return "", fmt.Errorf("isolate: %w", err)
		}
	}
}

// final asks for the final answer with tools disabled.
func (r *runner) final(ctx context.Context, stop StopReason) (string, error) {
	r.res.Stop = stop
	why := fmt.Sprintf("You have used all %d tool calls available to you.", r.cfg.MaxToolCalls)
	if stop == StopMaxTurns {
		why = fmt.Sprintf("You have used all %d turns available to you.", r.cfg.MaxTurns)
	}
	nudge := llm.User(why + " Do not call any more tools. Write your final answer to the brief now, from what you have found.")
	if err := r.t.Append(nudge); err != nil {
		return "", fmt.Errorf("isolate: %w", err)
	}
	msg, err := r.turn(ctx, llm.ToolChoice{Mode: llm.ToolChoiceNone})
	if err != nil {
		return "", err
	}
	if calls := msg.ToolCalls(); len(calls) > 0 {
		// The model called tools anyway: answer them so the transcript
		// stays well formed, and take its text as the answer.
		results := make([]llm.Message, len(calls))
		for i, c := range calls {
			results[i] = llm.Tool(failure(c, "not run: tool use is over; this reply is the final answer"))
		}
		if err := r.t.Append(results...); err != nil {
			return "", fmt.Errorf("isolate: %w", err)
		}
	}
	return msg.Text(), nil
}

// turn prepares the view, calls the model and appends its reply.
func (r *runner) turn(ctx context.Context, choice llm.ToolChoice) (llm.Message, error) {
	if err := ctx.Err(); err != nil {
		return llm.Message{}, fmt.Errorf("isolate: %w", err)
	}
	view, report, err := r.cfg.Manager.Prepare(ctx, r.t, r.defs, r.cfg.Budget)
	if err != nil {
		return llm.Message{}, fmt.Errorf("isolate: prepare turn %d: %w", r.res.ModelCalls+1, err)
	}
	start := time.Now()
	resp, err := r.cfg.Model.Generate(ctx, llm.Request{
		Role:       llm.CallResearcher,
		Messages:   view,
		Tools:      r.defs,
		ToolChoice: choice,
	})
	r.res.ModelCalls++
	r.res.Usage = r.res.Usage.Add(resp.Usage)
	r.observe(Step{
		Kind: StepModelCall, Turn: r.res.ModelCalls, Role: llm.CallResearcher,
		ViewTokens: report.TokensSent, Limit: r.cfg.Budget.Limit(),
		TokensBefore: report.TokensBefore, Edits: len(report.Edits),
		Usage: resp.Usage, Model: resp.Model, FinishReason: resp.FinishReason,
		Start: start, End: time.Now(), Err: err,
	})
	if err != nil {
		return llm.Message{}, fmt.Errorf("isolate: model call %d: %w", r.res.ModelCalls, err)
	}
	msg := resp.Message
	msg.Role = llm.RoleAssistant
	if _, taken := r.t.Message(msg.ID); taken || msg.ID == "" {
		msg.ID = llm.NewID()
	}
	if err := r.t.Append(msg); err != nil {
		return llm.Message{}, fmt.Errorf("isolate: %w", err)
	}
	return msg, nil
}

// answer runs calls and appends their results, in call order.
func (r *runner) answer(ctx context.Context, calls []llm.ToolCall) error {
	start := time.Now()
	results := make([]llm.ToolResult, len(calls))
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.cfg.Concurrency)
	for i, c := range calls {
		if r.res.ToolCalls >= r.cfg.MaxToolCalls {
			results[i] = failure(c, fmt.Sprintf("not run: the limit of %d tool calls is reached", r.cfg.MaxToolCalls))
			continue
		}
		r.res.ToolCalls++
		tl, ok := r.tools[c.Name]
		if !ok {
			results[i] = failure(c, r.unavailable(c.Name))
			continue
		}
		var obj map[string]json.RawMessage
		if err := c.DecodeArgs(&obj); err != nil {
			results[i] = failure(c, err.Error()+"; send the arguments as a JSON object matching the tool's schema")
			continue
		}
		if r.cfg.Concurrency == 1 {
			results[i] = invoke(ctx, tl, c)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				results[i] = invoke(ctx, tl, c)
			case <-ctx.Done():
				results[i] = failure(c, "not run: "+ctx.Err().Error())
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	msgs := make([]llm.Message, len(calls))
	for i, res := range results {
		res.CallID, res.Name = calls[i].ID, calls[i].Name
		msgs[i] = llm.Tool(res)
		r.observe(Step{
			Kind: StepToolCall, Turn: r.res.ModelCalls, Tool: res.Name, CallID: res.CallID,
			IsError: res.IsError, Start: start, End: end,
		})
	}
	if err := r.t.Append(msgs...); err != nil {
		return fmt.Errorf("isolate: %w", err)
	}
	return nil
}

func (r *runner) unavailable(name string) string {
	names := make([]string, 0, len(r.tools))
	for n := range r.tools {
		names = append(names, n)
	}
	slices.Sort(names)
	available := "none"
	if len(names) > 0 {
		available = strings.Join(names, ", ")
	}
	return fmt.Sprintf("tool %q is not available to this sub-agent; available tools: %s", name, available)
}

// invoke runs one call, turning a panic or a missing Run into an error
// result.
func invoke(ctx context.Context, tl Tool, c llm.ToolCall) (res llm.ToolResult) {
	if err := ctx.Err(); err != nil {
		return failure(c, "not run: "+err.Error())
	}
	if tl.Run == nil {
		return failure(c, fmt.Sprintf("tool %q cannot be run: it has no Run function", c.Name))
	}
	defer func() {
		if p := recover(); p != nil {
			res = failure(c, fmt.Sprintf("tool %q failed: panic: %v", c.Name, p))
		}
	}()
	return tl.Run(ctx, c)
}

func failure(c llm.ToolCall, content string) llm.ToolResult {
	return llm.ToolResult{CallID: c.ID, Name: c.Name, Content: content, IsError: true}
}

// artifacts returns the artifact handles of t's messages and edits, in
// order of appearance, without duplicates.
func artifacts(t *window.Transcript) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, m := range t.Messages() {
		add(m.Meta.Artifact)
	}
	for _, e := range t.Edits() {
		for _, h := range e.Artifacts {
			add(h)
		}
		for _, m := range e.Replacement {
			add(m.Meta.Artifact)
		}
	}
	return out
}
