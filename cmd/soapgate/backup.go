package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/store"
)

func backupCmd() *cobra.Command {
	var path, to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Write a consistent copy of the SQLite database to a new FILE, also while serve runs",
		Long: "Copies the database of the configuration (database.path, SOAPGATE_DATABASE_PATH) with\n" +
			"SQLite's VACUUM INTO: one consistent snapshot holding every payment acknowledged before the\n" +
			"backup began, as one file, synced and integrity-checked. Running payments are not held up.\n" +
			"To restore, stop serve, put the copy in place of database.path (and remove any -wal and\n" +
			"-shm files beside it), and start serve again.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return fmt.Errorf("--to FILE is required")
			}
			cfg, err := config.Load(path)
			if err != nil {
				return err
			}
			if cfg.Database.Driver == "postgres" {
				return fmt.Errorf("backup copies a SQLite database; back up PostgreSQL with its own tools (pg_dump -Fc, or pg_basebackup with WAL archiving)")
			}
			db := cfg.Resolve(cfg.Database.Path)
			if err := store.Backup(cmd.Context(), db, to); err != nil {
				return err
			}
			st, err := os.Stat(to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s (%d bytes, integrity ok)\n", db, to, st.Size())
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "config", "config.yaml", "configuration file")
	cmd.Flags().StringVar(&to, "to", "", "the new file to write (must not exist)")
	return cmd
}
