// Command soapgate is the Assist-style payment web-services gateway.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "soapgate:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "soapgate",
		Short:         "SOAP/XML payment web-services gateway (Assist-style) with a test processor",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addVersion(root) // version.go
	root.AddCommand(serveCmd(), notificationsCmd(), sinkCmd(), keygenCmd(), signCmd())
	root.AddCommand(configCmd(), backupCmd(), dbCmd())
	return root
}
