package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"soapgate/config"
	"soapgate/internal/pgtest"
	"soapgate/store"
)

// TestMain stops the private PostgreSQL cluster a run on PostgreSQL started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// pgDatabases maps each test database path to the PostgreSQL database that stands in for it
// when the suite runs on PostgreSQL (SOAPGATE_TEST_STORE=postgres), so that a test that
// restarts the server on the same path finds the same database.
var pgDatabases sync.Map

// pgDatabaseFor returns the PostgreSQL database of a test database path, creating it once.
func pgDatabaseFor(t testing.TB, dbPath string) string {
	t.Helper()
	if u, ok := pgDatabases.Load(dbPath); ok {
		return u.(string)
	}
	u, _ := pgDatabases.LoadOrStore(dbPath, pgtest.NewDatabase(t))
	return u.(string)
}

// sqliteOnly skips a test of a SQLite-only feature (the file's backup, its damage) in the
// PostgreSQL pass; the SQLite pass runs it.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if pgtest.Postgres() {
		t.Skip("a SQLite feature: runs in the SQLite pass")
	}
}

// openRawDB opens the test server's database with database/sql, for a test that checks
// what is stored, column by column (SQL without placeholders reads the same on both).
func openRawDB(t testing.TB, ts *testServer) *sql.DB {
	t.Helper()
	driver, name := "sqlite3", ts.DBPath
	if pgtest.Postgres() {
		driver, name = "pgx", pgDatabaseFor(t, ts.DBPath)
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openTestStore opens the database a test server ran on, beside or after it.
func openTestStore(t testing.TB, ts *testServer) *store.DB {
	t.Helper()
	var db *store.DB
	var err error
	if pgtest.Postgres() {
		db, err = store.OpenPostgres(pgDatabaseFor(t, ts.DBPath))
	} else {
		db, err = store.Open(ts.DBPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// testServer is the real gateway on a free port with a temporary database.
type testServer struct {
	URL    string
	DBPath string
	app    *App
	done   chan error
	cancel context.CancelFunc
}

// testConfig is the tests' own copy of the sandbox configuration. Tests never read the
// working copy's config.yaml: the README's walkthrough has people edit it.
const testConfig = "testdata/config.yaml"

// startServer starts the program as `serve` would, from testConfig.
func startServer(t testing.TB) *testServer {
	t.Helper()
	return startServerAt(t, filepath.Join(t.TempDir(), "soapgate.db"))
}

func startServerAt(t testing.TB, dbPath string) *testServer {
	t.Helper()
	return startServerWith(t, dbPath, nil)
}

// startServerWith starts the server after letting configure change the loaded config
// (for example to point a merchant's notifications at a test receiver).
func startServerWith(t testing.TB, dbPath string, configure func(*config.Config)) *testServer {
	t.Helper()
	return startServerFrom(t, testConfig, dbPath, configure)
}

// startServerFrom starts the server from another configuration file in testdata.
func startServerFrom(t testing.TB, configPath, dbPath string, configure func(*config.Config)) *testServer {
	t.Helper()
	t.Setenv("SOAPGATE_DATABASE_PATH", dbPath)
	if pgtest.Postgres() {
		t.Setenv("SOAPGATE_DATABASE_DRIVER", "postgres")
		t.Setenv("SOAPGATE_DATABASE_URL", pgDatabaseFor(t, dbPath))
	}
	cfg, err := config.Load(configPath)
	if err != nil {
		t.Fatal(err)
	}
	if configure != nil {
		configure(cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	app, err := Open(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{URL: "http://" + ln.Addr().String(), DBPath: dbPath, app: app, done: make(chan error, 1), cancel: cancel}
	go func() { ts.done <- app.Run(ctx, ln) }()
	t.Cleanup(ts.Stop)
	return ts
}

// Stop shuts the server down gracefully and closes the database; it may be called twice.
func (ts *testServer) Stop() {
	if ts.app == nil {
		return
	}
	ts.cancel()
	if err := <-ts.done; err != nil {
		panic("server stopped with " + err.Error())
	}
	ts.app.Close()
	ts.app = nil
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var demo = map[string]string{"merchant_id": "700001", "login": "demo_login", "password": "demo_password1"}

// with returns the demo credentials plus kv pairs.
func with(kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range demo {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func card(kv ...string) map[string]string {
	return with(append([]string{"orderamount", "100.00", "ordercurrency", "RUB", "cardnumber", "4111111111111111",
		"expiremonth", "12", "expireyear", "2030", "cvc2", "123", "cardholder", "IVAN IVANOV",
		"lastname", "Ivanov", "firstname", "Ivan", "email", "ivan@example.com"}, kv...)...)
}

// envelope builds a SOAP 1.1 request with the params as unqualified children, in sorted order.
func envelope(op string, params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`)
	b.WriteString(`<ws:` + op + ` xmlns:ws="http://www.paysecure.ru/ws/">`)
	for _, k := range keys {
		b.WriteString("<" + k + ">")
		xmlEscape(&b, params[k])
		b.WriteString("</" + k + ">")
	}
	b.WriteString(`</ws:` + op + `></soap:Body></soap:Envelope>`)
	return b.String()
}

func xmlEscape(b *strings.Builder, s string) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	b.WriteString(r.Replace(s))
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

func (ts *testServer) post(t testing.TB, path, contentType, body string) response {
	t.Helper()
	res, err := http.Post(ts.URL+path, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func (ts *testServer) soap(t testing.TB, path, op string, params map[string]string) (response, *etree.Document) {
	t.Helper()
	res := ts.post(t, path, "text/xml; charset=utf-8", envelope(op, params))
	return res, parseXML(t, res.Body)
}

func (ts *testServer) form(t testing.TB, path string, params map[string]string) response {
	t.Helper()
	v := url.Values{}
	for k, val := range params {
		v.Set(k, val)
	}
	return ts.post(t, path, "application/x-www-form-urlencoded", v.Encode())
}

func (ts *testServer) json(t testing.TB, path string, params map[string]string) (response, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(params)
	res := ts.post(t, path, "application/json", string(body))
	var out map[string]any
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil {
		t.Fatalf("JSON answer does not parse: %v\n%s", err, res.Body)
	}
	return res, out
}

func parseXML(t testing.TB, s string) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("answer is not XML: %v\n%s", err, s)
	}
	return doc
}

// text returns the text at an etree path, failing when absent.
func text(t testing.TB, doc *etree.Document, path string) string {
	t.Helper()
	el := doc.FindElement(path)
	if el == nil {
		s, _ := doc.WriteToString()
		t.Fatalf("no %s in\n%s", path, s)
	}
	return el.Text()
}

func attr(t testing.TB, doc *etree.Document, path, name string) string {
	t.Helper()
	el := doc.FindElement(path)
	if el == nil {
		s, _ := doc.WriteToString()
		t.Fatalf("no %s in\n%s", path, s)
	}
	return el.SelectAttrValue(name, "<absent>")
}

// faultCodes returns the firstcode/secondcode of a SOAP Fault's detail.
func faultCodes(t testing.TB, doc *etree.Document) string {
	t.Helper()
	return attr(t, doc, "//detail/error", "firstcode") + "/" + attr(t, doc, "//detail/error", "secondcode")
}

func etreeRead(t testing.TB, res *http.Response) *etree.Document {
	t.Helper()
	defer res.Body.Close()
	doc := etree.NewDocument()
	if _, err := doc.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	return doc
}

func parseXMLString(s string) *etree.Document {
	doc := etree.NewDocument()
	doc.ReadFromString(s)
	return doc
}

func httpGet(u string) (string, error) {
	res, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}
