package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/signer"
)

func configCmd() *cobra.Command {
	// Runnable only to refuse a mistyped subcommand (cobra shows help and succeeds otherwise).
	cmd := &cobra.Command{Use: "config", Short: "Check a configuration file", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var path string
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate a configuration (with the SOAPGATE_* environment) and print it as it applies, secrets masked",
		Long: "Loads the file and the environment as serve does, checks every value, reads every key and\n" +
			"certificate file it names, then prints the effective configuration (defaults included) with\n" +
			"passwords, secret words, the admin token and database passwords masked. Exits non-zero,\n" +
			"printing nothing of the configuration, when anything is wrong.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			if err := checkStart(cfg); err != nil {
				return fmt.Errorf("config %s: %w", path, err)
			}
			if err := checkFiles(cfg); err != nil {
				return fmt.Errorf("config %s: %w", path, err)
			}
			out, err := cfg.Effective()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "# %s is valid; the configuration as it applies (file, environment, defaults), secrets masked:\n", path)
			_, err = w.Write(out)
			return err
		},
	}
	check.Flags().StringVar(&path, "config", "config.yaml", "configuration file")
	cmd.AddCommand(check)
	return cmd
}

// checkFiles reads what serve would read at start besides the database: merchant keys, the
// gateway key and certificate, and the TLS pair.
func checkFiles(cfg *config.Config) error {
	var errs []error
	if _, err := cfg.BuildMerchants(); err != nil {
		errs = append(errs, err)
	}
	if _, err := signer.LoadPrivateKey(cfg.Resolve(cfg.Gateway.Key)); err != nil {
		errs = append(errs, fmt.Errorf("gateway.key: %w", err))
	}
	if _, _, err := signer.LoadCertificate(cfg.Resolve(cfg.Gateway.Cert)); err != nil {
		errs = append(errs, fmt.Errorf("gateway.cert: %w", err))
	}
	if cfg.TLS.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(cfg.Resolve(cfg.TLS.CertFile), cfg.Resolve(cfg.TLS.KeyFile)); err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		}
	}
	return errors.Join(errs...)
}
