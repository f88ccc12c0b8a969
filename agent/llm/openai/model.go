package openai

import (
	"context"
	"errors"
	"io"
	"iter"

	oai "github.com/sashabaranov/go-openai"

	"github.com/deepctx/deepctx/agent/llm"
)

// Model is an llm.Model served by the chat-completions API of OpenAI, Azure
// OpenAI or an OpenAI-compatible server. It is safe for concurrent use.
type Model struct {
	client         *oai.Client
	model          string
	provider       string
	maxTokensParam string
}

var _ llm.Model = (*Model)(nil)

// New returns a Model for cfg. It fails when cfg names no model, has an
// invalid BaseURL, or lacks the API key that api.openai.com and Azure
// require.
func New(cfg Config) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Model{
		client:         oai.NewClientWithConfig(cfg.clientConfig()),
		model:          cfg.Model,
		provider:       cfg.Provider,
		maxTokensParam: cfg.MaxTokensParam,
	}, nil
}

// Name returns the configured model name (the deployment, for Azure).
func (m *Model) Name() string { return m.model }

// Generate sends req as one chat completion and returns the reply.
// Failures are *llm.ProviderError values classified by their Kind;
// cancellation returns an error that wraps ctx.Err().
func (m *Model) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	wire, err := m.chatRequest(req)
	if err != nil {
		return llm.Response{}, err
	}
	c := m.newCall(req)
	ctx = withCall(ctx, c)
	resp, err := m.client.CreateChatCompletion(ctx, wire)
	if err != nil {
		return llm.Response{}, m.wrapError(ctx, c, err)
	}
	return fromResponse(resp, m.model)
}

// Stream sends req as a streamed chat completion (server-sent events, with
// usage reported in the last chunk). It yields text and tool-call deltas as
// they arrive, then an llm.EventDone carrying the complete reply. Breaking
// out of the loop closes the connection; cancelling ctx ends the stream with
// an error that wraps ctx.Err().
func (m *Model) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		resp, err := m.stream(ctx, req, yield)
		switch {
		case errors.Is(err, errStopped):
		case err != nil:
			yield(llm.Event{}, err)
		default:
			yield(llm.Event{Kind: llm.EventDone, Response: &resp}, nil)
		}
	}
}

// errStopped reports that the consumer of a stream stopped reading.
var errStopped = errors.New("stream stopped by its consumer")

// stream runs one streamed completion, passing every delta event to yield,
// and returns the complete reply.
func (m *Model) stream(ctx context.Context, req llm.Request, yield func(llm.Event, error) bool) (llm.Response, error) {
	wire, err := m.chatRequest(req)
	if err != nil {
		return llm.Response{}, err
	}
	wire.StreamOptions = &oai.StreamOptions{IncludeUsage: true}
	c := m.newCall(req)
	ctx = withCall(ctx, c)
	s, err := m.client.CreateChatCompletionStream(ctx, wire)
	if err != nil {
		return llm.Response{}, m.wrapError(ctx, c, err)
	}
	defer s.Close()
	acc := newAccumulator(m.model)
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return llm.Response{}, m.wrapError(ctx, c, err)
		}
		for _, ev := range acc.add(chunk) {
			if !yield(ev, nil) {
				return llm.Response{}, errStopped
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return llm.Response{}, m.wrapError(ctx, c, err)
	}
	return acc.response()
}
