// Package dnstest is a small authoritative DNS server for tests: A, AAAA and PTR
// records of a fixed zone over UDP and TCP, NXDOMAIN for every other name. Only
// tests import it.
package dnstest

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Zone is what the server answers. Names are fully qualified or not (a final dot
// is added), matched case-insensitively; records keep their order in answers.
type Zone struct {
	A    map[string][]netip.Addr // IPv4 addresses
	AAAA map[string][]netip.Addr
	PTR  map[netip.Addr][]string // reverse names, answered under in-addr.arpa / ip6.arpa
}

// Server serves a Zone.
type Server struct {
	Addr string // the UDP (and TCP) address, host:port

	mu      sync.Mutex
	queries []string
	a, aaaa map[string][]netip.Addr
	ptr     map[string][]string
}

// Queries returns the queries seen so far, "TYPE name" each.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

func fqdn(n string) string {
	n = strings.ToLower(n)
	if !strings.HasSuffix(n, ".") {
		n += "."
	}
	return n
}

// ReverseName is a's name under in-addr.arpa or ip6.arpa.
func ReverseName(a netip.Addr) string {
	a = a.Unmap()
	var b strings.Builder
	if a.Is4() {
		v := a.As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(itoa(int(v[i])) + ".")
		}
		return b.String() + "in-addr.arpa."
	}
	v := a.As16()
	const hex = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[v[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[v[i]>>4])
		b.WriteByte('.')
	}
	return b.String() + "ip6.arpa."
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

// Start serves z on addr ("127.0.0.1:0" for any port; "127.0.0.1:53" as the
// system's resolver) until the test ends.
func Start(t testing.TB, addr string, z Zone) *Server {
	t.Helper()
	s := &Server{a: map[string][]netip.Addr{}, aaaa: map[string][]netip.Addr{}, ptr: map[string][]string{}}
	for n, as := range z.A {
		s.a[fqdn(n)] = as
	}
	for n, as := range z.AAAA {
		s.aaaa[fqdn(n)] = as
	}
	for a, ns := range z.PTR {
		for _, n := range ns {
			s.ptr[ReverseName(a)] = append(s.ptr[ReverseName(a)], fqdn(n))
		}
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.Addr = pc.LocalAddr().String()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		pc.Close()
		t.Fatalf("dnstest: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		pc.Close()
		ln.Close()
		wg.Wait()
	})
	wg.Add(2)
	go func() {
		defer wg.Done()
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := s.answer(buf[:n]); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				for {
					var l [2]byte
					if _, err := io.ReadFull(c, l[:]); err != nil {
						return
					}
					q := make([]byte, binary.BigEndian.Uint16(l[:]))
					if _, err := io.ReadFull(c, q); err != nil {
						return
					}
					resp := s.answer(q)
					if resp == nil {
						return
					}
					c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(resp))), resp...))
				}
			}()
		}
	}()
	return s
}

func (s *Server) answer(q []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil || h.Response {
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		return nil
	}
	question := qs[0]
	name := strings.ToLower(question.Name.String())
	s.mu.Lock()
	s.queries = append(s.queries, question.Type.String()+" "+name)
	s.mu.Unlock()
	as, okA := s.a[name]
	as6, ok6 := s.aaaa[name]
	ptrs, okP := s.ptr[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !okA && !ok6 && !okP {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	b.StartQuestions()
	b.Question(question)
	b.StartAnswers()
	rrh := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: 60}
	if question.Class == dnsmessage.ClassINET {
		switch question.Type {
		case dnsmessage.TypeA:
			for _, a := range as {
				b.AResource(rrh, dnsmessage.AResource{A: a.As4()})
			}
		case dnsmessage.TypeAAAA:
			for _, a := range as6 {
				b.AAAAResource(rrh, dnsmessage.AAAAResource{AAAA: a.As16()})
			}
		case dnsmessage.TypePTR:
			for _, n := range ptrs {
				b.PTRResource(rrh, dnsmessage.PTRResource{PTR: dnsmessage.MustNewName(n)})
			}
		}
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}
