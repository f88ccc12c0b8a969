package verify

import "testing"

// A judge's verdict is untrusted model output: parseVerdict returns a
// verdict or an error, never panics, and a verdict it accepts is
// consistent.
func FuzzParseVerdict(f *testing.F) {
	f.Add(`{"supported": true, "reason": "stated"}`)
	f.Add("```json\n{\"supported\": false, \"reason\": \"adds a number\"}\n```")
	f.Add(`{"supported": "yes"}`)
	f.Add(`}{`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseVerdict(text)
		if err != nil {
			return
		}
		if s.Supported != (s.Score == 1) || !s.Supported && s.Score != 0 {
			t.Fatalf("inconsistent verdict %+v from %q", s, text)
		}
	})
}
