package offload

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHandle(t *testing.T) {
	valid := string(HandleOf("hello"))
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"valid", valid, true},
		{"valid digits only", "art_0123456789abcdef", true},
		{"empty", "", false},
		{"prefix only", "art_", false},
		{"no prefix", "0123456789abcdef", false},
		{"other prefix", "sha256:0123456789abcdef", false},
		{"uppercase hex", "art_0123456789ABCDEF", false},
		{"uppercase prefix", "ART_0123456789abcdef", false},
		{"too short", "art_0123456789abcde", false},
		{"too long", "art_0123456789abcdef0", false},
		{"path traversal", "../../etc/passwd", false},
		{"traversal after prefix", "art_../../etc/passwd", false},
		{"traversal of hex length", "art_../../../etc/pa", false},
		{"absolute path", "/etc/passwd", false},
		{"absolute after prefix", "art_/etc/passwd0000", false},
		{"slash inside", "art_01234567/9abcdef", false},
		{"backslash inside", `art_01234567\9abcdef`, false},
		{"NUL byte", "art_0123456789abcde\x00", false},
		{"NUL in the middle", "art_01234567\x0089abcdef", false},
		{"leading space", " art_0123456789abcdef", false},
		{"trailing newline", "art_0123456789abcdef\n", false},
		{"dots", "art_................", false},
		{"non-ASCII", "art_0123456789abcdé", false},
		{"sidecar name", "art_0123456789abcdef.json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHandle(tt.in)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.in, h.String())
				return
			}
			require.ErrorIs(t, err, ErrInvalidHandle)
			assert.Contains(t, err.Error(), "art_0123456789abcdef", "the error shows what a handle looks like")
			assert.Empty(t, h)
		})
	}
}

// TestStoreRejectsUnsafeHandles feeds the store the handles a model could
// make up: none may reach a file, whatever is on disk.
func TestStoreRejectsUnsafeHandles(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "store")
	s := openStore(t, dir)
	secret := filepath.Join(base, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("top secret"), 0o600))

	for _, in := range []string{
		"../secret.txt", "../../etc/passwd", "/etc/passwd", secret, "art_../secret.txt",
		"objects/../../secret.txt", "art_0123456789abcde\x00", "\x00", "art_0123456789abcdef/../../x",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := s.Read(Handle(in), 0, 0)
			assert.ErrorIs(t, err, ErrInvalidHandle)
			_, err = s.Stat(Handle(in))
			assert.ErrorIs(t, err, ErrInvalidHandle)
		})
	}
}

func TestStoreRejectsSymlinks(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "store")
	s := openStore(t, dir)
	secret := filepath.Join(base, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("top secret"), 0o600))

	t.Run("content file links out of the store", func(t *testing.T) {
		h, err := s.Put(bg, "first artifact", Meta{})
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(h.contentPath()))
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink(secret, p))
		sl, err := s.Read(h, 0, 0)
		require.ErrorIs(t, err, ErrUnsafePath)
		assert.Empty(t, sl.Text)
		assert.NotContains(t, err.Error(), "top secret")
	})
	t.Run("content file links inside the store", func(t *testing.T) {
		other, err := s.Put(bg, "other artifact", Meta{})
		require.NoError(t, err)
		h, err := s.Put(bg, "second artifact", Meta{})
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(h.contentPath()))
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink(filepath.Join(dir, filepath.FromSlash(other.contentPath())), p))
		_, err = s.Read(h, 0, 0)
		assert.ErrorIs(t, err, ErrUnsafePath, "only regular files are artifacts")
	})
	t.Run("shard directory links out of the store", func(t *testing.T) {
		outside := filepath.Join(base, "outside")
		require.NoError(t, os.MkdirAll(outside, 0o700))
		h := HandleOf("never stored, planted outside")
		require.NoError(t, os.WriteFile(filepath.Join(outside, h.digits()), []byte("top secret"), 0o600))
		shard := filepath.Join(dir, objectsDir, h.digits()[:2])
		require.NoError(t, os.RemoveAll(shard))
		require.NoError(t, os.Symlink(outside, shard))
		_, err := s.Read(h, 0, 0)
		require.ErrorIs(t, err, ErrUnsafePath)
		_, err = s.Stat(h)
		require.Error(t, err)
	})
	t.Run("sidecar links out of the store", func(t *testing.T) {
		h, err := s.Put(bg, "third artifact", Meta{})
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(h.metaPath()))
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink(secret, p))
		_, err = s.Stat(h)
		assert.ErrorIs(t, err, ErrUnsafePath)
	})
}
