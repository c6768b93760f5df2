package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The start-up integrity check as a chain of trust. PRAGMA quick_check reads every page, so
// running it on each start makes start-up grow with the file (1.6 s at 10^6 orders). Instead
// a clean Close of a file this process had verified leaves a marker beside it, PATH.checked,
// holding the file's size, mtime, ctime, inode and device. The next Open reads the marker and
// removes it at once, before any write, and skips the O(N) check only when the file is still
// exactly as the marker describes and no -wal file holds changes. So:
//
//   - a crash or kill -9 leaves no marker (the Open before it removed it): full check;
//   - any write to the file while soapgate was not running (a bad copy, a stray editor, a
//     restore) changes mtime and ctime, and ctime cannot be set back from user space: full
//     check; a restored file is another inode: full check;
//   - a marker that is missing, unreadable or of another file: full check.
//
// What the chain cannot see is damage that changes no metadata: a disk returning bad
// sectors. `soapgate db check` runs the full check on demand, and database.startup_check:
// always at every start.

// markerSuffix names the marker beside the database file.
const markerSuffix = ".checked"

// markerMaxBytes bounds what Open reads of a marker; a real one is about 300 bytes.
const markerMaxBytes = 4096

// Options change how OpenWith opens a SQLite file.
type Options struct {
	// FullCheck runs PRAGMA quick_check over the whole file even when a marker of a clean
	// stop vouches for it (database.startup_check: always).
	FullCheck bool
	// Serving: the caller holds the file's serve lock (LockForServe), so no other serve has
	// it open. Any other Open that finds a non-empty -wal (another process has the file open,
	// or one died with it open) leaves no marker at its Close, even as the last to close: it
	// cannot tell whether that process stopped cleanly.
	Serving bool
}

// Integrity says how Open came to trust the file's structure (for the start-up banner).
type Integrity struct {
	Full      bool          // PRAGMA quick_check ran over the whole file at this Open
	Reason    string        // Full: why the marker could not vouch for the file
	Took      time.Duration // how long the check took (the full one, or the constant-cost one)
	CheckedAt time.Time     // when the last full quick_check of this file passed: at this Open, or earlier in the chain
	StoppedAt time.Time     // !Full: the clean stop whose marker vouched for the file
}

// String is the banner's "integrity" value.
func (i Integrity) String() string {
	if i.Full {
		return fmt.Sprintf("full quick_check passed in %s (%s)", i.Took.Round(time.Millisecond), i.Reason)
	}
	if i.StoppedAt.IsZero() {
		return "not checked"
	}
	return fmt.Sprintf("unchanged since clean stop at %s (last full quick_check %s)",
		i.StoppedAt.UTC().Format(time.RFC3339), i.CheckedAt.UTC().Format(time.RFC3339))
}

// Integrity reports how this Open trusted the file; zero on PostgreSQL (nothing checked).
func (db *DB) Integrity() Integrity { return db.integrity }

// marker is the JSON in PATH.checked.
type marker struct {
	fileStat
	CheckedAt time.Time `json:"checked_at"` // the last full quick_check in the chain
	StoppedAt time.Time `json:"stopped_at"` // the clean close that wrote this marker
	Version   string    `json:"version,omitempty"`
}

// fileStat is what identifies one state of a file: any write changes mtime and ctime (and
// ctime cannot be set from user space), a replaced file is another inode or device.
type fileStat struct {
	Size    int64  `json:"size"`
	MtimeNS int64  `json:"mtime_ns"`
	CtimeNS int64  `json:"ctime_ns"`
	Inode   uint64 `json:"inode"`
	Device  uint64 `json:"device"`
}

// diff names the fields in which two states differ.
func (a fileStat) diff(b fileStat) []string {
	var d []string
	if a.Size != b.Size {
		d = append(d, "size")
	}
	if a.MtimeNS != b.MtimeNS {
		d = append(d, "mtime")
	}
	if a.CtimeNS != b.CtimeNS {
		d = append(d, "ctime")
	}
	if a.Inode != b.Inode || a.Device != b.Device {
		d = append(d, "inode")
	}
	return d
}

// startCheck is what Open decided before opening the file.
type startCheck struct {
	skip    bool   // the marker vouches: run only the constant-cost check
	reason  string // !skip: why
	m       marker // skip: the marker that vouched
	walSeen bool   // a non-empty -wal lay beside the file before this Open
}

// takeMarker reads the marker beside path and removes it, before SQLite opens the file, and
// decides whether the full check may be skipped. Removing it first means that whatever
// happens from here on (a crash, a kill -9), no marker vouches for the file until a clean
// Close writes a new one.
func takeMarker(path string, full bool) startCheck {
	wi, walErr := os.Stat(path + "-wal")
	c := decide(path, full, wi, walErr)
	c.walSeen = walErr == nil && wi.Size() > 0
	return c
}

// decide reads the marker; wal and walErr are the -wal file's stat, taken once by takeMarker.
func decide(path string, full bool, wal fs.FileInfo, walErr error) startCheck {
	name := path + markerSuffix
	raw, mst, err := readMarker(name)
	if errors.Is(err, fs.ErrNotExist) {
		return startCheck{reason: "no marker of a clean stop: first start, or the last stop was not clean"}
	}
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		// A marker that stays would vouch for the file after a crash of this process.
		return startCheck{reason: fmt.Sprintf("the marker could not be removed: %v", rerr)}
	}
	syncDir(filepath.Dir(name)) // the removal reaches the disk before the first write to the file
	if err != nil {
		return startCheck{reason: fmt.Sprintf("the marker is unreadable: %v", err)}
	}
	if full {
		return startCheck{reason: "a full check was asked for: database.startup_check is always"}
	}
	var m marker
	if err := json.Unmarshal(raw, &m); err != nil {
		return startCheck{reason: "the marker is not a soapgate marker: not JSON"}
	}
	if m.Inode == 0 || m.CtimeNS == 0 || m.StoppedAt.IsZero() || m.CheckedAt.IsZero() {
		return startCheck{reason: "the marker is not a soapgate marker: fields missing"}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return startCheck{reason: fmt.Sprintf("the database file: %v", err)}
	}
	now, ok := statOf(fi)
	if !ok {
		return startCheck{reason: "this system does not show the file's ctime and inode"}
	}
	if d := m.diff(now); len(d) > 0 {
		return startCheck{reason: fmt.Sprintf("the file changed since the clean stop at %s: %s",
			m.StoppedAt.UTC().Format(time.RFC3339), strings.Join(d, ", "))}
	}
	// A change in the same clock tick as the recorded one would keep its ctime; Close makes
	// sure its marker was written after that tick, and a marker not so written vouches for nothing.
	if mst.CtimeNS <= m.CtimeNS {
		return startCheck{reason: "the marker is not younger than the file's last change"}
	}
	if walErr == nil && wal.Size() > 0 {
		return startCheck{reason: "a non-empty -wal file: another process has the database open, or one stopped without closing it"}
	} else if walErr != nil && !errors.Is(walErr, fs.ErrNotExist) {
		return startCheck{reason: fmt.Sprintf("the -wal file: %v", walErr)}
	}
	return startCheck{skip: true, m: m}
}

// readMarker reads at most markerMaxBytes of the marker and its own stat.
func readMarker(name string) ([]byte, fileStat, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileStat{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStat{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fileStat{}, errors.New("not a regular file")
	}
	st, _ := statOf(fi) // where statOf cannot tell, decide refuses the marker anyway
	b, err := io.ReadAll(io.LimitReader(f, markerMaxBytes+1))
	if err != nil {
		return nil, fileStat{}, err
	}
	if len(b) > markerMaxBytes {
		return nil, fileStat{}, fmt.Errorf("longer than %d bytes", markerMaxBytes)
	}
	return b, st, nil
}

// check runs, at Open, the full quick_check or, when the marker vouches for the file, a
// constant-cost one: opening a connection has read the header, the first statement the
// schema, and PRAGMA schema_version reads the header again through the pager.
func (db *DB) check() error {
	start := time.Now()
	if !db.start.skip {
		if err := quickCheck(db.w); err != nil {
			return err
		}
		db.integrity = Integrity{Full: true, Reason: db.start.reason, Took: time.Since(start), CheckedAt: time.Now().UTC()}
		db.verified = true
		return nil
	}
	var v int
	if err := db.w.QueryRow("PRAGMA schema_version").Scan(&v); err != nil {
		return damaged("PRAGMA schema_version", err)
	}
	db.integrity = Integrity{Took: time.Since(start), CheckedAt: db.start.m.CheckedAt, StoppedAt: db.start.m.StoppedAt}
	db.verified = true
	return nil
}

// leaveMarker writes the marker after a clean Close, when this Open verified the file and it
// was the last to close it: SQLite checkpoints and deletes the -wal file when its last
// connection closes, so a -wal that remains means another process has the file open (a CLI
// command beside serve, or serve beside a CLI command), and then nothing is written. Nor
// when this Open, not a serving one, found a -wal: the process that had the file open then
// may have died with it (see Options.Serving).
func (db *DB) leaveMarker() error {
	if !db.verified || (db.start.walSeen && !db.serving) {
		return nil
	}
	if _, err := os.Lstat(db.Path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	fi, err := os.Stat(db.Path)
	if err != nil {
		return fmt.Errorf("integrity marker: %w", err)
	}
	st, ok := statOf(fi)
	if !ok {
		return nil
	}
	m := marker{fileStat: st, CheckedAt: db.integrity.CheckedAt, StoppedAt: time.Now().UTC(), Version: db.Version}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	name := db.Path + markerSuffix
	if err := writeAtomic(name, b); err != nil {
		return fmt.Errorf("integrity marker (the next start runs the full check): %w", err)
	}
	// File times come from a clock that may tick only every few milliseconds: a change to the
	// database in the tick of its recorded ctime would keep that ctime. The marker vouches
	// only once its own ctime is later than the recorded one (takeMarker checks it), so a
	// later change always shows.
	for i := 0; ; i++ {
		mi, err := os.Stat(name)
		if err != nil {
			return fmt.Errorf("integrity marker: %w", err)
		}
		if ms, _ := statOf(mi); ms.CtimeNS > st.CtimeNS {
			break
		}
		if i == 50 {
			os.Remove(name)
			return nil
		}
		time.Sleep(2 * time.Millisecond)
		os.Chmod(name, 0o600) // a new ctime from the kernel's clock
	}
	// Anything that wrote the file meanwhile voids the marker.
	if fi, err := os.Stat(db.Path); err != nil {
		os.Remove(name)
	} else if now, _ := statOf(fi); len(now.diff(st)) > 0 {
		os.Remove(name)
	}
	return nil
}

// writeAtomic writes b to name through a synced temporary file renamed over it, so a reader
// sees the whole marker or none.
func writeAtomic(name string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(name))
	return nil
}

// syncDir makes a folder's entries (a created, renamed or removed file) durable. Best effort:
// a failure leaves, at worst, a full check at the next start.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Check runs PRAGMA quick_check over the whole SQLite file at path, as Open does without a
// marker, for `soapgate db check`: it neither migrates nor writes, so it may run beside a
// serving process. A damaged file also loses its marker, so that the next start is refused.
func Check(ctx context.Context, path string) (time.Duration, error) {
	fi, err := os.Stat(path)
	if err != nil {
		// Opening a missing file would create an empty database and check that.
		return 0, fmt.Errorf("database %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("database %s is not a regular file", path)
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_query_only", "true")
	conn, err := sql.Open("sqlite3", sqliteURI(path, q))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	start := time.Now()
	err = quickCheckContext(ctx, conn)
	if err == nil {
		var v int
		err = conn.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&v)
	}
	if err != nil {
		err = asDamaged(err)
		if errors.Is(err, ErrDamaged) {
			if rerr := os.Remove(path + markerSuffix); rerr == nil {
				syncDir(filepath.Dir(path))
			}
		}
		return 0, fmt.Errorf("check database %s: %w", path, err)
	}
	return time.Since(start), nil
}
