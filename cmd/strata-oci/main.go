// Command strata-oci is strata's OCI runtime with runc's command line:
// create, start, state, kill, delete, run, list, pause, resume, events,
// ps and features, with runc's
// global flags. Exit codes follow runc: 0 on success, 1 on an error, and
// for run the container process's own exit status.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"strata/ctr"
)

// globals holds runc's global flags.
type globals struct {
	root          string
	log           string
	logFormat     string
	systemdCgroup bool
	debug         bool
}

// exitError carries a specific exit status out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return "exit status " + strconv.Itoa(e.code) }

func main() {
	ctr.MaybeInit()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{}
	root := newRoot(g, stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		logError(g, stderr, err)
		return 1
	}
}

// logError reports an error on stderr and, with --log, in the log file
// (one JSON object per line with --log-format json, as runc writes).
func logError(g *globals, stderr io.Writer, err error) {
	fmt.Fprintf(stderr, "strata-oci: %v\n", err)
	if g.log == "" {
		return
	}
	f, ferr := os.OpenFile(g.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if ferr != nil {
		return
	}
	defer f.Close()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if g.logFormat == "json" {
		line, _ := json.Marshal(map[string]string{"level": "error", "msg": err.Error(), "time": now})
		fmt.Fprintf(f, "%s\n", line)
		return
	}
	fmt.Fprintf(f, "time=%q level=error msg=%q\n", now, err.Error())
}

func newRoot(g *globals, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "strata-oci",
		Short:         "strata's OCI container runtime (runc-compatible command line)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.root, "root", ctr.DefaultRoot, "root directory for container state")
	pf.StringVar(&g.log, "log", "", "log file for errors")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	pf.BoolVar(&g.systemdCgroup, "systemd-cgroup", false, "accepted for compatibility: strata has only the cgroupfs driver; a systemd slice cgroupsPath (slice:prefix:name) is refused")
	pf.BoolVar(&g.debug, "debug", false, "accepted for compatibility")
	store := func() ctr.Store { return ctr.Store{Root: g.root} }
	stdio := func() ctr.CreateOptions {
		return ctr.CreateOptions{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	}

	var bundle, pidFile string
	create := &cobra.Command{
		Use:   "create [flags] ID",
		Short: "create a container; its process waits for start",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := runcOnlyFlags(cmd); err != nil {
				return err
			}
			o := stdio()
			o.Bundle, o.PidFile = bundle, pidFile
			o.ConsoleSocket, _ = cmd.Flags().GetString("console-socket")
			o.NoPivot, _ = cmd.Flags().GetBool("no-pivot")
			o.ExtraFiles, _ = preservedFiles(cmd)
			_, err := store().Create(args[0], o)
			return err
		},
	}
	create.Flags().StringVarP(&bundle, "bundle", "b", ".", "bundle directory")
	create.Flags().StringVar(&pidFile, "pid-file", "", "write the init's pid here")

	start := &cobra.Command{
		Use: "start ID", Short: "start a created container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return store().Start(args[0]) },
	}

	state := &cobra.Command{
		Use: "state ID", Short: "print a container's state as JSON", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := store().State(args[0])
			if err != nil {
				return err
			}
			return printJSON(stdout, s)
		},
	}

	var killAll bool
	kill := &cobra.Command{
		Use: "kill [flags] ID [SIGNAL]", Short: "signal a container (default SIGTERM)",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig := unix.SIGTERM
			if len(args) == 2 {
				var err error
				if sig, err = parseSignal(args[1]); err != nil {
					return err
				}
			}
			return store().Kill(args[0], sig, killAll)
		},
	}
	kill.Flags().BoolVarP(&killAll, "all", "a", false, "signal every process in the container")

	var force bool
	del := &cobra.Command{
		Use: "delete [flags] ID", Short: "delete a container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			err := store().Delete(args[0], force)
			if force && errors.Is(err, ctr.ErrNotExist) {
				return nil // runc: delete --force of a missing container succeeds
			}
			return err
		},
	}
	del.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")

	var runBundle, runPidFile string
	var detach bool
	runCmd := &cobra.Command{
		Use: "run [flags] ID", Short: "create and start a container, wait, delete it", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := stdio()
			o.Bundle, o.PidFile = runBundle, runPidFile
			if err := runcOnlyFlags(cmd); err != nil {
				return err
			}
			o.ConsoleSocket, _ = cmd.Flags().GetString("console-socket")
			o.NoPivot, _ = cmd.Flags().GetBool("no-pivot")
			o.ExtraFiles, _ = preservedFiles(cmd)
			if detach {
				// The init outlives this process; whoever inherits it
				// (pid 1 or a subreaper) reaps it.
				if _, err := store().Create(args[0], o); err != nil {
					return err
				}
				if err := store().Start(args[0]); err != nil {
					store().Delete(args[0], true)
					return err
				}
				return nil
			}
			sigs := make(chan os.Signal, 16)
			signal.Notify(sigs, unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH)
			defer signal.Stop(sigs)
			var code int
			var err error
			if o.ConsoleSocket == "" && wantsTerminal(o.Bundle) {
				// A terminal in the foreground: our own console
				// socket, copying between the pty and our stdio.
				code, err = runWithConsole(store(), args[0], o, sigs, stdin, stdout)
			} else {
				code, err = store().Run(args[0], o, sigs)
			}
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
	runCmd.Flags().StringVarP(&runBundle, "bundle", "b", ".", "bundle directory")
	runCmd.Flags().StringVar(&runPidFile, "pid-file", "", "write the init's pid here")
	runCmd.Flags().BoolVarP(&detach, "detach", "d", false, "return once the container is running")
	addRuncOnlyFlags(runCmd)
	addRuncOnlyFlags(create)

	var format string
	var quiet bool
	list := &cobra.Command{
		Use: "list", Short: "list containers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := store().List()
			if err != nil {
				return err
			}
			switch {
			case quiet:
				for _, s := range all {
					fmt.Fprintln(stdout, s.ID)
				}
			case format == "json":
				if all == nil {
					all = []*ctr.State{}
				}
				return printJSON(stdout, all)
			default:
				w := tabwriter.NewWriter(stdout, 12, 1, 3, ' ', 0)
				fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
				for _, s := range all {
					fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\troot\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano))
				}
				return w.Flush()
			}
			return nil
		},
	}
	list.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	list.Flags().BoolVarP(&quiet, "quiet", "q", false, "ids only")

	features := &cobra.Command{
		Use: "features", Short: "print the runtime's features as JSON", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return printJSON(stdout, ctr.Features())
		},
	}

	pause := &cobra.Command{
		Use: "pause ID", Short: "freeze every process of a container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return store().Pause(args[0]) },
	}
	resume := &cobra.Command{
		Use: "resume ID", Short: "thaw a paused container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return store().Resume(args[0]) },
	}

	root.AddCommand(create, start, state, kill, del, runCmd, list, features, pause, resume,
		eventsCmd(store, stdout), psCmd(store, stdout), execCmd(store, stdin, stdout, stderr), updateCmd(store, stdin))
	return root
}

// addRuncOnlyFlags declares runc's create/run flags: --console-socket and
// --no-pivot work, --no-new-keyring is accepted (strata makes no session
// keyrings) and --preserve-fds is refused when used.
func addRuncOnlyFlags(c *cobra.Command) {
	f := c.Flags()
	f.String("console-socket", "", "unix socket that receives the pty master (process.terminal)")
	f.Int("preserve-fds", 0, "pass descriptors 3 … 3+N-1 on to the container process")
	f.Bool("no-pivot", false, "move the rootfs onto / and chroot instead of pivot_root")
	f.Bool("no-new-keyring", false, "accepted: strata does not create session keyrings")
}

// runcOnlyFlags checks runc's extra create/run flags.
func runcOnlyFlags(c *cobra.Command) error {
	_, err := preservedFiles(c)
	return err
}

// preservedFiles returns descriptors 3 … 3+N-1 of this process for
// --preserve-fds N: they become the same numbers in the container.
func preservedFiles(c *cobra.Command) ([]*os.File, error) {
	n, _ := c.Flags().GetInt("preserve-fds")
	if n < 0 || n > 1000 {
		return nil, fmt.Errorf("--preserve-fds %d: out of range", n)
	}
	files := make([]*os.File, n)
	for i := range files {
		fd := 3 + i
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			return nil, fmt.Errorf("--preserve-fds %d: descriptor %d is not open", n, fd)
		}
		files[i] = os.NewFile(uintptr(fd), "preserved-"+strconv.Itoa(fd))
	}
	return files, nil
}

// runWithConsole is run in the foreground with process.terminal and no
// --console-socket.
func runWithConsole(st ctr.Store, id string, o ctr.CreateOptions, sigs chan os.Signal, stdin io.Reader, stdout io.Writer) (int, error) {
	console, err := ctr.NewConsoleRelay()
	if err != nil {
		return -1, err
	}
	defer console.Close()
	o.ConsoleSocket = console.Path()
	relayed := make(chan os.Signal, 16)
	go func() {
		for sig := range sigs {
			if sig == unix.SIGWINCH {
				console.Resize()
				continue
			}
			relayed <- sig
		}
	}()
	started := make(chan struct{})
	go func() {
		if console.Relay(stdin, stdout) == nil {
			close(started)
		}
	}()
	code, err := st.Run(id, o, relayed)
	select {
	case <-started:
		console.Wait()
	default:
	}
	return code, err
}

func printJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", data)
	return err
}

// parseSignal accepts "9", "KILL" and "SIGKILL".
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q", s)
}

// wantsTerminal reports whether BUNDLE/config.json sets process.terminal.
// It decodes only that field: Create parses and validates the whole config
// (and reports its errors), and decoding the full spec twice costs a
// millisecond of a run's ~15.
func wantsTerminal(bundle string) bool {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return false
	}
	var c struct {
		Process *struct {
			Terminal bool `json:"terminal"`
		} `json:"process"`
	}
	return json.Unmarshal(data, &c) == nil && c.Process != nil && c.Process.Terminal
}
