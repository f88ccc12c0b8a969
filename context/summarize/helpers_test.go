package summarize

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRE = regexp.MustCompile(`\n[ \t]*\n(\s*\n)*`)
)

// goDocProse returns the prose of Go's own documentation (the memory model
// and the spec, HTML stripped), or skips the test when it is missing.
func goDocProse(tb testing.TB) string {
	tb.Helper()
	prose, err := loadGoDocProse()
	if err != nil {
		tb.Skipf("Go documentation not available: %v", err)
	}
	return prose
}

var loadGoDocProse = sync.OnceValues(func() (string, error) {
	root := os.Getenv("GOROOT")
	if root == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return "", err
		}
		root = strings.TrimSpace(string(out))
	}
	var b strings.Builder
	for _, name := range []string{"go_mem.html", "go_spec.html"} {
		raw, err := os.ReadFile(filepath.Join(root, "doc", name))
		if err != nil {
			return "", err
		}
		s := string(raw)
		// Drop code blocks: filler should be prose.
		s = regexp.MustCompile(`(?s)<pre>.*?</pre>`).ReplaceAllString(s, "\n\n")
		s = html.UnescapeString(tagRE.ReplaceAllString(s, ""))
		b.WriteString(blankRE.ReplaceAllString(s, "\n\n"))
		b.WriteString("\n\n")
	}
	return b.String(), nil
})

// prefixTokens returns the leading paragraphs of text up to about n tokens.
func prefixTokens(text string, n int) string {
	var b strings.Builder
	total := 0
	for _, para := range strings.Split(text, "\n\n") {
		if total >= n {
			break
		}
		b.WriteString(para)
		b.WriteString("\n\n")
		total += defaultCounter().Count(para) + 1
	}
	return b.String()
}
