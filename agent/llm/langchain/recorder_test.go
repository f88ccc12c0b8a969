package langchain

import (
	"context"
	"sync"

	"github.com/tmc/langchaingo/llms"
)

// Sentinels the recorder starts CallOptions with, so a test can tell "option
// not passed" from "option passed with zero".
const (
	unsetTemperature = -1.0
	unsetMaxTokens   = -1
)

// recorder is an llms.Model test double: it records the messages and call
// options it receives, streams its chunks through the streaming function
// when one is set, and replies as scripted.
type recorder struct {
	resp      *llms.ContentResponse
	err       error
	chunks    []string
	panicWith any
	// beforeChunk, if set, runs before chunk i is streamed.
	beforeChunk func(i int)

	mu        sync.Mutex
	calls     int
	msgs      []llms.MessageContent
	opts      llms.CallOptions
	streamErr error // what the streaming function returned, if it failed
}

func (r *recorder) GenerateContent(ctx context.Context, msgs []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	opts := llms.CallOptions{Temperature: unsetTemperature, MaxTokens: unsetMaxTokens}
	for _, o := range options {
		o(&opts)
	}
	r.mu.Lock()
	r.calls++
	r.msgs, r.opts = msgs, opts
	r.mu.Unlock()
	if r.panicWith != nil {
		panic(r.panicWith)
	}
	if opts.StreamingFunc != nil {
		for i, c := range r.chunks {
			if r.beforeChunk != nil {
				r.beforeChunk(i)
			}
			if err := opts.StreamingFunc(ctx, []byte(c)); err != nil {
				r.mu.Lock()
				r.streamErr = err
				r.mu.Unlock()
				return nil, err
			}
		}
	}
	return r.resp, r.err
}

func (r *recorder) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, r, prompt, options...)
}

func (r *recorder) received() ([]llms.MessageContent, llms.CallOptions, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgs, r.opts, r.calls
}

// textReply returns a one-choice response holding text.
func textReply(text string) *llms.ContentResponse {
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: text, StopReason: "stop"}}}
}
