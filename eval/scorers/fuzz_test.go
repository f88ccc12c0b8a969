package scorers_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/eval/scorers"
)

// FuzzReportText feeds untrusted report text to the parsers of reports:
// Body keeps a prefix of the report, and CheckAbstention quotes sentences
// that occur in it.
func FuzzReportText(f *testing.F) {
	for _, s := range []string{
		"# T\n\n## Summary\n\nThe corpus does not say. The answer is 150 [1].\n\n## Sources\n\n1. x\n",
		"```\n## Sources\n```\n## References\n",
		"No findings.[1][2] Yes, it is.\n- item one? - item two!",
		"#\n##\n###### Summary\n\n[",
		"Claim. [1",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, report string) {
		body := scorers.Body(report)
		require.True(t, strings.HasPrefix(report, body), "body %q is not a prefix", body)
		a := scorers.CheckAbstention(report)
		for _, quote := range []string{a.Declines, a.Answers} {
			if utf8.ValidString(report) {
				assert.True(t, utf8.ValidString(quote), "quote %q", quote)
			}
			assert.LessOrEqual(t, len(quote), 240+len("…"))
		}
		if a.Declines == "" {
			assert.False(t, a.Abstains())
		}
	})
}

// FuzzMatchSource checks that patterns never panic and that a path's own
// last segments always match it.
func FuzzMatchSource(f *testing.F) {
	f.Add("sync/atomic", "/goroot/src/sync/atomic")
	f.Add("*.html", "/doc/go_mem.html")
	f.Add("[", "a")
	f.Add("a\\", "a/b")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		_, _ = scorers.MatchSource(pattern, path)
		segs := strings.Split(strings.Trim(path, "/"), "/")
		last := segs[len(segs)-1]
		if last == "" || strings.ContainsAny(last, `*?[\`) || strings.TrimSpace(last) != last || strings.HasPrefix(last, ".") {
			return
		}
		ok, err := scorers.MatchSource(last, path)
		require.NoError(t, err)
		assert.True(t, ok, "%q does not match %q", last, path)
	})
}
