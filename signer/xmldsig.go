package signer

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XMLSigner makes enveloped XML-DSig signatures (exclusive C14N, RSA-SHA256, a reference to
// the element's Id attribute, the gateway certificate in KeyInfo) with goxmldsig.
type XMLSigner struct {
	ctx *dsig.SigningContext
}

// NewXMLSigner signs with the key and certificate (PEM).
func NewXMLSigner(key *rsa.PrivateKey, certPEM []byte) (*XMLSigner, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return nil, errors.New("xmldsig: certificate is not PEM")
	}
	ctx, err := dsig.NewSigningContext(NewRSAKey(key), [][]byte{block.Bytes})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	ctx.IdAttribute = "Id"
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	return &XMLSigner{ctx: ctx}, nil
}

// SignElement signs a serialised element that carries an Id attribute and returns it with
// the ds:Signature appended as its last child. The element must not depend on namespace
// declarations of its future ancestors (ours are unqualified).
func (s *XMLSigner) SignElement(element []byte, _ string) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(element); err != nil {
		return nil, fmt.Errorf("xmldsig: %w", err)
	}
	root := doc.Root()
	if root == nil || root.SelectAttrValue("Id", "") == "" {
		return nil, errors.New("xmldsig: element has no Id attribute")
	}
	signed, err := s.ctx.SignEnveloped(root)
	if err != nil {
		return nil, fmt.Errorf("xmldsig: %w", err)
	}
	out := etree.NewDocument()
	out.SetRoot(signed)
	return out.WriteToBytes()
}

// VerifyElement checks the enveloped signature of el (detached from its document with its
// namespace context) against the trusted certificate and returns the verified element: the
// caller must use that tree and nothing else. Signatures referencing another element than el
// itself, several signatures, or duplicate Ids are refused by goxmldsig's checks and ours.
func VerifyElement(el *etree.Element, cert *x509.Certificate) (*etree.Element, error) {
	if descendantsWithID(el, el.SelectAttrValue("Id", "")) > 0 {
		return nil, errors.New("xmldsig: duplicate Id")
	}
	if sigs := el.FindElements(".//Signature"); len(sigs) != 1 || sigs[0].Parent() != el {
		return nil, errors.New("xmldsig: exactly one enveloped Signature is required on the signed element")
	}
	parent, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	detached, err := etreeutils.NSDetatch(parent, el)
	if err != nil {
		return nil, err
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.IdAttribute = "Id"
	return ctx.Validate(detached)
}

// descendantsWithID counts the elements under el (not el itself) whose Id is id: a second
// element with the signed Id is how signature-wrapping attacks hide a payload.
func descendantsWithID(el *etree.Element, id string) int {
	n := 0
	for _, c := range el.ChildElements() {
		if c.SelectAttrValue("Id", "\x00") == id {
			n++
		}
		n += descendantsWithID(c, id)
	}
	return n
}
