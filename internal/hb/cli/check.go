package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/hb/ipaddr"
)

// Host is what the check asks of the machine: hacf's questions, and whether a resource
// script exists.
type Host interface {
	hacf.Host
	// ResourceScript reports whether script is found in resource.d or init.d.
	ResourceScript(dir, script string) bool
}

// checkResult is everything one check found.
type checkResult struct {
	Config    *hacf.Config
	Keys      *authkeys.Keys
	Resources *haresources.File
	Errors    []error
	Warnings  []error
}

// checkDir reads and checks the three files in dir for node, reporting every problem.
func checkDir(dir, node string, host Host) checkResult {
	var r checkResult
	add := func(err error) {
		if err == nil {
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			r.Errors = append(r.Errors, j.Unwrap()...)
			return
		}
		r.Errors = append(r.Errors, err)
	}

	// heartbeat stops at the first stage that fails: ha.cf's lines, then authkeys, then
	// the checks of the whole, then haresources. heartbeatd reports every stage, but a
	// later stage's errors cannot claim heartbeat's wording once an earlier one failed.
	quiet := func(errs []error) {
		for _, e := range errs {
			var d *hacf.Diag
			var a *authkeys.Error
			if errors.As(e, &d) {
				d.Heartbeat = ""
			} else if errors.As(e, &a) {
				a.Heartbeat = ""
			}
		}
	}
	stage := func(f func()) {
		before := len(r.Errors)
		f()
		if before > 0 {
			quiet(r.Errors[before:])
		}
	}

	cfPath := filepath.Join(dir, "ha.cf")
	var cfg *hacf.Config
	stage(func() {
		f, err := os.Open(cfPath)
		if err != nil {
			add(fmt.Errorf("%w (heartbeat: Cannot open config file [%s])", err, cfPath))
			cfg = &hacf.Config{File: cfPath}
			return
		}
		defer f.Close()
		c, err := hacf.Parse(cfPath, f)
		add(err)
		cfg = c
	})
	r.Config = cfg

	akPath := filepath.Join(dir, "authkeys")
	stage(func() {
		f, err := os.Open(akPath)
		if err != nil {
			add(fmt.Errorf("%w: heartbeat needs it to sign its packets", err))
			return
		}
		defer f.Close()
		fi, err := f.Stat()
		if err == nil {
			err = authkeys.CheckMode(akPath, fi.Mode())
		}
		add(err)
		if err == nil {
			k, err := authkeys.Parse(akPath, f)
			add(err)
			r.Keys = k
			r.Warnings = append(r.Warnings, k.Warnings...)
		}
	})

	stage(func() { add(cfg.Check(node, host)) })
	for _, w := range cfg.Warnings {
		r.Warnings = append(r.Warnings, w)
	}

	hrPath := filepath.Join(dir, "haresources")
	r.Resources = &haresources.File{}
	// heartbeat reads haresources only once the rest is valid, so it reports the
	// problems below only then.
	hbSays := func(s string) string {
		if len(r.Errors) > 0 {
			return ""
		}
		return s
	}
	if f, err := os.Open(hrPath); errors.Is(err, os.ErrNotExist) {
		// heartbeat refuses to start without it even when the node owns nothing.
		add(&hacf.Diag{File: hrPath, Msg: "no such file: heartbeat needs it even when empty",
			Heartbeat: hbSays("Cannot open resources file [/etc/ha.d//haresources]")})
	} else if err != nil {
		add(err)
	} else {
		res, err := haresources.Parse(hrPath, f)
		f.Close()
		add(err)
		r.Resources = res
		for _, g := range res.Groups {
			if !r.Config.HasNode(g.Node) {
				add(&hacf.Diag{File: hrPath, Line: g.Line, Msg: fmt.Sprintf("node %q is not declared by a node line in ha.cf", g.Node),
					Heartbeat: hbSays(fmt.Sprintf("Bad nodename in /etc/ha.d//haresources [%s]", g.Node))})
			}
			for _, rs := range g.Resources {
				if !ipaddr.IsBuiltin(rs.Script) && host != nil && !host.ResourceScript(dir, rs.Script) {
					r.Warnings = append(r.Warnings, fmt.Errorf("%s:%d: resource script %s not found in %s or /etc/init.d", hrPath, g.Line, rs.Script, filepath.Join(dir, "resource.d")))
				}
			}
		}
	}
	return r
}

// NewHost answers from this machine.
func NewHost() Host { return realHost{} }

type realHost struct{}

func (realHost) InterfaceExists(name string) bool {
	_, err := net.InterfaceByName(name)
	return err == nil
}

func (realHost) UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}

func (realHost) Executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

func (realHost) Resolvable(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	addrs, err := net.LookupHost(host)
	return err == nil && len(addrs) > 0
}

func (realHost) Resolvable6(host string) bool {
	if !hasIPv6() {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is6() && !a.Is4In6()
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return false
	}
	for _, ip := range ips {
		if ip.To4() == nil {
			return true
		}
	}
	return false
}

// hasIPv6 is AI_ADDRCONFIG's test: an IPv6 address on an interface other than loopback.
func hasIPv6() bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && !n.IP.IsLoopback() {
			return true
		}
	}
	return false
}

func (realHost) UDPService(port int) string { return lookupService("", port) }

func (realHost) ServicePort(name string) int {
	p, _ := strconv.Atoi(lookupService(name, 0))
	return p
}

func (realHost) ResourceScript(dir, script string) bool {
	return realHost{}.Executable(filepath.Join(dir, "resource.d", script)) || realHost{}.Executable(filepath.Join("/etc/init.d", script))
}

// lookupService reads /etc/services: the UDP service name of port, or, given a name,
// its port.
func lookupService(name string, port int) string {
	f, err := os.Open("/etc/services")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fs := strings.Fields(line)
		if len(fs) < 2 {
			continue
		}
		ps, proto, ok := strings.Cut(fs[1], "/")
		if !ok || proto != "udp" {
			continue
		}
		if name != "" {
			for _, n := range append([]string{fs[0]}, fs[2:]...) {
				if n == name {
					return ps
				}
			}
		} else if ps == strconv.Itoa(port) {
			return fs[0]
		}
	}
	return ""
}
