package config_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"soapgate/config"
)

// keyPaths lists the configuration keys of t as written in docs/config.md: dotted, list
// entries as name[].
func keyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if !f.IsExported() || name == "" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			out = append(out, keyPaths(ft, prefix+name+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, keyPaths(ft.Elem(), prefix+name+"[].")...)
		default:
			out = append(out, prefix+name)
		}
	}
	return out
}

// TestDocs_EveryKey checks that docs/config.md has a row for every key of Config, naming its
// environment variable (none for merchants) and, for plain values, the default the code uses.
func TestDocs_EveryKey(t *testing.T) {
	doc, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[strings.Trim(cells[1], "`")] = cells[2:5]
	}
	defaults := config.Defaults()
	keys := keyPaths(reflect.TypeOf(config.Config{}), "")
	if len(keys) < 40 {
		t.Fatalf("only %d keys found: %v", len(keys), keys)
	}
	envName := regexp.MustCompile(`[.\[\]]+`)
	for _, k := range keys {
		row, ok := rows[k]
		if !ok {
			t.Errorf("docs/config.md has no row for %s", k)
			continue
		}
		def, env, meaning := row[0], row[1], row[2]
		if meaning == "" {
			t.Errorf("%s: no meaning given", k)
		}
		if strings.HasPrefix(k, "merchants[]") {
			if env != "–" {
				t.Errorf("%s: environment %q, want – (merchants are configured in the file only)", k, env)
			}
			continue
		}
		if want := "`SOAPGATE_" + strings.ToUpper(envName.ReplaceAllString(k, "_")) + "`"; !strings.HasPrefix(env, want) {
			t.Errorf("%s: environment %q, want %s", k, env, want)
		}
		if d, ok := defaults[k]; ok {
			want := "`" + d + "`"
			if d == "" {
				want = "empty"
			}
			if def != want {
				t.Errorf("%s: documented default %s, the code's is %s", k, def, want)
			}
		} else {
			t.Errorf("%s: no default in the code", k)
		}
	}
	for k := range rows {
		if !strings.Contains(strings.Join(keys, " ")+" ", k+" ") {
			t.Errorf("docs/config.md documents %s, which is no key of the code", k)
		}
	}
}
