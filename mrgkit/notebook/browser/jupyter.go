package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path"
	"time"

	"github.com/pkg/errors"
)

// Server is a Jupyter Notebook server (the classic UI, Debian's
// jupyter-notebook) serving one directory.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	Token  string
	cmd    *exec.Cmd
	exited func() bool
}

// JupyterNotebookMissing is the error when `jupyter notebook` cannot run.
var JupyterNotebookMissing = errors.New("`jupyter notebook` not found: install it with `apt-get install jupyter-notebook` (or `bash .ci/setup`)")

// StartServer starts `jupyter notebook` on a free port serving dir, with a
// random token, the environment env and its log going to log, and waits
// until it answers.
func StartServer(ctx context.Context, dir string, env []string, log io.Writer) (*Server, error) {
	if err := exec.Command("jupyter", "notebook", "--version").Run(); err != nil {
		return nil, JupyterNotebookMissing
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: hex.EncodeToString(tok)}
	s.cmd = exec.Command("jupyter", "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", port), "--port-retries=0", "--notebook-dir="+dir,
		"--NotebookApp.token="+s.Token, "--NotebookApp.open_browser=False")
	s.cmd.Env = env
	if s.exited, err = startProcess(s.cmd, log); err != nil {
		return nil, errors.Wrap(err, "browser: starting jupyter notebook")
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := waitHTTP(wctx, &http.Client{Timeout: 5 * time.Second}, s.URL+"/api/status?token="+s.Token, s.exited); err != nil {
		s.Stop()
		return nil, errors.Wrap(err, "browser: the Jupyter server did not start (see its log)")
	}
	return s, nil
}

// NotebookURL is the page of the notebook at rel (relative to the served
// directory), with the token.
func (s *Server) NotebookURL(rel string) string {
	return s.URL + "/notebooks/" + (&url.URL{Path: path.Clean(rel)}).EscapedPath() + "?token=" + s.Token
}

// Stop ends the server (and the kernels it started).
func (s *Server) Stop() {
	if s != nil {
		stopProcess(s.cmd, s.exited)
	}
}

// ShutdownKernels stops every kernel the server runs (after a notebook, so
// that a cell still running after a timeout stops using the CPU).
func (s *Server) ShutdownKernels(ctx context.Context) error {
	client := &http.Client{Timeout: 30 * time.Second}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/kernels?token="+s.Token, nil)
	resp, err := client.Do(req)
	if err != nil {
		return errors.Wrap(err, "browser: listing kernels")
	}
	var kernels []struct {
		ID string `json:"id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&kernels)
	resp.Body.Close()
	if err != nil {
		return errors.Wrap(err, "browser: listing kernels")
	}
	for _, k := range kernels {
		req, _ := http.NewRequestWithContext(ctx, "DELETE", s.URL+"/api/kernels/"+url.PathEscape(k.ID)+"?token="+s.Token, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return nil
}
