// Package wsdl holds the WSDL 1.1 files that are the source of truth for the
// wire: one per service (orderstate, orderresult, charge, wscancel, silentpay)
// plus notification.wsdl, which merchants implement to receive payment results.
// generated/ is gowsdl output from these files (scripts/generate.sh).
//
// Each file's soap:address points at http://127.0.0.1:8080; the server rewrites
// it to the URL the client used when it serves the WSDL.
package wsdl

import "embed"

// FS holds every *.wsdl file of this directory, by base name (e.g. "charge.wsdl").
//
//go:embed *.wsdl
var FS embed.FS
