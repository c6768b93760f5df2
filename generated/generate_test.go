package generated_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestGeneratedUpToDate regenerates every package into a temp dir with
// scripts/generate.sh and fails when the committed files under generated/
// differ: after editing a WSDL, run scripts/generate.sh and commit its output.
func TestGeneratedUpToDate(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	if testing.Short() {
		t.Skip("runs gowsdl; skipped in -short mode")
	}
	fresh := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "scripts", "generate.sh"), fresh)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/generate.sh: %v\n%s", err, out)
	}

	want := goFiles(t, fresh)
	got := goFiles(t, ".")
	if len(want) == 0 {
		t.Fatal("scripts/generate.sh produced no Go files")
	}
	for _, name := range union(want, got) {
		w, inFresh := want[name]
		g, inRepo := got[name]
		switch {
		case !inRepo:
			t.Errorf("generated/%s is missing: run scripts/generate.sh", name)
		case !inFresh:
			t.Errorf("generated/%s is not produced by scripts/generate.sh: remove it or add its WSDL", name)
		case !bytes.Equal(w, g):
			t.Errorf("generated/%s is stale or edited by hand (run scripts/generate.sh):\n%s", name, firstDiff(g, w))
		}
	}
}

// goFiles reads the .go files in the package directories below root (the
// test's own files at the top level are not generated).
func goFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || !strings.Contains(filepath.ToSlash(rel), "/") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func union(a, b map[string][]byte) []string {
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// firstDiff describes the first line where the committed file differs from a
// fresh generation.
func firstDiff(committed, fresh []byte) string {
	c := strings.Split(string(committed), "\n")
	f := strings.Split(string(fresh), "\n")
	for i := 0; i < len(c) || i < len(f); i++ {
		var cl, fl string
		if i < len(c) {
			cl = c[i]
		}
		if i < len(f) {
			fl = f[i]
		}
		if i >= len(c) || i >= len(f) || cl != fl {
			return fmt.Sprintf("  first difference at line %d:\n  committed: %q\n  generated: %q", i+1, cl, fl)
		}
	}
	return "  (files differ only in line endings)"
}
