package store

import (
	"database/sql"
	"errors"

	"soapgate/gateway"
)

func (t *txn) Setting(name string) (string, error) {
	var v string
	err := t.q.QueryRow(`SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", gateway.ErrNoRows
	}
	return v, err
}

func (t *txn) SetSetting(name, value string) error {
	_, err := t.q.Exec(`INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}
