package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"soapgate/gateway"
	"soapgate/signer"
)

func keygenCmd() *cobra.Command {
	var dir, name, cn string
	var bits int
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Write an RSA key pair and a self-signed certificate: NAME.key.pem, NAME.pub.pem, NAME.crt",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if bits < signer.MinRSABits {
				return fmt.Errorf("--bits %d is too weak: at least %d", bits, signer.MinRSABits)
			}
			if name == "" || name != filepath.Base(name) {
				return fmt.Errorf("--name %q must be a file name without a folder (use --out for the folder)", name)
			}
			// Refuse before generating anything: overwriting a key in use would break every
			// signature made with it, and a half-written set (new key, old certificate) is worse.
			if !force {
				for _, ext := range keygenExts {
					path := filepath.Join(dir, name+ext)
					if _, err := os.Lstat(path); err == nil {
						return fmt.Errorf("%s already exists: keep it, choose another --name or --out, or pass --force to overwrite", path)
					} else if !errors.Is(err, fs.ErrNotExist) {
						return err
					}
				}
			}
			key, err := rsa.GenerateKey(rand.Reader, bits)
			if err != nil {
				return err
			}
			if cn == "" {
				cn = name
			}
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(time.Now().UnixNano()),
				Subject:      pkix.Name{CommonName: cn, Organization: []string{"soapgate"}},
				NotBefore:    time.Now().Add(-time.Hour),
				NotAfter:     time.Now().AddDate(10, 0, 0),
				KeyUsage:     x509.KeyUsageDigitalSignature,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				return err
			}
			priv, err := x509.MarshalPKCS8PrivateKey(key)
			if err != nil {
				return err
			}
			pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return err
			}
			for _, f := range []struct {
				ext, typ string
				der      []byte
				mode     os.FileMode
			}{
				{keygenExts[0], "PRIVATE KEY", priv, 0o600},
				{keygenExts[1], "PUBLIC KEY", pub, 0o644},
				{keygenExts[2], "CERTIFICATE", der, 0o644},
			} {
				path := filepath.Join(dir, name+f.ext)
				if err := writeKeyFile(path, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), f.mode, force); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "out", ".", "folder to write into")
	cmd.Flags().StringVar(&name, "name", "merchant", "file name stem")
	cmd.Flags().StringVar(&cn, "cn", "", "certificate common name (default: the name)")
	cmd.Flags().IntVar(&bits, "bits", 2048, "RSA key size")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}

// keygenExts are the files keygen writes, in order: private key, public key, certificate.
var keygenExts = []string{".key.pem", ".pub.pem", ".crt"}

// writeKeyFile writes data to path; without force it fails when path exists (O_EXCL, so a
// file appearing after keygen's first check is not overwritten either).
func writeKeyFile(path string, data []byte, mode os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if !force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

func signCmd() *cobra.Command {
	var keyPath, merchant, orderNumber, amount, currency, secret string
	var noSep bool
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Print the request Signature (and Checkvalue, with --secret) an integrator should send",
		Long: "X = Merchant_ID;OrderNumber;OrderAmount;OrderCurrency as sent (OrderCurrency left out when empty).\n" +
			"Signature = BASE64(RSA PKCS#1 v1.5 over MD5(X)) with the merchant's private key.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyPath == "" && secret == "" {
				return errors.New("nothing to sign with: give --key (the merchant's private key, for Signature) and/or --secret (its secret word, for Checkvalue)")
			}
			if merchant == "" || strings.Trim(merchant, "0123456789") != "" {
				return fmt.Errorf("--merchant %q must be the digits of a Merchant_ID", merchant)
			}
			if orderNumber == "" || len(orderNumber) > 128 {
				return fmt.Errorf("--ordernumber must be 1 to 128 characters")
			}
			// X is taken over the amount as sent, so it is kept as given; but one the gateway
			// would refuse (5/108) makes a signature nobody can use.
			if _, ok := gateway.ParseAmount(amount); !ok {
				return fmt.Errorf("--amount %q is not an amount the gateway accepts (positive, at most two decimals: 100.00)", amount)
			}
			if currency != "" {
				if _, ok := gateway.ParseCurrency(currency, ""); !ok {
					return fmt.Errorf("--currency %q is not a supported ISO 4217 code", currency)
				}
			}
			params := map[string]string{"merchant_id": merchant, "ordernumber": orderNumber, "orderamount": amount, "ordercurrency": currency}
			parts := signer.RequestX(func(k string) string { return params[k] }, "orderamount", "ordercurrency")
			x := strings.Join(parts, ";")
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "X=%s\n", x)
			if keyPath != "" {
				key, err := signer.LoadPrivateKey(keyPath)
				if err != nil {
					return err
				}
				sig, err := signer.New(key).Sign(x)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "Signature=%s\n", sig)
			}
			if secret != "" {
				if noSep {
					x = strings.Join(parts, "")
				}
				fmt.Fprintf(out, "Checkvalue=%s\n", signer.Checkvalue(secret, x))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyPath, "key", "", "the merchant's private key (PEM)")
	f.StringVar(&merchant, "merchant", "", "Merchant_ID")
	f.StringVar(&orderNumber, "ordernumber", "", "OrderNumber")
	f.StringVar(&amount, "amount", "", "OrderAmount, exactly as it will be sent")
	f.StringVar(&currency, "currency", "", "OrderCurrency, exactly as it will be sent (empty: left out of X)")
	f.StringVar(&secret, "secret", "", "the merchant's secret word, to print the Checkvalue too")
	f.BoolVar(&noSep, "no-separator", false, "Checkvalue over X without ';' (merchant setting checkvalue_no_separator)")
	for _, req := range []string{"merchant", "ordernumber", "amount"} {
		cmd.MarkFlagRequired(req)
	}
	return cmd
}
