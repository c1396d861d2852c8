// Package moncrypt is crypt(3) for the password hashes a mon userfile (and a trap's
// password, checked against auth.cf's trap section) may hold, as glibc and libxcrypt
// compute them: MD5-crypt ($1$), SHA-256-crypt ($5$), SHA-512-crypt ($6$, with or
// without rounds=) and traditional DES crypt. Pure: one function, Crypt, checked against
// openssl passwd and perl's crypt (the C library's).
package moncrypt

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Crypt is crypt(3) for the hash formats a mon userfile may hold: MD5-crypt ($1$),
// SHA-256-crypt ($5$), SHA-512-crypt ($6$) setting is the stored hash (its salt
// and parameters are used), and traditional DES crypt (13 characters).
func Crypt(pass, setting string) (string, error) {
	switch {
	case strings.HasPrefix(setting, "$1$"):
		return md5Crypt(pass, setting), nil
	case strings.HasPrefix(setting, "$5$"):
		return shaCrypt(sha256.New, "$5$", pass, setting), nil
	case strings.HasPrefix(setting, "$6$"):
		return shaCrypt(sha512.New, "$6$", pass, setting), nil
	case len(setting) == 13 && !strings.HasPrefix(setting, "$"):
		return desCrypt(pass, setting), nil
	}
	return "", fmt.Errorf("password hash format %.3q... is not implemented by mond (use DES, $1$, $5$ or $6$ hashes)", setting)
}

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func b64From24(b *strings.Builder, b2, b1, b0 byte, n int) {
	w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
	for ; n > 0; n-- {
		b.WriteByte(itoa64[w&0x3f])
		w >>= 6
	}
}

func md5Crypt(pass, setting string) string {
	salt := strings.TrimPrefix(setting, "$1$")
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 8 {
		salt = salt[:8]
	}
	pw := []byte(pass)
	h := md5.New()
	h.Write(pw)
	h.Write([]byte(salt))
	h.Write(pw)
	alt := h.Sum(nil)
	h = md5.New()
	h.Write(pw)
	h.Write([]byte("$1$"))
	h.Write([]byte(salt))
	for pl := len(pw); pl > 0; pl -= 16 {
		h.Write(alt[:min(pl, 16)])
	}
	for i := len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write([]byte{0})
		} else {
			h.Write(pw[:1])
		}
	}
	final := h.Sum(nil)
	for i := 0; i < 1000; i++ {
		h = md5.New()
		if i&1 != 0 {
			h.Write(pw)
		} else {
			h.Write(final)
		}
		if i%3 != 0 {
			h.Write([]byte(salt))
		}
		if i%7 != 0 {
			h.Write(pw)
		}
		if i&1 != 0 {
			h.Write(final)
		} else {
			h.Write(pw)
		}
		final = h.Sum(nil)
	}
	var b strings.Builder
	b.WriteString("$1$" + salt + "$")
	for _, t := range [][3]int{{0, 6, 12}, {1, 7, 13}, {2, 8, 14}, {3, 9, 15}, {4, 10, 5}} {
		b64From24(&b, final[t[0]], final[t[1]], final[t[2]], 4)
	}
	b64From24(&b, 0, 0, final[11], 2)
	return b.String()
}

func shaCrypt(newHash func() hash.Hash, magic, pass, setting string) string {
	rest := strings.TrimPrefix(setting, magic)
	rounds, custom := 5000, false
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		if num, after, ok := strings.Cut(r, "$"); ok {
			if n, err := strconv.Atoi(num); err == nil {
				rounds, custom, rest = max(1000, min(n, 999999999)), true, after
			}
		}
	}
	salt := rest
	if i := strings.IndexByte(salt, '$'); i >= 0 {
		salt = salt[:i]
	}
	if len(salt) > 16 {
		salt = salt[:16]
	}
	pw, s := []byte(pass), []byte(salt)
	h := newHash()
	size := h.Size()
	h.Write(pw)
	h.Write(s)
	h.Write(pw)
	b := h.Sum(nil)
	h = newHash()
	h.Write(pw)
	h.Write(s)
	i := len(pw)
	for ; i > size; i -= size {
		h.Write(b)
	}
	h.Write(b[:i])
	for i = len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)
	h = newHash()
	for range pw {
		h.Write(pw)
	}
	dp := h.Sum(nil)
	p := make([]byte, 0, len(pw))
	for len(p)+size <= len(pw) {
		p = append(p, dp...)
	}
	p = append(p, dp[:len(pw)-len(p)]...)
	h = newHash()
	for i := 0; i < 16+int(a[0]); i++ {
		h.Write(s)
	}
	ds := h.Sum(nil)
	sp := make([]byte, 0, len(s))
	for len(sp)+size <= len(s) {
		sp = append(sp, ds...)
	}
	sp = append(sp, ds[:len(s)-len(sp)]...)
	c := a
	for r := 0; r < rounds; r++ {
		h = newHash()
		if r&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if r%3 != 0 {
			h.Write(sp)
		}
		if r%7 != 0 {
			h.Write(p)
		}
		if r&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(nil)
	}
	var out strings.Builder
	out.WriteString(magic)
	if custom {
		fmt.Fprintf(&out, "rounds=%d$", rounds)
	}
	out.WriteString(salt + "$")
	if size == 64 {
		for j := 0; j < 21; j++ {
			x, y, z := j, j+21, j+42
			switch j % 3 {
			case 1:
				x, y, z = j+21, j+42, j
			case 2:
				x, y, z = j+42, j, j+21
			}
			b64From24(&out, c[x], c[y], c[z], 4)
		}
		b64From24(&out, 0, 0, c[63], 2)
	} else {
		for j := 0; j < 10; j++ {
			x, y, z := j, j+10, j+20
			switch j % 3 {
			case 1:
				x, y, z = j+20, j, j+10
			case 2:
				x, y, z = j+10, j+20, j
			}
			b64From24(&out, c[x], c[y], c[z], 4)
		}
		b64From24(&out, 0, c[31], c[30], 3)
	}
	return out.String()
}
