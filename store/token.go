package store

import "soapgate/gateway"

// Saved cards (card on file), named by their token.

const savedCardColumns = `id, token, merchant_id, customer_number, order_id, card_bin, card_last4, card_brand,
	card_exp_month, card_exp_year, card_holder, card_ref, active, created, updated`

func scanSavedCard(s scanner) (*gateway.SavedCard, error) {
	var c gateway.SavedCard
	var created, updated int64
	k := &c.Card
	err := s.Scan(&c.ID, &c.Token, &c.MerchantID, &c.CustomerNumber, &c.OrderID, &k.Bin, &k.Last4, &k.Brand,
		&k.ExpMonth, &k.ExpYear, &k.Holder, &k.Ref, &c.Active, &created, &updated)
	if err != nil {
		return nil, noRows(err)
	}
	c.Created, c.Updated = fromMillis(created), fromMillis(updated)
	return &c, nil
}

func (t *txn) InsertSavedCard(c *gateway.SavedCard) error {
	k := c.Card
	id, err := t.insertID(`INSERT INTO saved_cards (token, merchant_id, customer_number, order_id, card_bin,
		card_last4, card_brand, card_exp_month, card_exp_year, card_holder, card_ref, active, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Token, c.MerchantID, c.CustomerNumber, c.OrderID,
		k.Bin, k.Last4, k.Brand, k.ExpMonth, k.ExpYear, k.Holder, k.Ref, c.Active, millis(c.Created), millis(c.Updated))
	c.ID = id
	return err
}

func (t *txn) UpdateSavedCard(c *gateway.SavedCard) error {
	k := c.Card
	_, err := t.q.Exec(`UPDATE saved_cards SET order_id = ?, card_exp_month = ?, card_exp_year = ?, card_holder = ?,
		card_ref = ?, active = ?, updated = ? WHERE id = ?`, c.OrderID, k.ExpMonth, k.ExpYear, k.Holder, k.Ref,
		c.Active, millis(c.Updated), c.ID)
	return err
}

func (t *txn) SavedCard(merchantID, token string) (*gateway.SavedCard, error) {
	return scanSavedCard(t.q.QueryRow(`SELECT `+savedCardColumns+` FROM saved_cards
		WHERE token = ? AND merchant_id = ? AND active = 1`, token, merchantID))
}

func (t *txn) SavedCards(merchantID, customerNumber string) ([]*gateway.SavedCard, error) {
	// A payment saves its card unless this list has it: with several processes, two payments
	// of one customer must not both find it missing.
	if err := t.lockKey("cards", merchantID, customerNumber); err != nil {
		return nil, err
	}
	rows, err := t.q.Query(`SELECT `+savedCardColumns+` FROM saved_cards
		WHERE merchant_id = ? AND customer_number = ? AND active = 1 ORDER BY id`, merchantID, customerNumber)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*gateway.SavedCard
	for rows.Next() {
		c, err := scanSavedCard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
