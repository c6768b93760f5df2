package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
	cmd.AddCommand(copyCmd)
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
