package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"soapgate/server"
)

// addVersion gives root `soapgate version` and `--version`: the module version and the VCS
// revision and time the binary was built from (runtime/debug.ReadBuildInfo), the same
// values /healthz answers and the start-up line logs.
func addVersion(root *cobra.Command) {
	info := server.ReadBuildInfo()
	root.Version = info.String()
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version, VCS revision and build time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), info.String())
			return err
		},
	})
}
