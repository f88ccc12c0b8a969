package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/deepctx/deepctx/agent/llm"
)

// configFileName is the config file research reads from the working
// directory when --config is not given.
const configFileName = "deepctx.yaml"

// settings are the knobs of a research run: read from deepctx.yaml,
// overridden by flags, and saved in the run folder so resume rebuilds the
// same agent. The YAML keys are the flags' names.
type settings struct {
	Corpus         []string          `json:"corpus,omitempty" yaml:"corpus"`
	DB             string            `json:"db,omitempty" yaml:"db"`
	Model          string            `json:"model,omitempty" yaml:"model"`
	Roles          map[string]string `json:"roles,omitempty" yaml:"role"`
	BaseURL        string            `json:"base_url,omitempty" yaml:"base-url"`
	Out            string            `json:"-" yaml:"out"`
	MaxResearchers int               `json:"max_researchers,omitempty" yaml:"max-researchers"`
	MaxToolCalls   int               `json:"max_tool_calls,omitempty" yaml:"max-tool-calls"`
	// CritiqueRounds is nil when unset (the agent's default); an explicit
	// 0 (or -1) turns the critique loop off.
	CritiqueRounds *int `json:"critique_rounds,omitempty" yaml:"critique-rounds"`
	NoClarify      bool `json:"no_clarify,omitempty" yaml:"no-clarify"`
	ContextWindow  int  `json:"context_window,omitempty" yaml:"context-window"`
}

// loadSettings reads path, or deepctx.yaml in the working directory when
// path is empty and that file exists. Unknown keys are an error, so a typo
// does not silently fall back to a default.
func loadSettings(path string) (settings, string, error) {
	var s settings
	explicit := path != ""
	if !explicit {
		path = configFileName
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && !explicit {
		return s, "", nil
	}
	if err != nil {
		return s, "", fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && err.Error() != "EOF" {
		return s, "", fmt.Errorf("config %s: %w", path, err)
	}
	// Relative paths in the file are relative to the file.
	base := filepath.Dir(path)
	for i, c := range s.Corpus {
		s.Corpus[i] = resolvePath(base, c)
	}
	if s.DB != "" {
		s.DB = resolvePath(base, s.DB)
	}
	if s.Out != "" {
		s.Out = resolvePath(base, s.Out)
	}
	return s, path, nil
}

func resolvePath(base, p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "~") {
		return p
	}
	return filepath.Join(base, p)
}

// critiqueRounds maps the setting to research.Config.MaxCritiqueRounds,
// where 0 means the default and a negative value turns critique off.
func (s settings) critiqueRounds() int {
	switch {
	case s.CritiqueRounds == nil:
		return 0
	case *s.CritiqueRounds <= 0:
		return -1
	}
	return *s.CritiqueRounds
}

// validate checks what flags and the file cannot check alone.
func (s settings) validate() error {
	if s.CritiqueRounds != nil && *s.CritiqueRounds < -1 {
		return usagef("--critique-rounds must be 0 (no critique) or more, got %d", *s.CritiqueRounds)
	}
	for name, v := range map[string]int{
		"max-researchers": s.MaxResearchers, "max-tool-calls": s.MaxToolCalls, "context-window": s.ContextWindow,
	} {
		if v < 0 {
			return usagef("--%s must be positive, got %d", name, v)
		}
	}
	if s.Model != "" {
		if _, err := llm.ParseChain(s.Model); err != nil {
			return usagef("--model: %v", err)
		}
	}
	for role, spec := range s.Roles {
		if !slices.Contains(researchRoles, llm.CallRole(role)) {
			return usagef("--role %s: unknown role; roles are %s", role, joinRoles())
		}
		if _, err := llm.ParseChain(spec); err != nil {
			return usagef("--role %s: %v", role, err)
		}
	}
	return nil
}

// researchRoles are the roles the research agent calls models for.
var researchRoles = []llm.CallRole{
	llm.CallPlanner, llm.CallResearcher, llm.CallCompressor, llm.CallSummarizer, llm.CallWriter, llm.CallCritic,
}

func joinRoles() string {
	names := make([]string, len(researchRoles))
	for i, r := range researchRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// parseRoles reads repeated --role ROLE=SPEC flags.
func parseRoles(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		role, spec, ok := strings.Cut(f, "=")
		if !ok || role == "" || spec == "" {
			return nil, usagef("--role %q: want ROLE=SPEC, e.g. --role writer=openai:gpt-4.1", f)
		}
		out[strings.TrimSpace(role)] = strings.TrimSpace(spec)
	}
	return out, nil
}
