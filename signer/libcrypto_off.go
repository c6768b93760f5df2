//go:build !cgo || nolibcrypto

package signer

import (
	"crypto"
	"crypto/rsa"
	"errors"
)

// libcryptoKey is absent from this build (no cgo, or -tags nolibcrypto): crypto/rsa signs.
type libcryptoKey struct{ crypto.Signer }

func newLibcryptoKey(*rsa.PrivateKey) (*libcryptoKey, error) {
	return nil, errors.New("built without libcrypto")
}

func (*libcryptoKey) free() {}
