package moncrypt

import "testing"

// The wanted hashes come from `openssl passwd -1/-5/-6 -salt ...` (glibc's formats).
func TestCrypt(t *testing.T) {
	for _, tc := range []struct{ pass, hash string }{
		{"s3cret pw", "$1$saltsalt$COEqv8xrXCDQ6KyiqgxAh0"},
		{"s3cret pw", "$5$saltsalt$V8elRryZS0n9i55dbzNxobejOIP4Vf9etUWUk3kFkV."},
		{"s3cret pw", "$6$saltsalt$7u7lGNWW9pmKyYBbYJ6Jh6i2ruj8e.Qfb5jWFzC5XDXwkp22RJs8FI/FZCcvlqZ74LOOE4zjgN.gJJSAWe/Um/"},
		{"x", "$6$rounds=2000$abcd$vFSEbe5V6sk2dJUW6zBWT/10ccGNq1Hje3VNE75qP2.vn7/Fjid1NG7ycJRM/l9ZnBI9J6zZW.WHMBRR0tIpY0"},
	} {
		got, err := Crypt(tc.pass, tc.hash)
		if err != nil || got != tc.hash {
			t.Errorf("Crypt(%q, %q) = %q, %v", tc.pass, tc.hash, got, err)
		}
		if bad, _ := Crypt("wrong", tc.hash); bad == tc.hash {
			t.Errorf("wrong password matched %q", tc.hash)
		}
	}
	// Traditional DES crypt; wanted values from perl's crypt() (glibc/libxcrypt).
	for _, tc := range []struct{ pass, hash string }{
		{"s3cret pw", "abTk71qDTQKMY"}, {"s3cret pw", "XyE4SkyyWAy8U"}, {"s3cret pw", "./CN6tbYESYFk"},
		{"s3cret pw", "zZTjhvk8Db7GA"}, {"longpassword123", "q9zGguPJMp21M"}, {"", "abmF1QH4PEr.E"},
	} {
		if got, err := Crypt(tc.pass, tc.hash); err != nil || got != tc.hash {
			t.Errorf("DES Crypt(%q, %q) = %q, %v", tc.pass, tc.hash, got, err)
		}
	}
	if _, err := Crypt("x", "$y$j9T$abc$def"); err == nil {
		t.Error("yescrypt: want a not-implemented error")
	}
}
