// Package browser executes GoNB notebooks the way a researcher does: a
// Jupyter Notebook server (Debian's jupyter-notebook) and headless Chromium
// driven over the W3C WebDriver protocol (chromedriver) that opens a
// notebook, runs all its cells in the page, saves it and takes screenshots.
package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// ChromiumArgs are the flags headless Chromium needs here (as root, in a
// container, without network); --user-data-dir is added per session.
var ChromiumArgs = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--window-size=1280,1800"}

// Browser is one headless Chromium session behind a chromedriver process.
type Browser struct {
	cmd     *exec.Cmd
	url     string // chromedriver base URL
	session string
	profile string
	client  *http.Client
	stop    func()
}

// Tools are the executables a Browser needs.
type Tools struct {
	Chromium, Chromedriver string
}

// FindTools looks for chromium and chromedriver in PATH (and Debian's
// /usr/bin, /usr/lib/chromium); the error says how to install them.
func FindTools() (Tools, error) {
	find := func(names ...string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
		}
		return ""
	}
	t := Tools{Chromium: find("chromium", "/usr/lib/chromium/chromium", "chromium-browser"), Chromedriver: find("chromedriver", "/usr/lib/chromium/chromedriver")}
	switch {
	case t.Chromium == "" && t.Chromedriver == "":
		return t, errors.New("chromium and chromedriver not found: install them with `apt-get install chromium chromium-driver` (or `bash .ci/setup`)")
	case t.Chromium == "":
		return t, errors.New("chromium not found: install it with `apt-get install chromium` (or `bash .ci/setup`)")
	case t.Chromedriver == "":
		return t, errors.New("chromedriver not found: install it with `apt-get install chromium-driver` (or `bash .ci/setup`)")
	}
	return t, nil
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, errors.Wrap(err, "browser: finding a free port")
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until it answers 200 or ctx ends; exited, if it
// returns true, stops the wait (the server process died).
func waitHTTP(ctx context.Context, client *http.Client, url string, exited func() bool) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if exited != nil && exited() {
			return errors.Errorf("the process serving %s exited", url)
		}
		select {
		case <-ctx.Done():
			return errors.Wrapf(ctx.Err(), "waiting for %s", url)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// startProcess starts cmd in its own process group, with its output going
// to log, and returns a function that tells whether it has exited.
func startProcess(cmd *exec.Cmd, log io.Writer) (exited func() bool, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}, nil
}

// stopProcess ends the process group of cmd (SIGTERM, then SIGKILL).
func stopProcess(cmd *exec.Cmd, exited func() bool) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	for i := 0; i < 50 && !exited(); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if !exited() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Open starts chromedriver and one headless Chromium session (a fresh
// profile directory under tmpDir). Its log goes to log.
func Open(ctx context.Context, tools Tools, tmpDir string, log io.Writer) (*Browser, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp(tmpDir, "chromium-profile-")
	if err != nil {
		return nil, errors.Wrap(err, "browser: creating a Chromium profile directory")
	}
	b := &Browser{url: fmt.Sprintf("http://127.0.0.1:%d", port), profile: profile, client: &http.Client{Timeout: 10 * time.Minute}}
	b.cmd = exec.Command(tools.Chromedriver, fmt.Sprintf("--port=%d", port))
	exited, err := startProcess(b.cmd, log)
	if err != nil {
		return nil, errors.Wrapf(err, "browser: starting %s", tools.Chromedriver)
	}
	stop := func() { stopProcess(b.cmd, exited) }
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := waitHTTP(wctx, b.client, b.url+"/status", exited); err != nil {
		stop()
		return nil, errors.Wrap(err, "browser: chromedriver did not start")
	}
	args := append(append([]string{}, ChromiumArgs...), "--user-data-dir="+profile)
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": tools.Chromium, "args": args},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	// On a loaded machine Chromium may not start within chromedriver's
	// own limit: try again (3 times in all).
	for try := 1; ; try++ {
		err := b.call(ctx, "POST", "/session", caps, &sess)
		if err == nil {
			break
		}
		if try == 3 || ctx.Err() != nil {
			stop()
			return nil, errors.Wrapf(err, "browser: starting headless Chromium (%d tries)", try)
		}
		fmt.Fprintf(log, "browser: Chromium did not start (%v): trying again\n", err)
		_ = os.RemoveAll(profile)
		_ = os.MkdirAll(profile, 0o755)
	}
	b.session = sess.SessionID
	b.stop = stop
	// A page busy rendering a long output (or starved of CPU) answers
	// slowly: generous script and page-load timeouts.
	if err := b.call(ctx, "POST", "/session/"+b.session+"/timeouts", map[string]any{"script": 120000, "pageLoad": 300000}, nil); err != nil {
		b.Close()
		return nil, errors.Wrap(err, "browser: setting timeouts")
	}
	return b, nil
}

// Close ends the Chromium session and chromedriver.
func (b *Browser) Close() {
	if b == nil {
		return
	}
	if b.session != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = b.call(ctx, "DELETE", "/session/"+b.session, nil, nil)
		cancel()
	}
	if b.stop != nil {
		b.stop()
	}
	_ = os.RemoveAll(b.profile)
}

// call sends one WebDriver command and decodes its "value" into out.
func (b *Browser) call(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return errors.Wrapf(err, "webdriver %s %s", method, path)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return errors.Wrapf(err, "webdriver %s %s", method, path)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return errors.Errorf("webdriver %s %s: HTTP %d, unreadable answer %q", method, path, resp.StatusCode, abbrev(data))
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return errors.Errorf("webdriver %s %s: %s: %s", method, path, e.Error, firstLine(e.Message))
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

// Navigate opens url in the session's window.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	return b.call(ctx, "POST", "/session/"+b.session+"/url", map[string]any{"url": url}, nil)
}

// Exec runs a JavaScript function body in the page and decodes what it
// returns into out (may be nil).
func (b *Browser) Exec(ctx context.Context, script string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.call(ctx, "POST", "/session/"+b.session+"/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// ExecAsync runs an asynchronous script: it ends by calling its last
// argument (arguments[arguments.length-1]) with the result.
func (b *Browser) ExecAsync(ctx context.Context, script string, out any, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.call(ctx, "POST", "/session/"+b.session+"/execute/async", map[string]any{"script": script, "args": args}, out)
}

// Screenshot returns a PNG of the window's viewport.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	var s string
	if err := b.call(ctx, "GET", "/session/"+b.session+"/screenshot", nil, &s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(s)
}

func abbrev(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
