package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"soapgate/config"
	"soapgate/store"
)

func dbCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Database tools"}
	var from, to string
	copyCmd := &cobra.Command{
		Use:   "copy --from sqlite:PATH --to postgres:URL",
		Short: "Copy a SQLite database into an empty PostgreSQL database",
		Long: `Copies every table of a SQLite database (orders, operations, recurring series,
schedules, saved cards, payment pages, notifications and their attempts, settings) into an
empty PostgreSQL database, in one transaction: the target has all of it or nothing. Both are
migrated to this version's schema first. A target that holds any row is refused. Stop the
gateway on the SQLite file first, or what it writes after the copy began is not copied.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, ok := strings.CutPrefix(from, "sqlite:")
			if !ok || path == "" {
				return errors.New("--from must be sqlite:PATH")
			}
			url, err := postgresURL(to)
			if err != nil {
				return err
			}
			src, err := store.Open(path)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := store.OpenPostgres(url)
			if err != nil {
				return err
			}
			defer dst.Close()
			counts, err := store.Copy(cmd.Context(), src, dst)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "table\trows")
			for _, c := range counts {
				fmt.Fprintf(w, "%s\t%d\n", c.Table, c.Rows)
			}
			return w.Flush()
		},
	}
	copyCmd.Flags().StringVar(&from, "from", "", "sqlite:PATH of the database to copy")
	copyCmd.Flags().StringVar(&to, "to", "", "postgres:URL of the empty target database")
	cmd.AddCommand(copyCmd, dbCheckCmd())
	return cmd
}

// dbCheckCmd runs the full PRAGMA quick_check that serve skips when the marker of a clean
// stop vouches for the file: what the marker cannot see (a disk returning bad sectors under
// an unchanged file) this finds.
func dbCheckCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "check [PATH]",
		Short: "Run SQLite's PRAGMA quick_check over the whole database file",
		Long: `Reads every page of the SQLite database (PATH, else database.path of the configuration)
with PRAGMA quick_check, as serve does at start when no marker of a clean stop vouches for the
file. It neither migrates nor writes, so it may run while serve runs. A damaged file exits
non-zero with the same message serve gives, and loses its marker (PATH.checked), so that the
next start is refused too.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var path string
			if len(args) == 1 {
				path = args[0]
			} else {
				cfg, err := config.Load(cfgPath)
				if err != nil {
					return err
				}
				if cfg.Database.Driver == "postgres" {
					return errors.New("db check reads a SQLite file; check PostgreSQL with its own tools (amcheck, pg_amcheck)")
				}
				path = cfg.Resolve(cfg.Database.Path)
			}
			took, err := store.Check(cmd.Context(), path)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: PRAGMA quick_check ok (%s)\n", path, took.Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "config.yaml", "configuration file (its database.path), when no PATH is given")
	return cmd
}

// postgresURL accepts postgres:URL, where URL is postgres://… or a key=value connection
// string, and a bare postgres:// or postgresql:// URL.
func postgresURL(s string) (string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return s, nil
	}
	if u, ok := strings.CutPrefix(s, "postgres:"); ok && strings.TrimSpace(u) != "" {
		return u, nil
	}
	return "", errors.New("--to must be postgres:URL (postgres:postgres://user:pass@host:5432/db)")
}
