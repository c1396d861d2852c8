package monitors

import (
	"net"

	"golang.org/x/net/dns/dnsmessage"
)

// serveDNS answers A queries for www.example.test with 10.0.0.1 and NXDOMAIN otherwise.
func serveDNS(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var q dnsmessage.Message
		if q.Unpack(buf[:n]) != nil || len(q.Questions) != 1 {
			continue
		}
		resp := dnsmessage.Message{Header: dnsmessage.Header{ID: q.ID, Response: true}, Questions: q.Questions}
		if q.Questions[0].Name.String() == "www.example.test." {
			resp.Answers = []dnsmessage.Resource{{
				Header: dnsmessage.ResourceHeader{Name: q.Questions[0].Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
				Body:   &dnsmessage.AResource{A: [4]byte{10, 0, 0, 1}},
			}}
		} else {
			resp.RCode = dnsmessage.RCodeNameError
		}
		out, _ := resp.Pack()
		pc.WriteTo(out, addr)
	}
}
