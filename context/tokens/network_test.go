package tokens

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const noNetworkChildEnv = "DEEPCTX_TOKENS_NO_NETWORK_CHILD"

// TestMain runs the no-network check in a fresh process when asked to: the
// encoders are process-wide, so only a process that has not built them yet
// can show that building them never touches the network.
func TestMain(m *testing.M) {
	if os.Getenv(noNetworkChildEnv) == "1" {
		os.Exit(noNetworkChild())
	}
	os.Exit(m.Run())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// noNetworkChild builds both encoders, from several goroutines at once, with
// every HTTP request failing and being recorded, then counts. It returns the
// process exit code.
func noNetworkChild() int {
	var requests atomic.Int32
	deny := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		requests.Add(1)
		fmt.Fprintf(os.Stderr, "unexpected network request: %s %s\n", r.Method, r.URL)
		return nil, errors.New("network disabled by test")
	})
	http.DefaultTransport = deny
	http.DefaultClient.Transport = deny

	var wg sync.WaitGroup
	got := make([]*Encoder, 8)
	for i := range got {
		wg.Go(func() {
			e, err := EncoderFor(Encodings[i%len(Encodings)])
			if err != nil {
				fmt.Fprintln(os.Stderr, "EncoderFor:", err)
				return
			}
			got[i] = e
		})
	}
	wg.Wait()
	for i, e := range got {
		if e == nil || e != got[i%len(Encodings)] {
			fmt.Fprintln(os.Stderr, "encoder missing or built twice")
			return 1
		}
		if n := e.Count("hello world"); n != 2 {
			fmt.Fprintf(os.Stderr, "%s counted %d tokens in \"hello world\", want 2\n", e.Encoding(), n)
			return 1
		}
	}
	if n := requests.Load(); n != 0 {
		fmt.Fprintf(os.Stderr, "%d network requests\n", n)
		return 1
	}
	fmt.Println("no-network child: ok")
	return 0
}

func TestBuildingEncodersNeverTouchesTheNetwork(t *testing.T) {
	cache := t.TempDir() // tiktoken-go's download cache: must stay empty
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		noNetworkChildEnv+"=1",
		"TIKTOKEN_CACHE_DIR="+cache,
		"DATA_GYM_CACHE_DIR="+cache,
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "NO_PROXY=",
	)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child output:\n%s", out)
	assert.Contains(t, string(out), "no-network child: ok")
	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing may be downloaded into tiktoken's cache")
}
