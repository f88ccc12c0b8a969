package llm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
)

// Router maps call roles to models, each with a fallback chain, and applies
// a retry policy to every model in every chain. A Router is itself a Model:
// it routes each Request by its Role, using the default chain for roles it
// has no route for.
//
// Routers are immutable; the With… methods return modified copies, so one
// Router may be shared by concurrent agents.
type Router struct {
	def    []Named
	routes map[CallRole][]Named
	retry  RetryPolicy
}

// Named is a model with the spec it was opened from, for descriptions.
type Named struct {
	Model
	// Name is the spec string, or empty when unknown.
	Name string
}

// NewRouter returns a router whose default chain is primary then fallbacks,
// with the default RetryPolicy.
func NewRouter(primary Model, fallbacks ...Model) *Router {
	return &Router{def: named(primary, fallbacks), routes: map[CallRole][]Named{}}
}

func named(primary Model, fallbacks []Model) []Named {
	chain := []Named{asNamed(primary)}
	for _, m := range fallbacks {
		chain = append(chain, asNamed(m))
	}
	return chain
}

func asNamed(m Model) Named {
	if n, ok := m.(Named); ok {
		return n
	}
	return Named{Model: m}
}

// WithRole returns a copy of r that sends calls of role to primary, then to
// fallbacks in order.
func (r *Router) WithRole(role CallRole, primary Model, fallbacks ...Model) *Router {
	c := r.clone()
	c.routes[role] = named(primary, fallbacks)
	return c
}

// WithRetry returns a copy of r that retries with p.
func (r *Router) WithRetry(p RetryPolicy) *Router {
	c := r.clone()
	c.retry = p
	return c
}

func (r *Router) clone() *Router {
	return &Router{def: r.def, routes: maps.Clone(r.routes), retry: r.retry}
}

// Chain returns the models that serve role, primary first.
func (r *Router) Chain(role CallRole) []Named {
	if chain, ok := r.routes[role]; ok {
		return slices.Clone(chain)
	}
	return slices.Clone(r.def)
}

// Describe returns the route of role as spec strings where known, e.g.
// "openai:gpt-4.1 -> anthropic:claude-sonnet-4-5".
func (r *Router) Describe(role CallRole) string {
	var parts []string
	for _, m := range r.Chain(role) {
		name := m.Name
		if name == "" {
			name = fmt.Sprintf("%T", m.Model)
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, " -> ")
}

// Generate sends req to the first model of its role's chain, with retries,
// and on failure to the next. It falls back on any error except the end of
// ctx; the error of the last model tried is returned, wrapped with the
// errors of the earlier ones.
func (r *Router) Generate(ctx context.Context, req Request) (Response, error) {
	var errs []error
	for _, m := range r.Chain(req.Role) {
		if m.Model == nil {
			errs = append(errs, errNilModel)
			continue
		}
		resp, err := r.retry.Wrap(m).Generate(ctx, req)
		if err == nil {
			return resp, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return Response{}, chainError(req.Role, errs)
}

// Stream is Generate for streams. It falls back only while nothing has been
// yielded: once output reached the caller, an error ends the stream.
func (r *Router) Stream(ctx context.Context, req Request) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		var errs []error
		for _, m := range r.Chain(req.Role) {
			if m.Model == nil {
				errs = append(errs, errNilModel)
				continue
			}
			failed, started, stopped := forward(r.retry.Wrap(m).Stream(ctx, req), yield)
			if stopped || failed == nil {
				return
			}
			if started {
				yield(Event{}, failed)
				return
			}
			errs = append(errs, failed)
			if ctx.Err() != nil {
				break
			}
		}
		yield(Event{}, chainError(req.Role, errs))
	}
}

// errNilModel reports a chain built with a nil Model: a programming error
// surfaced as an error rather than a panic.
var errNilModel = fmt.Errorf("%w: router chain holds a nil model", ErrBadRequest)

// chainError reports the failure of a whole chain. It wraps every error so
// errors.Is and errors.As see each one; the last error leads the message.
func chainError(role CallRole, errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	if role == CallDefault {
		role = "default"
	}
	last := errs[len(errs)-1]
	return fmt.Errorf("llm: all %d models for role %s failed, last: %w", len(errs), role, errors.Join(append([]error{last}, errs[:len(errs)-1]...)...))
}

// Opener builds a Model from a parsed spec. The provider package supplies
// one that knows every provider; tests supply their own.
type Opener func(Spec) (Model, error)

// RouterConfig describes routes as spec strings, as read from flags or a
// config file. Each value is a comma-separated fallback chain.
type RouterConfig struct {
	// Default serves every role without a route of its own. Required.
	Default string `json:"default" yaml:"default"`
	// Roles maps a role to its chain, e.g. "summarizer": "openai:gpt-4.1-mini".
	Roles map[CallRole]string `json:"roles,omitempty" yaml:"roles,omitempty"`
	// Retry applies to every model. Optional. Defaults to RetryPolicy{}.
	Retry RetryPolicy `json:"-" yaml:"-"`
}

// OpenRouter parses every chain of cfg, opens each distinct spec once with
// open, and returns the Router. Unknown roles and bad specs are errors.
func OpenRouter(cfg RouterConfig, open Opener) (*Router, error) {
	opened := map[Spec]Named{}
	chain := func(s string) ([]Named, error) {
		specs, err := ParseChain(s)
		if err != nil {
			return nil, err
		}
		models := make([]Named, 0, len(specs))
		for _, spec := range specs {
			m, ok := opened[spec]
			if !ok {
				model, err := open(spec)
				if err == nil && model == nil {
					err = errors.New("opener returned no model")
				}
				if err != nil {
					return nil, fmt.Errorf("llm: open %s: %w", spec, err)
				}
				m = Named{Model: model, Name: spec.String()}
				opened[spec] = m
			}
			models = append(models, m)
		}
		return models, nil
	}
	def, err := chain(cfg.Default)
	if err != nil {
		return nil, fmt.Errorf("default route: %w", err)
	}
	r := &Router{def: def, routes: map[CallRole][]Named{}, retry: cfg.Retry}
	for _, role := range slices.Sorted(maps.Keys(cfg.Roles)) {
		if !slices.Contains(CallRoles, role) {
			return nil, fmt.Errorf("llm: unknown role %q (known: %s)", role, joinRoles())
		}
		models, err := chain(cfg.Roles[role])
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", role, err)
		}
		r.routes[role] = models
	}
	return r, nil
}

func joinRoles() string {
	names := make([]string, len(CallRoles))
	for i, r := range CallRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}
