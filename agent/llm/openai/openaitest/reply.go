package openaitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/llm"
)

// created is the "created" timestamp of every reply.
const created = 1700000000

// Reply writes resp as the answer to r, the way OpenAI does: streamed when
// r asked for a stream (see below), else one chat.completion object.
//
// A stream is a sequence of chat.completion.chunk server-sent events: the
// assistant role, the text in two pieces, each tool call's arguments in
// three (ID and name on the first), an empty delta with the finish reason,
// a usage chunk without choices when stream_options.include_usage asks for
// it, and "data: [DONE]".
//
// Tool calls without an ID get "call_<N>_<i>" (request number, position
// from 1). The finish reason is resp's, else "tool_calls" or "stop". Usage
// is resp's, else estimated from the sizes of the request and the reply.
func Reply(w http.ResponseWriter, r Request, resp llm.Response) {
	text := resp.Message.Text()
	calls := resp.Message.ToolCalls()
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = fmt.Sprintf("call_%d_%d", r.N, i+1)
		}
	}
	finish := string(resp.FinishReason)
	if finish == "" {
		finish = "stop"
		if len(calls) > 0 {
			finish = "tool_calls"
		}
	}
	usage := resp.Usage
	if usage == (llm.Usage{}) {
		usage = llm.Usage{Input: len(r.Body)/4 + 1, Output: len(text)/4 + 1}
		for _, c := range calls {
			usage.Output += (len(c.Name)+len(c.Args))/4 + 1
		}
	}
	model := r.Wire.Model
	id := fmt.Sprintf("chatcmpl-%d", r.N)
	if !r.Wire.Stream {
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if text != "" || len(calls) == 0 {
			msg["content"] = text
		}
		if len(calls) > 0 {
			wc := make([]map[string]any, len(calls))
			for i, c := range calls {
				wc[i] = map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": argsText(c)}}
			}
			msg["tool_calls"] = wc
		}
		writeJSON(w, map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
			"usage":   wireUsage(usage),
		})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	event := func(v any) {
		data, _ := json.Marshal(v)
		_, _ = fmt.Fprintf(w, "data: %s\n\n", data)
	}
	chunk := func(delta map[string]any, finish any) {
		event(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
		})
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, nil)
	if text != "" {
		for _, piece := range split(text, 2) {
			chunk(map[string]any{"content": piece}, nil)
		}
	}
	for i, c := range calls {
		for j, piece := range split(argsText(c), 3) {
			fn := map[string]any{"arguments": piece}
			tc := map[string]any{"index": i, "function": fn}
			if j == 0 {
				tc["id"], tc["type"], fn["name"] = c.ID, "function", c.Name
			}
			chunk(map[string]any{"tool_calls": []any{tc}}, nil)
		}
	}
	chunk(map[string]any{}, finish)
	if o := r.Wire.StreamOptions; o != nil && o.IncludeUsage {
		event(map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{}, "usage": wireUsage(usage),
		})
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
}

// argsText is a call's argument text as a model emitted it: a JSON string
// stored by llm.ArgsFromText (text that was not JSON) is unwrapped.
func argsText(c llm.ToolCall) string {
	var s string
	if json.Unmarshal(c.Args, &s) == nil {
		return s
	}
	return string(c.Args)
}

// wireUsage is u as OpenAI reports it.
func wireUsage(u llm.Usage) map[string]any {
	return map[string]any{
		"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": u.Input + u.Output,
		"prompt_tokens_details":     map[string]int{"cached_tokens": u.CachedInput},
		"completion_tokens_details": map[string]int{"reasoning_tokens": u.Reasoning},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	data, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// split cuts s into n pieces of about equal length, at rune boundaries;
// some may be empty.
func split(s string, n int) []string {
	out := make([]string, 0, n)
	for k := n; k > 1; k-- {
		cut := len(s) / k
		for cut < len(s) && !utf8.RuneStart(s[cut]) {
			cut++
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	return append(out, s)
}
