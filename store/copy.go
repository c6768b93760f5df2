package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ErrTargetNotEmpty is Copy's refusal of a target that holds data already.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// CopyCount is how many rows of a table Copy copied.
type CopyCount struct {
	Table string
	Rows  int64
}

// Copy copies every table of a SQLite store into an empty PostgreSQL store at the same
// migration (both are migrated to this build's migrations when opened), in one PostgreSQL
// transaction, from one SQLite read snapshot: the target has all of it or none. Tables go
// parents first (foreign keys), and the identity sequences continue after the copied ids.
// Columns are copied by name, so a table a later migration adds is copied too.
func Copy(ctx context.Context, from, to *DB) ([]CopyCount, error) {
	if from.pg || !to.pg {
		return nil, errors.New("copy goes from a SQLite store to a PostgreSQL one")
	}
	src, err := from.r.BeginTx(ctx, nil) // the reader pool is query-only
	if err != nil {
		return nil, fmt.Errorf("read source: %w", err)
	}
	defer src.Rollback()
	tables, err := tablesInOrder(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("list source tables: %w", err)
	}
	conn, err := to.w.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var counts []CopyCount
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// Nobody writes the target while it is filled (a gateway started on it too early).
		if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(tables, ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		for _, t := range tables {
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+t+`)`).Scan(&any); err != nil {
				return fmt.Errorf("target table %s: %w", t, err)
			}
			if any {
				return fmt.Errorf("%w: table %s has rows", ErrTargetNotEmpty, t)
			}
		}
		for _, t := range tables {
			n, err := copyTable(ctx, src, tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			counts = append(counts, CopyCount{t, n})
			if err := continueSequence(ctx, tx, t); err != nil {
				return fmt.Errorf("sequence of %s: %w", t, err)
			}
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var scanErr error
	n, err := dst.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if scanErr = rows.Scan(ptrs...); scanErr != nil {
			return nil, scanErr
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte: // TEXT read as bytes
				vals[i] = string(x)
			case bool:
				vals[i] = boolInt(x)
			}
		}
		return vals, nil
	}))
	return n, errors.Join(err, scanErr)
}

// continueSequence makes the table's identity column (if it has one) continue after the
// largest id copied into it.
func continueSequence(ctx context.Context, tx pgx.Tx, table string) error {
	var seq *string
	err := tx.QueryRow(ctx, `SELECT pg_get_serial_sequence($1, 'id') FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id'`, table).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && seq == nil) {
		return nil // no id column, or not an identity
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT setval($1, coalesce((SELECT max(id) FROM `+table+`), 0) + 1, false)`, *seq)
	return err
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// tablesInOrder lists the SQLite store's tables (not its migrations record), each after
// the tables its foreign keys name.
func tablesInOrder(ctx context.Context, src *sql.Tx) ([]string, error) {
	rows, err := src.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'migrations' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parents := map[string][]string{}
	for _, n := range names {
		fks, err := src.QueryContext(ctx, `SELECT "table" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, err
		}
		for fks.Next() {
			var p string
			if err := fks.Scan(&p); err != nil {
				fks.Close()
				return nil, err
			}
			if p != n {
				parents[n] = append(parents[n], p)
			}
		}
		fks.Close()
	}
	var out []string
	done := map[string]bool{}
	var visit func(n string, path map[string]bool) error
	visit = func(n string, path map[string]bool) error {
		if done[n] {
			return nil
		}
		if path[n] {
			return fmt.Errorf("foreign keys form a cycle at %s", n)
		}
		path[n] = true
		ps := parents[n]
		sort.Strings(ps)
		for _, p := range ps {
			if err := visit(p, path); err != nil {
				return err
			}
		}
		done[n] = true
		out = append(out, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
