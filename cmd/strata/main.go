// Command strata is the single entry point of the strata virtualization
// stack: it runs RISC-V virtual machines, and (in later rungs) containers,
// images and the cloud control plane.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"strata/ctr"
	"strata/frontdoor"
)

// exitError carries a process exit status out of a command without printing
// an error message (the guest already said what it had to say).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	// A container's init is this binary re-executed (/proc/self/exe); it
	// never returns from here. Otherwise this is an environment check.
	ctr.MaybeInit()
	// A detached container's monitor is this binary too (strata run -d).
	frontdoor.MaybeMonitor()
	root := &cobra.Command{
		Use:           "strata",
		Short:         "strata: the whole ladder of virtualization in one Go program",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVMCmd())
	root.AddCommand(newRunCmd())
	root.AddCommand(newPullCmd(), newPushCmd(), newBuildCmd())
	root.AddCommand(newImageCmd(), newCommitCmd())
	root.AddCommand(newPsCmd(), newLogsCmd(), newStopCmd(), newRmCmd(), newExecCmd())
	if err := root.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "strata:", err)
		os.Exit(1)
	}
}
