package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	oai "github.com/sashabaranov/go-openai"
)

// call is the state of one Generate or Stream call shared with transport
// through the request context: what to add to the request body and what the
// server answered. A call serves one goroutine at a time: go-openai sends the
// request from the goroutine that called it.
type call struct {
	// extra are members written into the request body, for fields that
	// go-openai cannot express or would refuse.
	extra []member
	// sent reports that the request reached the HTTP client, i.e. that
	// go-openai built it without error.
	sent bool
	// status and header are those of the last HTTP response, if any.
	status int
	header http.Header
}

// member is one "name": value pair of a JSON object.
type member struct {
	name  string
	value any
}

type callKey struct{}

// withCall returns a context that carries c to transport.
func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// transport wraps the configured HTTP client to repair gaps of go-openai:
// its Temperature field is a float32 with omitempty, so an explicit 0 never
// reaches the server; it refuses max_tokens for model names it takes for
// OpenAI reasoning models, even on servers that only know max_tokens; and
// its errors do not expose response headers, so Retry-After would be lost.
// Requests whose context carries a *call get the call's extra members
// written into their JSON body and have the response status and headers
// recorded; other requests pass through.
type transport struct {
	next oai.HTTPDoer
}

// Do sends req through the wrapped client.
func (t transport) Do(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(callKey{}).(*call)
	if c == nil {
		return t.next.Do(req)
	}
	if len(c.extra) > 0 {
		patched, err := withMembers(req, c.extra)
		if err != nil {
			return nil, err
		}
		req = patched
	}
	c.sent = true
	resp, err := t.next.Do(req)
	if resp != nil {
		c.status, c.header = resp.StatusCode, resp.Header
	}
	return resp, err
}

// withMembers returns a copy of req whose JSON object body also has the
// given members. The body must not already contain them: go-openai omits
// them because chatRequest leaves the corresponding fields unset.
func withMembers(req *http.Request, members []member) (*http.Request, error) {
	if req.Body == nil {
		return nil, errors.New("request has no body")
	}
	patched, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	for _, mb := range members {
		if patched, err = insertMember(patched, mb.name, mb.value); err != nil {
			return nil, err
		}
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(patched))
	out.ContentLength = int64(len(patched))
	out.GetBody = func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(patched)), nil
	}
	return out, nil
}

// insertMember returns the JSON object doc with "name": value added as its
// first member. The rest of doc is kept byte for byte.
func insertMember(doc []byte, name string, value any) ([]byte, error) {
	rest := bytes.TrimLeft(doc, " \t\r\n")
	if len(rest) == 0 || rest[0] != '{' {
		return nil, errors.New("request body is not a JSON object")
	}
	rest = rest[1:]
	key, err := json.Marshal(name)
	if err != nil {
		return nil, err
	}
	val, err := json.Marshal(value)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(doc)+len(key)+len(val)+3)
	out = append(out, '{')
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, val...)
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 && trimmed[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...), nil
}
