package scripted

import (
	"context"
	"fmt"
	"iter"
	"unicode"

	"github.com/deepctx/deepctx/agent/llm"
)

// Stream answers req like Generate and yields the reply in pieces: its text
// split after each run of whitespace, then each tool call as a first delta
// carrying ID and name followed by its arguments in up to three pieces, then
// llm.EventDone with the complete Response. The turn is taken when the
// sequence is iterated. A cancelled ctx ends the stream with its error.
func (m *Model) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		resp, err := m.Generate(ctx, req)
		if err != nil {
			yield(llm.Event{}, err)
			return
		}
		for _, ev := range Events(resp) {
			if err := ctx.Err(); err != nil {
				yield(llm.Event{}, fmt.Errorf("scripted: %w", err))
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// Events returns the events Stream yields for resp, ending with
// llm.EventDone.
func Events(resp llm.Response) []llm.Event {
	var events []llm.Event
	for _, chunk := range splitWords(resp.Message.Text()) {
		events = append(events, llm.Event{Kind: llm.EventText, Text: chunk})
	}
	for i, c := range resp.Message.ToolCalls() {
		events = append(events, llm.Event{Kind: llm.EventToolCall, ToolCall: &llm.ToolCallDelta{Index: i, ID: c.ID, Name: c.Name}})
		for _, piece := range splitThirds(string(c.Args)) {
			events = append(events, llm.Event{Kind: llm.EventToolCall, ToolCall: &llm.ToolCallDelta{Index: i, Args: piece}})
		}
	}
	done := resp
	done.Message = cloneMessage(resp.Message)
	return append(events, llm.Event{Kind: llm.EventDone, Response: &done})
}

// splitWords cuts s after each run of whitespace that precedes more text.
func splitWords(s string) []string {
	var chunks []string
	start, prevSpace := 0, false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if prevSpace && !space {
			chunks = append(chunks, s[start:i])
			start = i
		}
		prevSpace = space
	}
	if start < len(s) {
		chunks = append(chunks, s[start:])
	}
	return chunks
}

// splitThirds cuts s into up to three pieces of about equal rune count.
func splitThirds(s string) []string {
	runes := []rune(s)
	size := max(1, (len(runes)+2)/3)
	var pieces []string
	for len(runes) > 0 {
		n := min(size, len(runes))
		pieces = append(pieces, string(runes[:n]))
		runes = runes[n:]
	}
	return pieces
}
