package gateway

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// An unknown merchant id costs a bcrypt comparison of the highest configured cost, like a
// wrong password of a merchant whose password is a bcrypt hash.
func TestAuthenticate_UnknownMerchantCostsABcrypt(t *testing.T) {
	plain := NewMerchants([]*Merchant{{ID: "1", Login: "a", Password: "secret"}})
	if isBcrypt(plain.dummy.Password) {
		t.Fatal("no merchant uses bcrypt, yet the unknown-merchant path does")
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("secret"), 6)
	ms := NewMerchants([]*Merchant{{ID: "1", Login: "a", Password: "secret"}, {ID: "2", Login: "b", Password: string(h)}})
	if cost, err := bcrypt.Cost([]byte(ms.dummy.Password)); err != nil || cost != 6 {
		t.Fatalf("dummy hash cost %d, %v; want 6", cost, err)
	}
	if _, err := ms.Authenticate("3", "b", "secret"); err != ErrAuth {
		t.Fatalf("unknown merchant: %v", err)
	}
	if m, err := ms.Authenticate("2", "b", "secret"); err != nil || m.ID != "2" {
		t.Fatalf("bcrypt merchant: %v", err)
	}
}

func TestMerchants_AllInIDOrder(t *testing.T) {
	ms := NewMerchants([]*Merchant{{ID: "700002"}, {ID: "700001"}, {ID: "700003"}})
	for range 20 { // map iteration order varies between calls
		all := ms.All()
		if all[0].ID != "700001" || all[1].ID != "700002" || all[2].ID != "700003" {
			t.Fatalf("All() = %s, %s, %s", all[0].ID, all[1].ID, all[2].ID)
		}
	}
}
