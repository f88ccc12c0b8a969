package scripted

import "github.com/deepctx/deepctx/agent/llm"

// Requests returns deep copies of every request received, in arrival order.
func (m *Model) Requests() []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]llm.Request, len(m.requests))
	for i, req := range m.requests {
		out[i] = cloneRequest(req)
	}
	return out
}

// RequestsFor returns deep copies of the requests received for role, in
// arrival order.
func (m *Model) RequestsFor(role llm.CallRole) []llm.Request {
	var out []llm.Request
	for _, req := range m.Requests() {
		if req.Role == role {
			out = append(out, req)
		}
	}
	return out
}

// LastRequest returns a deep copy of the latest request received; ok is
// false before the first call.
func (m *Model) LastRequest() (req llm.Request, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.requests) == 0 {
		return llm.Request{}, false
	}
	return cloneRequest(m.requests[len(m.requests)-1]), true
}

// Calls returns how many requests the model has received, failed and
// cancelled ones included.
func (m *Model) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.requests)
}

// Remaining returns how many scripted turns have not been used yet, over
// every script. Turns repeated by OnExhausted do not count.
func (m *Model) Remaining() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := max(0, len(m.cfg.Turns)-m.next[scriptKey{}])
	for role, turns := range m.cfg.Roles {
		n += max(0, len(turns)-m.next[scriptKey{role: role, isRole: true}])
	}
	return n
}
