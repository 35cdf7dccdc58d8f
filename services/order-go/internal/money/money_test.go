package money

import "testing"

func TestParseRoundsHalfEvenToCents(t *testing.T) {
	cases := map[string]string{
		"14.99": "14.99", "15": "15.00", "0.005": "0.00", "0.015": "0.02", "1.005": "1.00",
		"-1.255": "-1.26", "1e2": "100.00", "99999999.99": "99999999.99",
	}
	for in, want := range cases {
		got, err := Parse(in)
		if err != nil || got.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestParseRefusesWhatIsNotADecimal(t *testing.T) {
	for _, in := range []string{"", "abc", "NaN", "Infinity", "0x10", "1/2"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
	if _, err := Parse("1e30"); err != ErrTooLarge {
		t.Errorf("Parse(1e30) = %v, want ErrTooLarge", err)
	}
}

func TestTimesReportsOverflow(t *testing.T) {
	if got, ok := Cents(1499).Times(2); !ok || got.String() != "29.98" {
		t.Errorf("Times = %v %v", got, ok)
	}
	if _, ok := Cents(1 << 62).Times(4); ok {
		t.Error("overflow not reported")
	}
}
