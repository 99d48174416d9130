package readme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkthroughSection is the README section whose ```sh blocks the test runs.
const walkthroughSection = "Walkthrough: from a fresh clone to a streamed AI answer"

// goShim stands in for the go command inside the walkthrough: "go run
// ./examples/saas ..." runs the binary the test built from the same
// package (go run would compile it again), the server's logs going to
// SAAS_LOG; any other go command is the real one.
const goShim = `go() {
	if [ "${1:-}" = run ] && [ "${2:-}" = ./examples/saas ]; then
		shift 2
		if [ $# -eq 0 ]; then
			exec "$SAAS_BIN" >>"$SAAS_LOG" 2>&1
		fi
		"$SAAS_BIN" "$@"
		return
	fi
	command go "$@"
}
`

// stepMarker separates the output of one block from the next.
const stepMarker = "@@walkthrough step "

// TestWalkthrough runs the README's walkthrough, block by block in one
// bash, against the reference server built from this checkout, and checks
// each step's final state.
func TestWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the walkthrough needs %s, which is not installed", tool)
			}
			t.Skipf("the walkthrough needs %s, which is not installed; skipping", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	steps := walkthroughSteps(string(readme))
	wantHeadings := []string{"1. Start the server", "2. Wait for it and get a token", "3. A signed-in request",
		"4. Create a project", "5. Upload a file", "6. A checkout URL", "7. A streamed AI answer", "8. Stop"}
	var headings []string
	for _, s := range steps {
		headings = append(headings, s.heading)
	}
	require.Equal(t, wantHeadings, headings, "the walkthrough's steps changed: update the checks below")

	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "saas")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./examples/saas")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./examples/saas: %s", out)

	logPath := filepath.Join(tmp, "server.log")
	servicesDir := filepath.Join(tmp, "services")
	env := walkthroughEnv(t, map[string]string{
		"PORT":              fmt.Sprint(freePort(t)),
		"SAAS_BIN":          bin,
		"SAAS_LOG":          logPath,
		"SERVICES_DIR":      servicesDir,                   // stripe-mock's pid and log, apart from make test's
		"STORAGE_LOCAL_DIR": filepath.Join(tmp, "uploads"), // not ./data of the checkout
	})

	var script strings.Builder
	script.WriteString(goShim)
	for i, s := range steps {
		fmt.Fprintf(&script, "echo '%s%d'\n%s\n", stepMarker, i+1, s.text)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = root
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t.Cleanup(func() {
		// Whatever the script left running (a step failed before "Stop").
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		stop := exec.Command("scripts/stripe-mock.sh", "stop")
		stop.Dir, stop.Env = root, env
		_ = stop.Run()
	})
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	serverLog, _ := os.ReadFile(logPath)
	t.Logf("stderr:\n%s\nserver log:\n%s", stderr.String(), serverLog)
	require.NoError(t, err, "the walkthrough failed; output:\n%s", stdout)
	outs := splitSteps(t, string(stdout), len(steps))

	t.Run("1 the server starts", func(t *testing.T) {
		assert.Contains(t, string(serverLog), `msg="server listening"`)
	})
	t.Run("2 health and a token", func(t *testing.T) {
		var health struct{ Status string }
		requireJSON(t, outs[1], &health)
		assert.Equal(t, "healthy", health.Status)
	})
	var me struct {
		ID, Email, Role string
		IsActive        bool `json:"is_active"`
	}
	t.Run("3 the signed-in user", func(t *testing.T) {
		requireJSON(t, outs[2], &me)
		assert.NotEmpty(t, me.ID)
		assert.Equal(t, "ada@example.com", me.Email)
		assert.Equal(t, "admin", me.Role)
		assert.True(t, me.IsActive)
	})
	t.Run("4 the project", func(t *testing.T) {
		var p struct {
			ID, Name    string
			OwnerID     string `json:"owner_id"`
			Description string
		}
		requireJSON(t, outs[3], &p)
		assert.NotEmpty(t, p.ID)
		assert.Equal(t, "First project", p.Name)
		assert.Equal(t, me.ID, p.OwnerID)
	})
	t.Run("5 the confirmed file", func(t *testing.T) {
		var f struct {
			Status, Filename string
			ContentType      string `json:"content_type"`
			Size             int
		}
		requireJSON(t, outs[4], &f) // the PUT answers with an empty body: the confirm is the only JSON
		assert.Equal(t, "uploaded", f.Status)
		assert.Equal(t, "hello.txt", f.Filename)
		assert.Equal(t, 6, f.Size)
		assert.Equal(t, "text/plain", f.ContentType)
	})
	t.Run("6 the checkout URL", func(t *testing.T) {
		var c struct {
			URL       string
			SessionID string `json:"session_id"`
		}
		requireJSON(t, outs[5], &c)
		assert.True(t, strings.HasPrefix(c.URL, "https://checkout.stripe.com/"), c.URL)
		assert.True(t, strings.HasPrefix(c.SessionID, "cs_"), c.SessionID)
	})
	t.Run("7 the streamed answer", func(t *testing.T) {
		var text strings.Builder
		var done bool
		for line := range strings.SplitSeq(outs[6], "\n") {
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var ev struct {
				Delta string
				Done  bool
				Usage struct {
					TotalTokens int `json:"total_tokens"`
				}
			}
			require.NoError(t, json.Unmarshal([]byte(data), &ev), line)
			require.False(t, done, "an event after the last one: %s", line)
			text.WriteString(ev.Delta)
			if ev.Done {
				done = true
				assert.Positive(t, ev.Usage.TotalTokens)
			}
		}
		assert.True(t, done, "no final event in:\n%s", outs[6])
		assert.Equal(t, "echo: Hello from the README", text.String())
	})
	t.Run("every request answered 2xx", func(t *testing.T) {
		statuses := regexp.MustCompile(`msg="http request" .*?status=(\d+)`).FindAllStringSubmatch(string(serverLog), -1)
		require.NotEmpty(t, statuses, "no access log lines")
		for _, s := range statuses {
			assert.Equal(t, "2", s[1][:1], "a request answered %s", s[1])
		}
	})
	t.Run("8 everything stopped", func(t *testing.T) {
		assert.Contains(t, string(serverLog), "msg=stopped") // "wait" let it drain
		_, err := os.Stat(filepath.Join(servicesDir, "stripe-mock", "pid"))
		assert.True(t, errors.Is(err, os.ErrNotExist), "stripe-mock's pid file remains: %v", err)
	})
}

// walkthroughSteps returns the ```sh blocks of the walkthrough section.
func walkthroughSteps(readme string) []fenced {
	var out []fenced
	for _, b := range fencedBlocks(readme, "sh") {
		if b.section == walkthroughSection {
			out = append(out, b)
		}
	}
	return out
}

// splitSteps cuts the script's output at the step markers: out[i] is what
// step i+1 printed.
func splitSteps(t *testing.T, stdout string, n int) []string {
	t.Helper()
	parts := strings.Split(stdout, stepMarker)
	require.Len(t, parts, n+1, "output:\n%s", stdout)
	outs := make([]string, n)
	for i, p := range parts[1:] {
		num, rest, _ := strings.Cut(p, "\n")
		require.Equal(t, fmt.Sprint(i+1), num)
		outs[i] = strings.TrimSpace(rest)
	}
	return outs
}

// requireJSON decodes the last line of out, a step's JSON answer, into v,
// and fails on an error envelope.
func requireJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	require.NotContains(t, last, `"error":`, "the step answered an error")
	require.NoError(t, json.Unmarshal([]byte(last), v), "not JSON: %q", out)
}

// walkthroughEnv is the environment of a reader's fresh terminal: the
// process's own minus every setting of the reference server (the README
// gives those), plus extra.
func walkthroughEnv(t *testing.T, extra map[string]string) []string {
	t.Helper()
	keep := []string{"PATH", "HOME", "USER", "TMPDIR", "LANG", "GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS",
		"GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOTOOLCHAIN", "http_proxy", "https_proxy", "no_proxy",
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "SSL_CERT_FILE"}
	var env []string
	for _, k := range keep {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
