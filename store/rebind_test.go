package store

import "testing"

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE b = ? AND c = ?`:           `SELECT a FROM t WHERE b = $1 AND c = $2`,
		`SELECT '?' FROM t WHERE b = ?`:                   `SELECT '?' FROM t WHERE b = $1`,
		`SELECT a FROM t WHERE m = ? AND +state IN ('x')`: `SELECT a FROM t WHERE m = $1 AND state IN ('x')`,
		`UPDATE t SET n = n + ? WHERE id = ?`:             `UPDATE t SET n = n + $1 WHERE id = $2`,
		`SELECT 'a +b' FROM t`:                            `SELECT 'a +b' FROM t`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
	for q, lock := range map[string]bool{
		`SELECT a FROM t WHERE id = ?`:         true,
		`SELECT count(*), min(created) FROM t`: false,
		`SELECT min(merchant_id) FROM t`:       false,
		`UPDATE t SET a = ?`:                   false,
	} {
		got := pgQuerier{lock: true}.statement(q)
		if has := len(got) > 11 && got[len(got)-11:] == " FOR UPDATE"; has != lock {
			t.Errorf("statement(%q) = %q, locking %v, want %v", q, got, has, lock)
		}
	}
}
