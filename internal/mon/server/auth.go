package server

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/lvskit/lvskit/compat/libc"
	"github.com/lvskit/lvskit/compat/moncrypt"
)

// Auth is mon's auth.cf: which users may run which commands ("all" for anyone,
// "AUTH_ANY" for any logged-in user, "!user" to deny), plus the trap section.
type Auth struct {
	allow map[string]map[string]bool
	deny  map[string]map[string]bool
	// Traps maps host ("*" for any) to user to password.
	Traps map[string]map[string]string
}

var trapLineRe = regexp.MustCompile(`^(\S+)\s+(\S+)\s+(\S+)$`)

// openError is mon's message for a file it cannot open, with perl's $! text.
type openError struct {
	path string
	err  error
}

func (e *openError) Error() string { return "could not open " + e.path + ": " + libc.ErrText(e.err) }
func (e *openError) Unwrap() error { return e.err }

// LoadAuth reads an auth.cf file.
func LoadAuth(path string) (*Auth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &openError{path: path, err: err}
	}
	defer f.Close()
	a := &Auth{allow: map[string]map[string]bool{}, deny: map[string]map[string]bool{}, Traps: map[string]map[string]string{}}
	sect := "command"
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		switch {
		case regexp.MustCompile(`^command\s+section`).MatchString(l):
			sect = "command"
			continue
		case regexp.MustCompile(`^trap\s+section`).MatchString(l):
			sect = "trap"
			continue
		}
		if sect == "command" {
			cmd, users, ok := strings.Cut(l, ":")
			if !ok {
				return nil, fmt.Errorf("%s:%d: could not parse line %d of auth file", path, n, n)
			}
			cmd = strings.ToLower(strings.TrimSpace(cmd))
			for _, u := range strings.Split(users, ",") {
				u = strings.TrimSpace(u)
				if u == "" {
					continue
				}
				if strings.HasPrefix(u, "!") {
					add(a.deny, cmd, u[1:])
				} else {
					add(a.allow, cmd, u)
				}
			}
			continue
		}
		m := trapLineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if a.Traps[m[1]] == nil {
			a.Traps[m[1]] = map[string]string{}
		}
		a.Traps[m[1]][m[2]] = m[3]
	}
	return a, sc.Err()
}

func add(m map[string]map[string]bool, cmd, user string) {
	if m[cmd] == nil {
		m[cmd] = map[string]bool{}
	}
	m[cmd][user] = true
}

// Allowed is mon's check_auth: user is "" when not logged in.
func (a *Auth) Allowed(user, cmd string) bool {
	if a == nil {
		return false
	}
	if user != "" && (a.deny[cmd][user] || a.deny[cmd]["AUTH_ANY"]) {
		return false
	}
	if a.allow[cmd]["all"] {
		return true
	}
	return user != "" && (a.allow[cmd]["AUTH_ANY"] || a.allow[cmd][user])
}

// CheckPassword implements the authtypes mond supports: "userfile" (user:crypt-hash
// lines) and "trustlocal". getpwnam and shadow read the system password database,
// which a static binary cannot do portably; they fail with a logged reason.
func CheckPassword(authType, userFile, user, pass, host string) (bool, error) {
	if user == "" || (authType != "trustlocal" && pass == "") {
		return false, nil
	}
	switch authType {
	case "userfile":
		f, err := os.Open(userFile)
		if err != nil {
			return false, fmt.Errorf("could not open user file '%s': %w", userFile, err)
		}
		defer f.Close()
		users := map[string]string{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := sc.Text()
			if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			u, p, _ := strings.Cut(l, ":")
			users[strings.TrimSpace(u)] = strings.TrimSpace(p)
		}
		hash, ok := users[user]
		if !ok {
			return false, fmt.Errorf("User '%s' not in file '%s'", user, userFile)
		}
		got, err := moncrypt.Crypt(pass, hash)
		if err != nil {
			return false, err
		}
		if got != hash {
			return false, fmt.Errorf("User '%s' gave bad password", user)
		}
		return true, nil
	case "trustlocal":
		return host == "127.0.0.1", nil
	case "getpwnam", "shadow", "pam":
		return false, fmt.Errorf("authentication type '%s' is not implemented by mond (use userfile)", authType)
	}
	return false, fmt.Errorf("authentication type '%s' not known", authType)
}
