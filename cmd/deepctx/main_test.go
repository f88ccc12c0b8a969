package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLI runs the CLI in-process and returns its exit code and output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "", "version")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `^deepctx \S+ \(go1\.\d+.*, \w+/\w+\)\n$`, out)
}

func TestModelsTable(t *testing.T) {
	code, out, _ := runCLI(t, "", "models")
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Regexp(t, `^PROVIDER\s+MODEL\s+WINDOW\s+MAX OUTPUT\s+TOKENIZER$`, lines[0])
	assert.Regexp(t, `(?m)^openai\s+gpt-4\.1\s+1,047,576\s+32,768\s+o200k_base \(exact\)$`, out)
	assert.Regexp(t, `(?m)^anthropic\s+claude-sonnet-4-5\s+200,000\s+\S+\s+~ o200k_base x \d\.\d\d$`, out)
	assert.Greater(t, len(lines), 30, "the registry covers OpenAI, Anthropic, Google and open models")
}

func TestModelsJSON(t *testing.T) {
	code, out, _ := runCLI(t, "", "models", "--json")
	require.Equal(t, exitOK, code)
	var models []struct {
		Name          string
		ContextWindow int
		Exact         bool
	}
	require.NoError(t, json.Unmarshal([]byte(out), &models))
	found := false
	for _, m := range models {
		if m.Name == "gpt-4o" {
			found = true
			assert.Equal(t, 128000, m.ContextWindow)
			assert.True(t, m.Exact)
		}
	}
	assert.True(t, found)
}

func TestTokensCount(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.txt")
	require.NoError(t, os.WriteFile(file, []byte("hello world"), 0o600))

	code, out, _ := runCLI(t, "hello world", "tokens", "count", "-q")
	require.Equal(t, exitOK, code)
	assert.Equal(t, "2\n", out, `"hello world" is 2 tokens in o200k_base`)

	code, out, _ = runCLI(t, "", "tokens", "count", "--model", "openai:gpt-4", file)
	require.Equal(t, exitOK, code)
	assert.Equal(t, "2 tokens  "+file+"  (gpt-4, cl100k_base exact; 0.0% of a 8,192-token window)\n", out)

	code, out, _ = runCLI(t, "hello world", "tokens", "count", "--json", "-", file)
	require.Equal(t, exitOK, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var c tokenCount
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &c))
	assert.Equal(t, tokenCount{Source: file, Tokens: 2, Bytes: 11, Model: "gpt-4.1", Encoding: "o200k_base", Exact: true,
		Window: 1047576, Percent: 100 * 2.0 / 1047576}, c)
}

func TestTokensCountApproximateAndUnknownModels(t *testing.T) {
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 50)
	_, exact, _ := runCLI(t, text, "tokens", "count", "-q", "--model", "gpt-4o")
	code, approx, stderr := runCLI(t, text, "tokens", "count", "-q", "--model", "anthropic:claude-sonnet-4-5")
	require.Equal(t, exitOK, code)
	assert.Empty(t, stderr)
	assert.Greater(t, atoi(t, approx), atoi(t, exact), "the approximation for Claude overestimates")

	code, out, stderr := runCLI(t, text, "tokens", "count", "-q", "--model", "acme-9000")
	require.Equal(t, exitOK, code, "an unknown model warns, never fails")
	assert.Contains(t, stderr, `warning: unknown model "acme-9000"`)
	assert.Greater(t, atoi(t, out), 0)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	_, err := fmt.Sscan(strings.TrimSpace(s), &n)
	require.NoError(t, err)
	return n
}

func TestGroupCommandAloneShowsHelp(t *testing.T) {
	code, out, stderr := runCLI(t, "", "tokens")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "Available Commands:")
	assert.Contains(t, out, "count")
	assert.Empty(t, stderr)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"models", "--nope"}, exitUsage, "unknown flag: --nope"},
		{"extra argument", []string{"version", "extra"}, exitUsage, "unknown command"},
		{"unknown subcommand", []string{"tokens", "cont"}, exitUsage, `unknown command "cont" for "deepctx tokens"`},
		{"missing file", []string{"tokens", "count", "/no/such/file"}, exitRuntime, "read /no/such/file: no such file or directory"},
		{"directory", []string{"tokens", "count", "/"}, exitRuntime, "read /: is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, out)
			first, _, _ := strings.Cut(stderr, "\n")
			assert.True(t, strings.HasPrefix(first, "deepctx: "), first)
			assert.Contains(t, first, tt.message)
		})
	}
}

func TestBenchContextWritesResults(t *testing.T) {
	if _, err := os.Stat(filepath.Join(runtime.GOROOT(), "doc", "go_spec.html")); err != nil {
		t.Skip("the benchmark corpus needs the Go toolchain's documentation")
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "", "bench", "context", "--steps", "12", "--strategy", "none,default", "--out", out, "--work", t.TempDir())
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "wrote "+out+"/context.md")
	assert.Regexp(t, `(?m)^\s+12 steps\s+default\s+billed`, stderr, "progress goes to stderr")
	md, err := os.ReadFile(filepath.Join(out, "context.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "`deepctx bench context --seed 1 --steps 12`")
	assert.Regexp(t, `\| default \| [\d,]+ \| -\d+\.\d% \|`, string(md))
	_, err = os.Stat(filepath.Join(out, "context-12.svg"))
	require.NoError(t, err)

	code, _, stderr = runCLI(t, "", "bench", "context", "--strategy", "magic")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown strategy "magic"`)
}
