package signer

import "crypto/ed25519"

func ed25519PublicKey(raw []byte) ed25519.PublicKey { return ed25519.PublicKey(raw) }
