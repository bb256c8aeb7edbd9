package run

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadReports(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, body string // body "": no file
		ids        string // the studies read; "": an error
		err        string
	}{
		{"two studies", `[{"id":"a","generated":"x"},{"id":"b","reference":"y"}]`, "a,b", ""},
		{"missing", "", "", "no such file"},
		{"an object", `{"id":"a"}`, "", "an object" + string(filepath.Separator) + ReportsFile + ": want the reports.json of `mrg eval`"},
	} {
		path := filepath.Join(dir, c.name, ReportsFile)
		if c.body != "" {
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, []byte(c.body), 0o644)
		}
		studies, err := ReadReports(path)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			if c.body == "" && !os.IsNotExist(err) {
				t.Errorf("%s: os.IsNotExist(%v) is false", c.name, err)
			}
			continue
		}
		var ids []string
		for _, s := range studies {
			ids = append(ids, s.ID)
		}
		if err != nil || strings.Join(ids, ",") != c.ids {
			t.Errorf("%s: studies %v, %v; want %s", c.name, ids, err, c.ids)
		}
	}
}
