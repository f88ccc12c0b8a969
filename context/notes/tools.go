package notes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
	"github.com/deepctx/deepctx/context/window"
)

// Names of the tools Tools returns.
const (
	WriteToolName  = "write_notes"
	AppendToolName = "append_notes"
	ReadToolName   = "read_notes"
)

// Tool is the context engine's tool contract (window.Tool). The notes
// tools never panic and report every failure (malformed arguments, a write
// over the cap, a cancelled ctx) as a result with IsError set, whose
// Content tells the model how to correct the call.
type Tool = window.Tool

var (
	writeSchema  = json.RawMessage(`{"type":"object","properties":{"text":{"type":"string","description":"The complete new notes. Replaces everything written before."}},"required":["text"],"additionalProperties":false}`)
	appendSchema = json.RawMessage(`{"type":"object","properties":{"line":{"type":"string","description":"The line to add at the end of the notes."}},"required":["line"],"additionalProperties":false}`)
	emptySchema  = json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)
)

// Tools returns the tools through which a model keeps n:
//
//   - write_notes(text) replaces the notes: the whole plan, rewritten, as
//     Manus rewrites its todo.md. One string argument, no modes: models
//     call it reliably, and a full rewrite cannot leave the notes half
//     edited.
//   - append_notes(line) adds one line, cheaper than a rewrite for a new
//     finding or task.
//   - read_notes() returns the notes. Redundant when a window.Manager
//     recites n (the notes are then at the end of every view); drop it
//     from the list to save its definition's tokens.
//
// Writes over the cap fail with an IsError result naming the cap and the
// size, so the model can shorten its notes and try again.
func Tools(n *Notes) []Tool {
	return []Tool{
		{
			Def: llm.ToolDef{
				Name: WriteToolName,
				Description: fmt.Sprintf("Replace your notes with new text: your plan, a checklist of tasks "+
					"(\"- [ ] open\", \"- [x] done\") and key findings. The notes are shown to you at the end of "+
					"the conversation on every turn. Limit: %d bytes.", n.MaxBytes()),
				Parameters: writeSchema,
			},
			Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
				var args struct {
					Text *string `json:"text"`
				}
				if res, ok := decode(ctx, call, &args); !ok {
					return res
				}
				if args.Text == nil {
					return failure(call, `write_notes needs a "text" argument: the complete new notes, as a string`)
				}
				if err := n.Write(*args.Text); err != nil {
					return capFailure(call, err)
				}
				return success(call, fmt.Sprintf("Notes saved (%d of %d bytes).", len(*args.Text), n.MaxBytes()))
			},
		},
		{
			Def: llm.ToolDef{
				Name:        AppendToolName,
				Description: fmt.Sprintf("Add one line at the end of your notes. Limit for the whole notes: %d bytes.", n.MaxBytes()),
				Parameters:  appendSchema,
			},
			Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
				var args struct {
					Line *string `json:"line"`
				}
				if res, ok := decode(ctx, call, &args); !ok {
					return res
				}
				if args.Line == nil {
					return failure(call, `append_notes needs a "line" argument: the line to add, as a string`)
				}
				if err := n.Append(*args.Line); err != nil {
					return capFailure(call, err)
				}
				return success(call, fmt.Sprintf("Line added (notes now %d of %d bytes).", len(n.Read()), n.MaxBytes()))
			},
		},
		{
			Def: llm.ToolDef{
				Name:        ReadToolName,
				Description: "Return your notes.",
				Parameters:  emptySchema,
			},
			Run: func(ctx context.Context, call llm.ToolCall) llm.ToolResult {
				var args struct{}
				if res, ok := decode(ctx, call, &args); !ok {
					return res
				}
				text := n.Read()
				if text == "" {
					text = "(no notes yet)"
				}
				return success(call, text)
			},
		},
	}
}

// decode checks ctx and decodes the call's arguments into v; on failure it
// returns the error result to send back.
func decode(ctx context.Context, call llm.ToolCall, v any) (llm.ToolResult, bool) {
	if err := ctx.Err(); err != nil {
		return failure(call, "not run: "+err.Error()), false
	}
	if err := call.DecodeArgs(v); err != nil {
		return failure(call, err.Error()+`; send the arguments as a JSON object matching the tool's schema`), false
	}
	return llm.ToolResult{}, true
}

func capFailure(call llm.ToolCall, err error) llm.ToolResult {
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return failure(call, fmt.Sprintf("Notes not saved: they would be %d bytes, over the limit of %d bytes. "+
			"Shorten them (drop finished items, condense findings) and write them again.", tl.Size, tl.Max))
	}
	return failure(call, "Notes not saved: "+err.Error())
}

func success(call llm.ToolCall, content string) llm.ToolResult {
	return llm.ToolResult{CallID: call.ID, Name: call.Name, Content: content}
}

func failure(call llm.ToolCall, content string) llm.ToolResult {
	return llm.ToolResult{CallID: call.ID, Name: call.Name, Content: content, IsError: true}
}
