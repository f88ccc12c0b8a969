package langchain

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/llms/ollama"

	"github.com/deepctx/deepctx/agent/llm"
)

// Dialect says how a wrapped model wants the conversation laid out.
// langchaingo's providers read llms.MessageContent differently; the dialect
// picks the layout each one understands.
type Dialect int

const (
	// DialectAuto picks the dialect from the wrapped model's type:
	// DialectSplit for langchaingo's anthropic, DialectText for its ollama,
	// DialectGrouped for everything else.
	DialectAuto Dialect = iota
	// DialectGrouped sends one MessageContent per message holding its text
	// and tool calls, and one per tool result. langchaingo's openai,
	// googleai, mistral and bedrock read conversations this way.
	DialectGrouped
	// DialectSplit sends every part as its own MessageContent, for models
	// that read only the first part of each (langchaingo's anthropic in
	// v0.1.14). Anthropic's API joins consecutive turns of one role again.
	DialectSplit
	// DialectText sends text only, one text part per message: tool calls and
	// results in the history are written out as text, and a Request with
	// Tools fails with llm.ErrBadRequest. langchaingo's ollama (v0.1.14) has
	// no tool support.
	DialectText
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case DialectAuto:
		return "auto"
	case DialectGrouped:
		return "grouped"
	case DialectSplit:
		return "split"
	case DialectText:
		return "text"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Config describes a wrapped model. The zero value is usable.
type Config struct {
	// Provider names the provider in errors (llm.ProviderError.Provider).
	// Optional. Defaults to "langchain".
	Provider string
	// Model is the model name sent with every call (llms.WithModel) and
	// reported in Response.Model. Optional. Defaults to empty: the wrapped
	// model uses the model it was built with and Response.Model is empty.
	Model string
	// Dialect is the conversation layout the wrapped model understands.
	// Optional. Defaults to DialectAuto.
	Dialect Dialect
	// DefaultTemperature is sent when a Request leaves Temperature nil.
	//
	// A Request's temperature, an explicit 0 included, is always passed
	// with llms.WithTemperature. langchaingo v0.1.14's clients cannot tell
	// 0 from unset: openai (except reasoning models), anthropic and ollama
	// send whatever CallOptions holds, so without a temperature they send
	// 0, and googleai sends its DefaultTemperature (0.5); bedrock's
	// Anthropic models drop 0, so an explicit 0 gets the API's default
	// there. Hence "the provider's default" must be spelled out here.
	// Optional. Defaults to nil: no temperature option is passed.
	DefaultTemperature *float64
	// DefaultMaxTokens caps the output when a Request leaves MaxTokens 0.
	// Optional. Defaults to 0: the wrapped model's own default.
	DefaultMaxTokens int
	// MapError classifies errors the wrapped model returns that are not
	// already *llms.Error values, e.g. anthropic.MapError. Optional.
	// Defaults to llms.NewErrorMapper(Provider).Map.
	MapError func(error) error
	// CallOptions are passed on every call before the options derived from
	// the Request, so a Request's own settings win. Do not request several
	// candidates (llms.WithN, llms.WithCandidateCount): the choices of a
	// response are read as parts of one reply. Optional.
	CallOptions []llms.CallOption
}

// Model adapts a langchaingo llms.Model to llm.Model. It is safe for
// concurrent use when the wrapped model is.
type Model struct {
	llm llms.Model
	cfg Config
}

var _ llm.Model = (*Model)(nil)

// New wraps m as an llm.Model. If m is nil, every call fails with
// llm.ErrBadRequest.
func New(m llms.Model, cfg Config) *Model {
	if cfg.Provider == "" {
		cfg.Provider = "langchain"
	}
	if cfg.Dialect == DialectAuto {
		cfg.Dialect = detectDialect(m)
	}
	if cfg.MapError == nil {
		cfg.MapError = llms.NewErrorMapper(cfg.Provider).Map
	}
	if cfg.DefaultTemperature != nil {
		cfg.DefaultTemperature = llm.Temp(*cfg.DefaultTemperature)
	}
	cfg.CallOptions = slices.Clone(cfg.CallOptions)
	return &Model{llm: m, cfg: cfg}
}

func detectDialect(m llms.Model) Dialect {
	switch m.(type) {
	case *anthropic.LLM:
		return DialectSplit
	case *ollama.LLM:
		return DialectText
	}
	return DialectGrouped
}

// Config returns the model's configuration with defaults applied.
func (m *Model) Config() Config {
	cfg := m.cfg
	cfg.CallOptions = slices.Clone(cfg.CallOptions)
	if t := cfg.DefaultTemperature; t != nil {
		cfg.DefaultTemperature = llm.Temp(*t)
	}
	return cfg
}

// Close releases the wrapped model's resources if it has any to release
// (googleai's client holds connections); otherwise it does nothing.
func (m *Model) Close() error {
	if c, ok := m.llm.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// Generate runs req to completion.
func (m *Model) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	msgs, opts, err := m.prepare(req)
	if err != nil {
		return llm.Response{}, err
	}
	resp, err := m.call(ctx, msgs, opts)
	if err != nil {
		return llm.Response{}, err
	}
	return m.response(resp)
}

// Stream runs req and yields the reply's text as the wrapped model streams
// it (llms.WithStreamingFunc), then its tool calls, then EventDone. Models
// that do not stream yield their text in one event. Breaking out of the loop
// cancels the call and waits for the wrapped model to return.
func (m *Model) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		msgs, opts, err := m.prepare(req)
		if err != nil {
			yield(llm.Event{}, err)
			return
		}
		m.stream(ctx, msgs, opts, yield)
	}
}

type callResult struct {
	resp *llms.ContentResponse
	err  error
}

// stream runs the call on its own goroutine, because langchaingo may invoke
// the streaming function from a goroutine of its own (anthropic does), and
// hands every chunk to the caller's goroutine, which alone calls yield.
func (m *Model) stream(ctx context.Context, msgs []llms.MessageContent, opts []llms.CallOption, yield func(llm.Event, error) bool) {
	ctx, cancel := context.WithCancel(ctx)
	chunks := make(chan string)
	done := make(chan callResult, 1)
	opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error {
		if len(chunk) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err // stops the wrapped model
		}
		select {
		case chunks <- string(chunk):
			return nil
		case <-ctx.Done():
			return ctx.Err() // stops the wrapped model
		}
	}))
	go func() {
		resp, err := m.call(ctx, msgs, opts)
		done <- callResult{resp, err}
	}()
	finished := false
	defer func() {
		cancel()
		if !finished {
			<-done
		}
	}()
	streamed := false
	for {
		select {
		case chunk := <-chunks:
			streamed = true
			if !yield(llm.Event{Kind: llm.EventText, Text: chunk}, nil) {
				return
			}
		case r := <-done:
			// Every chunk was received before the call returned: the
			// streaming function sends synchronously.
			finished = true
			m.finish(r, streamed, yield)
			return
		}
	}
}

// finish yields what the stream has not yet yielded of the final response:
// its text unless it was streamed, its tool calls and EventDone, in the
// order llm.StreamOf gives them; or the error that ended the call.
func (m *Model) finish(r callResult, streamed bool, yield func(llm.Event, error) bool) {
	reply := func(context.Context, llm.Request) (llm.Response, error) {
		if r.err != nil {
			return llm.Response{}, r.err
		}
		return m.response(r.resp)
	}
	for ev, err := range llm.StreamOf(context.Background(), reply, llm.Request{}) {
		if streamed && ev.Kind == llm.EventText {
			continue
		}
		if !yield(ev, err) {
			return
		}
	}
}

// call invokes the wrapped model, turning its errors into deepctx errors and
// its panics into errors.
func (m *Model) call(ctx context.Context, msgs []llms.MessageContent, opts []llms.CallOption) (resp *llms.ContentResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, fmt.Errorf("langchain: %s: model panicked: %v", m.cfg.Provider, r)
		}
	}()
	resp, err = m.llm.GenerateContent(ctx, msgs, opts...)
	if err != nil {
		return nil, m.mapError(ctx, err)
	}
	return resp, nil
}

// prepare converts req into langchaingo messages and call options.
func (m *Model) prepare(req llm.Request) ([]llms.MessageContent, []llms.CallOption, error) {
	if m.llm == nil {
		return nil, nil, m.badRequest("no langchaingo model to call (New got nil)")
	}
	if len(req.Tools) > 0 && m.cfg.Dialect == DialectText {
		return nil, nil, m.badRequest("this model takes text only and cannot call tools; drop Request.Tools or use a provider with tool calling")
	}
	msgs, err := convertMessages(req, m.cfg.Dialect)
	if err != nil {
		return nil, nil, m.badRequest(err.Error())
	}
	opts, err := m.callOptions(req)
	if err != nil {
		return nil, nil, m.badRequest(err.Error())
	}
	return msgs, opts, nil
}

// callOptions derives the langchaingo options for req.
func (m *Model) callOptions(req llm.Request) ([]llms.CallOption, error) {
	opts := slices.Clone(m.cfg.CallOptions)
	if m.cfg.Model != "" {
		opts = append(opts, llms.WithModel(m.cfg.Model))
	}
	if t := req.Temperature; t != nil {
		opts = append(opts, llms.WithTemperature(*t))
	} else if t := m.cfg.DefaultTemperature; t != nil {
		opts = append(opts, llms.WithTemperature(*t))
	}
	if req.MaxTokens > 0 {
		opts = append(opts, llms.WithMaxTokens(req.MaxTokens))
	} else if m.cfg.DefaultMaxTokens > 0 {
		opts = append(opts, llms.WithMaxTokens(m.cfg.DefaultMaxTokens))
	}
	if len(req.Stop) > 0 {
		opts = append(opts, llms.WithStopWords(slices.Clone(req.Stop)))
	}
	if req.Schema != nil {
		opts = append(opts, llms.WithJSONMode())
	}
	if len(req.Tools) == 0 {
		return opts, nil
	}
	tools, err := convertTools(req.Tools)
	if err != nil {
		return nil, err
	}
	opts = append(opts, llms.WithTools(tools))
	choice, err := toolChoice(req.ToolChoice, req.Tools)
	if err != nil {
		return nil, err
	}
	if choice != nil {
		opts = append(opts, llms.WithToolChoice(choice))
	}
	return opts, nil
}

func (m *Model) badRequest(msg string) error {
	return &llm.ProviderError{Kind: llm.ErrBadRequest, Provider: m.cfg.Provider, Message: msg}
}
