package store

import (
	"encoding/json"
	"fmt"

	"soapgate/gateway"
)

// Fiscal receipts: the lines a payment asked for (receipt_specs) and the receipts registered
// (receipts). Lines are kept as JSON of []gateway.ReceiptItem, whose money is integer minor
// units: nothing passes through a float.

func (t *txn) InsertReceiptSpec(orderID int64, s *gateway.ReceiptSpec) error {
	items, err := json.Marshal(s.Items)
	if err != nil {
		return fmt.Errorf("receipt lines: %w", err)
	}
	_, err = t.q.Exec(`INSERT INTO receipt_specs (order_id, total, taxation_system, items) VALUES (?, ?, ?, ?)`,
		orderID, s.Total, s.TaxationSystem, string(items))
	return err
}

func (t *txn) ReceiptSpec(orderID int64) (*gateway.ReceiptSpec, error) {
	var s gateway.ReceiptSpec
	var items string
	err := t.q.QueryRow(`SELECT total, taxation_system, items FROM receipt_specs WHERE order_id = ?`, orderID).
		Scan(&s.Total, &s.TaxationSystem, &items)
	if err != nil {
		return nil, noRows(err)
	}
	if err := json.Unmarshal([]byte(items), &s.Items); err != nil {
		return nil, fmt.Errorf("receipt lines of order %d: %w", orderID, err)
	}
	return &s, nil
}

func (t *txn) InsertReceipt(r *gateway.Receipt) error {
	items, err := json.Marshal(r.Items)
	if err != nil {
		return fmt.Errorf("receipt lines: %w", err)
	}
	id, err := t.insertID(`INSERT INTO receipts (order_id, op_seq, kind, total, taxation_system, items, fiscal_sign, fiscal_time)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.OrderID, r.OpSeq, r.Kind, r.Total, r.TaxationSystem, string(items),
		r.FiscalSign, millis(r.FiscalTime))
	r.ID = id
	return err
}

func (t *txn) Receipts(orderID int64) ([]*gateway.Receipt, error) {
	return queryAll(t.q, func(s scanner) (*gateway.Receipt, error) {
		var r gateway.Receipt
		var items string
		var at int64
		if err := s.Scan(&r.ID, &r.OrderID, &r.OpSeq, &r.Kind, &r.Total, &r.TaxationSystem, &items, &r.FiscalSign, &at); err != nil {
			return nil, err
		}
		r.FiscalTime = fromMillis(at)
		if err := json.Unmarshal([]byte(items), &r.Items); err != nil {
			return nil, fmt.Errorf("lines of receipt %d: %w", r.ID, err)
		}
		return &r, nil
	}, `SELECT id, order_id, op_seq, kind, total, taxation_system, items, fiscal_sign, fiscal_time
		FROM receipts WHERE order_id = ? ORDER BY id`, orderID)
}
