package markdown

import "testing"

func TestTable(t *testing.T) {
	for _, c := range []struct {
		name   string
		header []string
		rows   [][]string
		want   string
	}{
		{"no rows", []string{"a"}, nil, "| a |\n|---|\n"},
		{"padded and escaped", []string{"a", "b"}, [][]string{{"1", "x|y"}, {"2"}}, "| a | b |\n|---|---|\n| 1 | x\\|y |\n| 2 |  |\n"},
		{"long row cut", []string{"a"}, [][]string{{"1", "2"}}, "| a |\n|---|\n| 1 |\n"},
	} {
		if got := Table(c.header, c.rows); got != c.want {
			t.Errorf("%s: got\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
}
