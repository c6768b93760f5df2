//go:build cgo && !nolibcrypto

package signer

// RSA PKCS#1 v1.5 signing with the system's OpenSSL libcrypto (libssl-dev to build, libssl3 to
// run). Why: an approved payment's answer carries one RSA-2048 signature, and on this
// project's amd64 machines OpenSSL signs 2–3× faster than crypto/rsa (README, Performance).
// No maintained OpenSSL binding is served by the Go module proxy this project uses
// (golang-fips/openssl and microsoft/go-crypto-openssl are refused), so this file calls the
// stable EVP API directly: load the key, then EVP_PKEY_sign on pooled contexts, nothing else.
// Verification stays in crypto/rsa. NewRSAKey compares the output with crypto/rsa before
// using it; build with -tags nolibcrypto to leave libcrypto out.

/*
#cgo LDFLAGS: -lcrypto
#include <stdio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// The error queue is per thread and a goroutine may change threads between cgo calls, so
// every function clears the queue first and reads it before returning.
static void sg_err(char *buf, size_t n) {
	unsigned long e = ERR_peek_last_error();
	if (e == 0) {
		snprintf(buf, n, "unknown libcrypto error");
	} else {
		ERR_error_string_n(e, buf, n);
	}
	ERR_clear_error();
}

static EVP_PKEY *sg_load(const unsigned char *der, long n, char *err, size_t errn) {
	ERR_clear_error();
	const unsigned char *p = der;
	EVP_PKEY *k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, n);
	if (k == NULL) {
		sg_err(err, errn);
	}
	return k;
}

// h is Go's crypto.Hash.
static const EVP_MD *sg_md(int h) {
	switch (h) {
	case 2: return EVP_md5();
	case 3: return EVP_sha1();
	case 4: return EVP_sha224();
	case 5: return EVP_sha256();
	case 6: return EVP_sha384();
	case 7: return EVP_sha512();
	}
	return NULL;
}

static EVP_PKEY_CTX *sg_ctx(EVP_PKEY *k, int h, char *err, size_t errn) {
	ERR_clear_error();
	const EVP_MD *md = sg_md(h);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	if (md != NULL && c != NULL && EVP_PKEY_sign_init(c) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_signature_md(c, md) > 0) {
		return c;
	}
	sg_err(err, errn);
	EVP_PKEY_CTX_free(c);
	return NULL;
}

static int sg_sign(EVP_PKEY_CTX *c, const unsigned char *dg, size_t dn, unsigned char *sig, size_t *sn, char *err, size_t errn) {
	ERR_clear_error();
	if (EVP_PKEY_sign(c, sig, sn, dg, dn) > 0) {
		return 1;
	}
	sg_err(err, errn);
	return 0;
}
*/
import "C"

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"runtime"
	"unsafe"
)

// libcryptoKey signs with an EVP_PKEY. Contexts are pooled per hash (one EVP_PKEY_CTX serves
// one signature at a time; building one costs a provider lookup).
type libcryptoKey struct {
	pub     *rsa.PublicKey
	key     *rsa.PrivateKey // for what libcrypto is not asked to do (PSS, raw digests)
	c       *libcryptoHandle
	cleanup runtime.Cleanup
}

// maxIdleContexts is how many contexts a key keeps per hash. A signature runs on its
// request's goroutine, and while it is in libcrypto the runtime hands that goroutine's P to
// another, so far more signatures than cores run at once: with the pool sized by
// GOMAXPROCS (4 here) one silentpay signature in twelve built and freed a context. A
// context is a few hundred bytes.
const maxIdleContexts = 64

type libcryptoHandle struct {
	pkey  *C.EVP_PKEY
	size  int                     // signature bytes
	pools [8]chan *C.EVP_PKEY_CTX // by crypto.Hash, MD5 (2) … SHA512 (7)
}

func newLibcryptoKey(key *rsa.PrivateKey) (*libcryptoKey, error) {
	der := x509.MarshalPKCS1PrivateKey(key)
	defer clear(der)
	var msg [256]C.char
	pkey := C.sg_load((*C.uchar)(unsafe.Pointer(&der[0])), C.long(len(der)), &msg[0], C.size_t(len(msg)))
	if pkey == nil {
		return nil, fmt.Errorf("load key: %s", C.GoString(&msg[0]))
	}
	h := &libcryptoHandle{pkey: pkey, size: int(C.EVP_PKEY_size(pkey))}
	for i := range h.pools {
		h.pools[i] = make(chan *C.EVP_PKEY_CTX, maxIdleContexts)
	}
	k := &libcryptoKey{pub: &key.PublicKey, key: key, c: h}
	k.cleanup = runtime.AddCleanup(k, (*libcryptoHandle).free, h)
	return k, nil
}

func (h *libcryptoHandle) free() {
	for _, p := range h.pools {
		for len(p) > 0 {
			C.EVP_PKEY_CTX_free(<-p)
		}
	}
	C.EVP_PKEY_free(h.pkey)
}

// free releases the key now (NewRSAKey, when libcrypto fails its probe).
func (k *libcryptoKey) free() {
	k.cleanup.Stop()
	k.c.free()
}

func (k *libcryptoKey) backend() string {
	return "OpenSSL libcrypto " + C.GoString(C.OpenSSL_version(C.OPENSSL_VERSION_STRING))
}

// Public is the RSA public key.
func (k *libcryptoKey) Public() crypto.PublicKey { return k.pub }

// Sign makes an RSA PKCS#1 v1.5 signature of digest (hashed with opts.HashFunc()).
func (k *libcryptoKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if _, pss := opts.(*rsa.PSSOptions); pss || h < crypto.MD5 || h > crypto.SHA512 {
		return k.key.Sign(rand, digest, opts)
	}
	if len(digest) != h.Size() {
		return nil, errors.New("libcrypto sign: digest length does not match the hash")
	}
	defer runtime.KeepAlive(k) // the cleanup must not free the handle while it signs
	var msg [256]C.char
	pool := k.c.pools[h]
	var ctx *C.EVP_PKEY_CTX
	select {
	case ctx = <-pool:
	default:
		if ctx = C.sg_ctx(k.c.pkey, C.int(h), &msg[0], C.size_t(len(msg))); ctx == nil {
			return nil, fmt.Errorf("libcrypto sign %v: %s", h, C.GoString(&msg[0]))
		}
	}
	sig := make([]byte, k.c.size)
	n := C.size_t(len(sig))
	ok := C.sg_sign(ctx, (*C.uchar)(unsafe.Pointer(&digest[0])), C.size_t(len(digest)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), &n, &msg[0], C.size_t(len(msg)))
	select {
	case pool <- ctx:
	default:
		C.EVP_PKEY_CTX_free(ctx)
	}
	if ok == 0 {
		return nil, fmt.Errorf("libcrypto sign %v: %s", h, C.GoString(&msg[0]))
	}
	return sig[:n], nil
}
