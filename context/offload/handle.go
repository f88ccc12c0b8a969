package offload

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HandlePrefix starts every artifact handle.
const HandlePrefix = "art_"

// handleHexLen is the number of hex digits after HandlePrefix: the first
// 64 bits of the content's SHA-256.
const handleHexLen = 16

// Errors reported by the store. Callers branch on them with errors.Is.
var (
	// ErrInvalidHandle reports a handle that is not of the form
	// "art_" followed by 16 lowercase hex digits.
	ErrInvalidHandle = errors.New("offload: invalid artifact handle")
	// ErrNotFound reports a well-formed handle with no artifact behind it.
	ErrNotFound = errors.New("offload: artifact not found")
	// ErrUnsafePath reports an artifact file that is not a regular file
	// inside the store, such as a symbolic link pointing out of it.
	ErrUnsafePath = errors.New("offload: artifact file is not a regular file inside the store")
	// ErrCollision reports different content whose handle equals that of a
	// stored artifact (two contents sharing the first 64 bits of their
	// SHA-256). It is not expected to happen outside of attacks.
	ErrCollision = errors.New("offload: handle collision")
	// ErrBadRange reports a Read outside the artifact.
	ErrBadRange = errors.New("offload: offset out of range")
	// ErrEmptyQuery reports a search query without a single word to match.
	ErrEmptyQuery = errors.New("offload: query has no searchable words")
	// ErrClosed reports a Put, Search or Flush on a closed store.
	ErrClosed = errors.New("offload: store is closed")
)

// Handle names an artifact: "art_" followed by the first 16 hex digits of
// the SHA-256 of its content, so identical content always gets the same
// handle. The artifact's file path is derived from the handle's digits
// only.
type Handle string

// HandleOf returns the handle content gets when stored.
func HandleOf(content string) Handle {
	sum := sha256.Sum256([]byte(content))
	return Handle(HandlePrefix + hex.EncodeToString(sum[:handleHexLen/2]))
}

// ParseHandle validates s as a handle. It is strict: exactly "art_" and 16
// lowercase hex digits, nothing before or after. Anything else, such as a
// path, a handle with a "../" in it or a NUL byte, gives an error wrapping
// ErrInvalidHandle that quotes s.
func ParseHandle(s string) (Handle, error) {
	bad := func(why string) (Handle, error) {
		return "", fmt.Errorf("%w %s: %s; a handle looks like %q", ErrInvalidHandle, quoteShort(s), why, HandlePrefix+"0123456789abcdef")
	}
	if !strings.HasPrefix(s, HandlePrefix) {
		return bad("it must start with " + strconv.Quote(HandlePrefix))
	}
	digits := s[len(HandlePrefix):]
	if len(digits) != handleHexLen {
		return bad(fmt.Sprintf("it must have %d hex digits after the prefix, not %d bytes", handleHexLen, len(digits)))
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return bad("only lowercase hex digits 0-9a-f may follow the prefix")
		}
	}
	return Handle(s), nil
}

// String returns the handle as text.
func (h Handle) String() string { return string(h) }

// digits returns the hex digits of a valid handle.
func (h Handle) digits() string { return string(h[len(HandlePrefix):]) }

// contentPath and metaPath are the files of a valid handle, relative to
// the store's directory.
func (h Handle) contentPath() string {
	d := h.digits()
	return objectsDir + "/" + d[:2] + "/" + d
}

func (h Handle) metaPath() string { return h.contentPath() + ".json" }

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}
