package ctr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// runHooks runs hooks one after the other, each with the container's state
// JSON on its stdin; the first failure (non-zero exit, or running past its
// timeout) stops the run and is returned, naming hooks.<kind>[i].
func runHooks(kind string, hooks []specs.Hook, state *specs.State) error {
	if len(hooks) == 0 {
		return nil
	}
	data, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("hooks.%s: encode state: %w", kind, err)
	}
	for i, h := range hooks {
		if err := runHook(h, data); err != nil {
			return fmt.Errorf("hooks.%s[%d] (%s): %w", kind, i, h.Path, err)
		}
	}
	return nil
}

func runHook(h specs.Hook, state []byte) error {
	ctx := context.Background()
	if h.Timeout != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
		defer cancel()
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	cmd.Env = append([]string{}, h.Env...) // never the runtime's own
	cmd.Stdin = bytes.NewReader(state)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second // a grandchild holding the output pipe
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("timed out after %d s", *h.Timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 512 {
			msg = msg[:512] + "…"
		}
		if msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// hookState is the OCI state given to hooks.
func hookState(id, bundle string, status specs.ContainerState, pid int, annotations map[string]string) *specs.State {
	return &specs.State{Version: specs.Version, ID: id, Status: status, Pid: pid, Bundle: bundle, Annotations: annotations}
}

// validateHooks checks every hook's path (absolute) and timeout (> 0).
func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for _, k := range []struct {
		name  string
		hooks []specs.Hook
	}{{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime}, {"createContainer", h.CreateContainer},
		{"startContainer", h.StartContainer}, {"poststart", h.Poststart}, {"poststop", h.Poststop}} {
		for i, hk := range k.hooks {
			f := fmt.Sprintf("hooks.%s[%d]", k.name, i)
			if !filepath.IsAbs(hk.Path) {
				return invalid(f+".path", "%q is not absolute", hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return invalid(f+".timeout", "%d is not positive", *hk.Timeout)
			}
		}
	}
	return nil
}

// warn reports a warning (a failed poststop hook) on the store's Warnings
// writer, or stderr.
func (st Store) warn(format string, args ...any) {
	var w io.Writer = os.Stderr
	if st.Warnings != nil {
		w = st.Warnings
	}
	fmt.Fprintf(w, "strata: warning: "+format+"\n", args...)
}

// errHookAborted is the init's answer when the parent gave up during the
// createRuntime handshake.
var errHookAborted = errors.New("runtime aborted during createRuntime hooks")
