package scripted

import (
	"errors"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
)

// ErrExhausted is matched (errors.Is) by every *ExhaustedError.
var ErrExhausted = errors.New("scripted: script exhausted")

// ExhaustedError reports a call made after its script ran out.
type ExhaustedError struct {
	// Role is the role whose script ran out; empty for the default script.
	Role llm.CallRole
	// RoleScript tells whether the script was a role script (Config.Roles).
	RoleScript bool
	// Scripted is how many turns the script had.
	Scripted int
	// Call is the 1-based number of the call that found no turn.
	Call int
}

func (e *ExhaustedError) Error() string {
	script := "script"
	if e.RoleScript {
		script = fmt.Sprintf("script for role %q", e.Role)
	}
	return fmt.Sprintf("scripted: %s exhausted: %d turn(s) scripted, call %d has none", script, e.Scripted, e.Call)
}

// Is matches ErrExhausted.
func (e *ExhaustedError) Is(target error) bool { return target == ErrExhausted }
