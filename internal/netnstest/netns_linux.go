//go:build linux

package netnstest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// runDir is where ip(8) keeps named namespaces.
const runDir = "/run/netns"

// NS is a named network namespace made by New for one test.
type NS struct {
	Name string
	h    netns.NsHandle
	mu   sync.Mutex // serializes nl
	nl   *netlink.Handle
}

var seq atomic.Int64

// New makes a network namespace named Prefix+pid-counter with lo up; it is deleted,
// after a SIGKILL to every process still in it, when the test ends. New skips the test
// as Require does.
func New(t testing.TB) *NS {
	t.Helper()
	Require(t)
	n := &NS{Name: Prefix + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(seq.Add(1), 10)}
	h, err := create(filepath.Join(runDir, n.Name))
	if err != nil {
		t.Fatalf("netnstest: create namespace %s: %v", n.Name, err)
	}
	n.h = h
	t.Cleanup(func() {
		if err := n.destroy(); err != nil {
			t.Errorf("netnstest: delete namespace %s: %v", n.Name, err)
		}
	})
	if n.nl, err = netlink.NewHandleAt(h); err != nil {
		t.Fatalf("netnstest: netlink in %s: %v", n.Name, err)
	}
	Link{NS: n, Name: "lo"}.SetUp(t)
	return n
}

func probe() string {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errc <- unix.Unshare(unix.CLONE_NEWNET)
	}()
	if err := <-errc; err != nil {
		return "cannot create a network namespace here: " + err.Error()
	}
	return ""
}

var (
	shareOnce sync.Once
	shareErr  error
)

// shareRunDir makes runDir a shared mount point, as "ip netns add" does, so that a
// namespace unmounted here is unmounted in the mount namespaces that copied it.
func shareRunDir() error {
	shareOnce.Do(func() {
		if shareErr = os.MkdirAll(runDir, 0o755); shareErr != nil {
			return
		}
		shareErr = unix.Mount("", runDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if shareErr == unix.EINVAL { // not a mount point yet
			if shareErr = unix.Mount(runDir, runDir, "none", unix.MS_BIND|unix.MS_REC, ""); shareErr == nil {
				shareErr = unix.Mount("", runDir, "none", unix.MS_SHARED|unix.MS_REC, "")
			}
		}
	})
	return shareErr
}

// create makes a namespace and binds it to path, on a thread that is thrown away
// afterwards: the thread that unshares stays in the new namespace.
func create(path string) (netns.NsHandle, error) {
	type made struct {
		h   netns.NsHandle
		err error
	}
	c := make(chan made, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := shareRunDir(); err != nil {
			c <- made{netns.None(), fmt.Errorf("%s: %w", runDir, err)}
			return
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL, 0o444)
		if err != nil {
			c <- made{netns.None(), err}
			return
		}
		f.Close()
		h, err := netns.New()
		if err == nil {
			err = unix.Mount("/proc/thread-self/ns/net", path, "none", unix.MS_BIND, "")
			if err != nil {
				h.Close()
			}
		}
		if err != nil {
			os.Remove(path)
		}
		c <- made{h, err}
	}()
	m := <-c
	return m.h, m.err
}

// destroy kills what is left in n, then deletes it as "ip netns del" does.
func (n *NS) destroy() error {
	KillAll(n.Pids)
	if n.nl != nil {
		n.nl.Close()
	}
	defer n.h.Close()
	path := filepath.Join(runDir, n.Name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil {
		return err
	}
	return os.Remove(path)
}

// KillAll SIGKILLs the processes pids lists until it lists none (one may fork as it
// dies), for at most 5 s.
func KillAll(pids func() []int) {
	for range 100 {
		l := pids()
		if len(l) == 0 {
			return
		}
		for _, pid := range l {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Pids lists the processes whose network namespace is n, this process aside.
func (n *NS) Pids() []int {
	var ns unix.Stat_t
	if err := unix.Fstat(int(n.h), &ns); err != nil {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/net", &st) == nil && st.Dev == ns.Dev && st.Ino == ns.Ino {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Do runs fn on an OS thread of its own switched into n and returns fn's error.
// Sockets fn opens stay in n and serve from any goroutine afterwards; goroutines fn
// starts run in the test's namespace. As fn runs on a goroutine of its own it reports
// a failure with its error or t.Error, never t.Fatal. The thread goes back to the
// test's namespace, or, if it cannot, ends with the goroutine.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("netnstest: this thread's namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(n.h); err != nil {
			errc <- fmt.Errorf("netnstest: enter %s: %w", n.Name, err)
			return
		}
		err = errors.New("netnstest: the function given to Do did not return")
		defer func() {
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
			errc <- err
		}()
		err = fn()
	}()
	return <-errc
}

// Link is a network interface of a namespace.
type Link struct {
	NS   *NS // nil: the test's own namespace
	Name string
}

func (l Link) String() string {
	if l.NS == nil {
		return l.Name
	}
	return l.Name + " in " + l.NS.Name
}

// do runs f with a netlink handle of l's namespace.
func (l Link) do(f func(h *netlink.Handle) error) error {
	if l.NS == nil {
		return f(&netlink.Handle{}) // a socket per request, in this thread's namespace
	}
	l.NS.mu.Lock()
	defer l.NS.mu.Unlock()
	return f(l.NS.nl)
}

// modify looks l up and applies f to it; a failure fails the test.
func (l Link) modify(t testing.TB, what string, f func(h *netlink.Handle, k netlink.Link) error) {
	t.Helper()
	err := l.do(func(h *netlink.Handle) error {
		k, err := h.LinkByName(l.Name)
		if err != nil {
			return err
		}
		return f(h, k)
	})
	if err != nil {
		t.Fatalf("netnstest: %s %s: %v", what, l, err)
	}
}

// SetUp sets l up ("ip link set l up").
func (l Link) SetUp(t testing.TB) {
	t.Helper()
	l.modify(t, "up", (*netlink.Handle).LinkSetUp)
}

// SetDown sets l down.
func (l Link) SetDown(t testing.TB) {
	t.Helper()
	l.modify(t, "down", (*netlink.Handle).LinkSetDown)
}

// AddAddr adds an address given as "10.0.0.1/24"; below /31 its broadcast address is
// the prefix's last ("ip addr add ... brd +"). An IPv6 address is added nodad: a test's
// own namespace has no duplicate to detect, and DAD would keep it tentative (unusable
// as a source) for a second or more.
func (l Link) AddAddr(t testing.TB, cidr string) {
	t.Helper()
	a, err := netlink.ParseAddr(cidr)
	if err != nil {
		t.Fatalf("netnstest: address %q: %v", cidr, err)
	}
	if a.IP.To4() == nil {
		a.Flags |= unix.IFA_F_NODAD
	}
	l.modify(t, "add "+cidr+" to", func(h *netlink.Handle, k netlink.Link) error { return h.AddrAdd(k, a) })
}

// SetMaster makes l a port of bridge br, in the same namespace.
func (l Link) SetMaster(t testing.TB, br Link) {
	t.Helper()
	l.modify(t, "master "+br.Name+" for", func(h *netlink.Handle, k netlink.Link) error {
		b, err := h.LinkByName(br.Name)
		if err != nil {
			return err
		}
		return h.LinkSetMaster(k, b)
	})
}

// del deletes l, if it is still there and of type typ.
func (l Link) del(typ string) {
	_ = l.do(func(h *netlink.Handle) error {
		k, err := h.LinkByName(l.Name)
		if err != nil || k.Type() != typ {
			return err
		}
		return h.LinkDel(k)
	})
}

// waitUp waits until l's operational state is up: a veth has carrier only some time
// after both its ends are set up, and what is sent before is lost.
func (l Link) waitUp(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var state netlink.LinkOperState
		err := l.do(func(h *netlink.Handle) error {
			k, err := h.LinkByName(l.Name)
			if err == nil {
				state = k.Attrs().OperState
			}
			return err
		})
		if err == nil && state == netlink.OperUp {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("netnstest: %s never came up (state %v, %v)", l, state, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Veth makes a veth pair, end aName in namespace a and end bName in b (nil: the test's
// own namespace; a and b may be the same), sets both ends up and waits until they have
// carrier. An end in the test's own namespace is deleted when the test ends; the others
// go with their namespace.
func Veth(t testing.TB, a *NS, aName string, b *NS, bName string) (Link, Link) {
	t.Helper()
	la, lb := Link{NS: a, Name: aName}, Link{NS: b, Name: bName}
	// Made from the test's own namespace when an end is there, since a peer is placed
	// by a handle of its namespace, and the test's own has none.
	maker, peer := la, lb
	if b == nil {
		maker, peer = lb, la
	}
	attrs := netlink.NewLinkAttrs()
	attrs.Name = maker.Name
	v := &netlink.Veth{LinkAttrs: attrs, PeerName: peer.Name}
	if peer.NS != maker.NS {
		v.PeerNamespace = netlink.NsFd(int(peer.NS.h))
	}
	if err := maker.do(func(h *netlink.Handle) error { return h.LinkAdd(v) }); err != nil {
		t.Fatalf("netnstest: veth %s <-> %s: %v", la, lb, err)
	}
	if maker.NS == nil {
		t.Cleanup(func() { maker.del("veth") })
	}
	for _, l := range []Link{la, lb} {
		l.SetUp(t)
	}
	for _, l := range []Link{la, lb} {
		l.waitUp(t, 10*time.Second)
	}
	return la, lb
}

// Bridge makes bridge name in namespace n (nil: the test's own, where it is deleted
// when the test ends) and sets it up.
func Bridge(t testing.TB, n *NS, name string) Link {
	t.Helper()
	br := &netlink.Bridge{LinkAttrs: netlink.NewLinkAttrs()}
	br.Name = name
	l := Link{NS: n, Name: name}
	if err := l.do(func(h *netlink.Handle) error { return h.LinkAdd(br) }); err != nil {
		t.Fatalf("netnstest: bridge %s: %v", l, err)
	}
	if n == nil {
		t.Cleanup(func() { l.del("bridge") })
	}
	l.SetUp(t)
	return l
}
