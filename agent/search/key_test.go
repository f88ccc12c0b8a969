package search

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyRoundTrip(t *testing.T) {
	for _, k := range []Key{{"3fa9c2e01b7d", 0}, {"3fa9c2e01b7d", 12}, {"000000000000", 99999}} {
		got, err := ParseKey(k.String())
		require.NoError(t, err)
		assert.Equal(t, k, got)
		got, err = ParseKey("[" + k.String() + "]")
		require.NoError(t, err)
		assert.Equal(t, k, got, "brackets are accepted")
	}
	assert.Equal(t, "3fa9c2e01b7d#12", Key{"3fa9c2e01b7d", 12}.String())
}

func TestParseKeyRejects(t *testing.T) {
	for _, s := range []string{"", "3fa9c2e01b7d", "3fa9c2e01b7d#", "3fa9c2e01b7d#-1", "3fa9c2e01b7d#x",
		"3FA9C2E01B7D#1", "3fa9c2e01b#1", "3fa9c2e01b7d00#1", "3fa9c2e01b7g#1", "3fa9c2e01b7d#+1"} {
		_, err := ParseKey(s)
		assert.ErrorIs(t, err, ErrBadKey, "%q", s)
	}
}

func TestDocID(t *testing.T) {
	id := DocID("/tmp/a/../a/doc.md")
	assert.Len(t, id, 12)
	assert.True(t, ValidDocID(id))
	assert.Equal(t, DocID("/tmp/a/doc.md"), id, "paths are cleaned")
	assert.NotEqual(t, DocID("/tmp/a/other.md"), id)
	abs, err := filepath.Abs("x.md")
	require.NoError(t, err)
	assert.Equal(t, DocID(abs), DocID("x.md"), "relative paths are made absolute")
}
