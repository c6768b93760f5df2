// Package pgtest runs a private PostgreSQL cluster for tests: initdb and pg_ctl on a
// temporary directory, listening only on a unix socket in that directory, no system service.
// One cluster serves a test binary (started at the first database asked for, stopped by
// Main); each test gets a fresh database of its own.
//
// PostgreSQL refuses to run as root: when the tests run as root the cluster runs as the
// `postgres` user that Debian's package creates. The binaries are found in $PGBIN, else in
// the newest /usr/lib/postgresql/*/bin, else on $PATH.
package pgtest

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
)

// EnvStore names the store the end-to-end and store tests run on: "sqlite" (default) or
// "postgres".
const EnvStore = "SOAPGATE_TEST_STORE"

// Postgres reports whether the tests were asked to run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvStore) == "postgres" }

// Cluster is a running private PostgreSQL.
type Cluster struct {
	dir    string // data in dir/data, the socket in dir
	bin    string
	runAs  string // the OS user the server runs as; "" for the current one
	admin  *sql.DB
	nextDB atomic.Int64
}

var (
	once    sync.Once
	shared  *Cluster
	starErr error
)

// Main runs the tests and stops the cluster if one was started; use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// NewDatabase returns the URL of a fresh, empty database on the test binary's cluster,
// starting the cluster at the first call. It fails the test when PostgreSQL cannot start:
// a test asked to run on PostgreSQL never passes on something else.
func NewDatabase(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, starErr = Start() })
	if starErr != nil {
		t.Fatalf("start PostgreSQL: %v", starErr)
	}
	url, err := shared.CreateDatabase()
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// Start initialises and starts a cluster in a new temporary directory.
func Start() (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		// PostgreSQL will not run as root: hand the directory to the postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		c.runAs = "postgres"
	}
	if err := c.start(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start() error {
	data := filepath.Join(c.dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// Durability is not what the tests measure: fsync off keeps them fast on a busy machine.
	// Benchmarks set PGTEST_DURABLE=1 to compare with SQLite's synchronous=FULL fairly.
	durable := []string{"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}
	if os.Getenv("PGTEST_DURABLE") == "1" {
		durable = []string{"-c", "fsync=on", "-c", "synchronous_commit=on"}
	}
	opts := strings.Join(append([]string{"-k", c.dir, "-c", "listen_addresses=", "-c", "max_connections=400",
		"-c", "shared_buffers=32MB"}, durable...), " ")
	if out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "120",
		"-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	admin, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return err
	}
	admin.SetMaxOpenConns(2)
	c.admin = admin
	return admin.Ping()
}

// URL is the connection URL of a database on the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + c.dir + "&sslmode=disable"
}

// CreateDatabase makes a new empty database (a copy of template0) and returns its URL.
func (c *Cluster) CreateDatabase() (string, error) {
	name := fmt.Sprintf("t%d", c.nextDB.Add(1))
	if _, err := c.admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE template0`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.URL(name), nil
}

// Stop stops the server at once and removes its directory.
func (c *Cluster) Stop() error {
	var errs []error
	if c.admin != nil {
		c.admin.Close()
	}
	if _, err := os.Stat(filepath.Join(c.dir, "data", "postmaster.pid")); err == nil {
		if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
		}
	}
	return errors.Join(append(errs, os.RemoveAll(c.dir))...)
}

// run runs one of the PostgreSQL binaries, as the postgres user when we are root.
func (c *Cluster) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// binDir finds the folder of initdb and pg_ctl.
func binDir() (string, error) {
	if d := os.Getenv("PGBIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed (no initdb in $PGBIN, /usr/lib/postgresql/*/bin or $PATH; Debian: apt-get install postgresql)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}
