package store

import (
	"net/url"
	"strings"
)

// uriEscaper escapes what a SQLite file: URI would not read as part of the file name: '?'
// starts its parameters, '#' ends it, and %HH is an escape.
var uriEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// sqliteURI is the file: URI (the form the driver opens) of the database file at path with
// the parameters q, so that a file named "a#b.db" is opened as that file and not as "a".
func sqliteURI(path string, q url.Values) string {
	u := "file:" + uriEscaper.Replace(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}
