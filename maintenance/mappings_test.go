package maintenance

import (
	"maps"
	"testing"
)

func TestRebracket(t *testing.T) {
	const lsp = "a1b2c3d4-0000-4000-8000-000000000001"
	cases := []struct {
		name    string
		in, out map[string]string
		fixes   int
		errs    int
	}{
		{
			name:  "all unbracketed IPv6, as the affected releases wrote",
			in:    map[string]string{"fd00::5": lsp + ":fd00::2", "fd00::6": lsp + ":fd00::2"},
			out:   map[string]string{"[fd00::5]": lsp + ":[fd00::2]", "[fd00::6]": lsp + ":[fd00::2]"},
			fixes: 2,
		},
		{
			name:  "mixed with IPv4 and bracketed keys: only the unbracketed IPv6 key changes",
			in:    map[string]string{"10.0.0.5": lsp + ":10.0.0.2", "2001:db8::5": lsp + ":2001:db8::2", "[fd00::7]": lsp + ":[fd00::2]"},
			out:   map[string]string{"10.0.0.5": lsp + ":10.0.0.2", "[2001:db8::5]": lsp + ":[2001:db8::2]", "[fd00::7]": lsp + ":[fd00::2]"},
			fixes: 1,
		},
		{
			name:  "already bracketed source is not bracketed twice",
			in:    map[string]string{"fd00::5": lsp + ":[fd00::2]"},
			out:   map[string]string{"[fd00::5]": lsp + ":[fd00::2]"},
			fixes: 1,
		},
		{
			name:  "bracketed twin exists: it wins, the stale entry goes",
			in:    map[string]string{"fd00::5": "old:fd00::9", "[fd00::5]": lsp + ":[fd00::2]"},
			out:   map[string]string{"[fd00::5]": lsp + ":[fd00::2]"},
			fixes: 1,
		},
		{
			name:  "malformed value is left alone",
			in:    map[string]string{"fd00::5": "no-colon-here", "fd00::6": lsp + ":fd00::2"},
			out:   map[string]string{"fd00::5": "no-colon-here", "[fd00::6]": lsp + ":[fd00::2]"},
			fixes: 2, errs: 1,
		},
		{
			name: "nothing to do",
			in:   map[string]string{"10.0.0.5": lsp + ":10.0.0.2", "[fd00::5]": lsp + ":[fd00::2]"},
			out:  map[string]string{"10.0.0.5": lsp + ":10.0.0.2", "[fd00::5]": lsp + ":[fd00::2]"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := maps.Clone(c.in)
			fixes := rebracket(m)
			if !maps.Equal(m, c.out) {
				t.Errorf("got %v, want %v", m, c.out)
			}
			errs := 0
			for _, f := range fixes {
				if f.err != nil {
					errs++
				}
			}
			if len(fixes) != c.fixes || errs != c.errs {
				t.Errorf("got %d fixes (%d errors), want %d (%d)", len(fixes), errs, c.fixes, c.errs)
			}
			// A second pass changes nothing but re-reports malformed entries.
			again := maps.Clone(m)
			if f := rebracket(again); len(f) != c.errs || !maps.Equal(again, m) {
				t.Errorf("second pass: %d fixes, map %v", len(f), again)
			}
		})
	}
}
