package replay

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Redacted replaces every secret the scrubber finds.
const Redacted = "[REDACTED]"

// secretNames are JSON member and header names whose values are secrets,
// lower-cased without '-' and '_'.
var secretNames = map[string]bool{
	"apikey": true, "xapikey": true, "authorization": true, "proxyauthorization": true,
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "authtoken": true, "xauthtoken": true,
	"token": true, "bearer": true, "secret": true, "clientsecret": true, "secretkey": true,
	"password": true, "passwd": true, "cookie": true, "setcookie": true,
}

// namePattern matches a secret's field name, with any prefix such as
// OPENAI_ or X-.
const namePattern = `(?:[A-Za-z0-9]+[-_])*(?:api[-_]?key|authorization|(?:access|refresh|auth|id)[-_]?token|token|client[-_]?secret|secret[-_]?key|secret|password|passwd)`

var (
	// "api_key": "value" inside text that embeds JSON.
	jsonMember = regexp.MustCompile(`(?i)("` + namePattern + `"\s*:\s*)"(?:[^"\\]|\\.)*"`)
	// Authorization: Bearer xyz, api-key=abcdefgh, X-Api-Key: … (headers,
	// env files, query strings). Without a scheme, values shorter than 8
	// characters are left alone so prose survives.
	headerValue = regexp.MustCompile(`(?i)\b(` + namePattern + `\s*[:=]\s*)(?:(?:bearer|basic|token)\s+[^\s"',;&]+|[A-Za-z0-9._~+/=\-]{8,})`)
	bearer      = regexp.MustCompile(`\bBearer\s+[A-Za-z0-9._~+/=\-]+`)
	// Well-known key formats: OpenAI/Anthropic sk-…, Google AIza…, GitHub,
	// Slack, AWS access key IDs, Hugging Face.
	tokenFormats = regexp.MustCompile(`\b(?:sk-[A-Za-z0-9_\-]{10,}|AIza[0-9A-Za-z_\-]{30,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16}|hf_[A-Za-z0-9]{20,})`)
)

// RedactSecrets returns s with what looks like a credential replaced by
// Redacted: API keys in well-known formats (sk-…, AIza…, ghp_…, xox…-,
// AKIA…, hf_…; an sk- key must contain a digit), Bearer tokens, and the
// values of api-key, authorization, token, secret and password fields
// (x-api-key, OPENAI_API_KEY, access_token, client-secret, …) written as
// JSON members, headers or assignments. Outside JSON, a value without an
// auth scheme (Bearer, Basic, Token) is replaced only from 8 characters on,
// so that prose such as "authorization: the act of…" survives.
func RedactSecrets(s string) string {
	s = jsonMember.ReplaceAllString(s, `$1"`+Redacted+`"`)
	s = headerValue.ReplaceAllString(s, `${1}`+Redacted)
	s = bearer.ReplaceAllString(s, "Bearer "+Redacted)
	return tokenFormats.ReplaceAllStringFunc(s, func(tok string) string {
		if strings.HasPrefix(tok, "sk-") && !strings.ContainsAny(tok, "0123456789") {
			return tok // a word like "sk-learn-compatible", not a key
		}
		return Redacted
	})
}

// scrubber applies the built-in redaction, then the custom one, to every
// string of a JSON value.
type scrubber struct {
	custom func(string) string
}

func (s scrubber) str(v string) string {
	v = RedactSecrets(v)
	if s.custom != nil {
		v = s.custom(v)
	}
	return v
}

// json encodes v, scrubs every string in it, replaces the string values of
// secret-named members, and returns the canonical encoding.
func (s scrubber) json(v any) (json.RawMessage, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	tree, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	return marshal(s.walk(tree))
}

// marshal is json.Marshal without HTML escaping, so cassettes stay
// readable.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (s scrubber) walk(v any) any {
	switch v := v.(type) {
	case string:
		return s.str(v)
	case []any:
		for i := range v {
			v[i] = s.walk(v[i])
		}
	case map[string]any:
		for k, val := range v {
			if _, isString := val.(string); isString && secretNames[normalizeName(k)] {
				v[k] = Redacted
				continue
			}
			v[k] = s.walk(val)
		}
	}
	return v
}

func normalizeName(k string) string {
	return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(k))
}
