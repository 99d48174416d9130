package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r.
//
// It is the peer address (r.RemoteAddr) unless that peer is one of the
// trusted proxies. Then the Forwarded (RFC 7239) for= list, or when absent
// X-Forwarded-For, is read from the right, skipping trusted proxies: the
// first address that is not one is the client. Entries added by the
// client itself sit further left and are never reached unless every proxy
// after them is trusted, so an untrusted peer cannot choose its key by
// sending these headers. An entry that is not an IP address stops the
// walk at the last address known. IPv4-mapped IPv6 addresses are unmapped.
// The zero Addr means RemoteAddr was not an address.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	addr := parseHost(r.RemoteAddr)
	if !addr.IsValid() || !contains(trusted, addr) {
		return addr
	}
	var list string
	if f := r.Header.Values("Forwarded"); len(f) > 0 {
		list = forwardedFor(strings.Join(f, ","))
	} else if x := r.Header.Values("X-Forwarded-For"); len(x) > 0 {
		list = strings.Join(x, ",")
	}
	for list != "" {
		var entry string
		if i := strings.LastIndexByte(list, ','); i >= 0 {
			list, entry = list[:i], list[i+1:]
		} else {
			list, entry = "", list
		}
		next := parseHost(strings.TrimSpace(entry))
		if !next.IsValid() {
			break
		}
		addr = next
		if !contains(trusted, addr) {
			break
		}
	}
	return addr
}

// forwardedFor returns the for= values of a Forwarded field as a comma
// list, in order (an element without for= contributes "unknown").
func forwardedFor(field string) string {
	var b strings.Builder
	for elem := range strings.SplitSeq(field, ",") {
		value := "unknown"
		for pair := range strings.SplitSeq(elem, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if ok && strings.EqualFold(k, "for") {
				value = strings.Trim(v, `"`)
			}
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(value)
	}
	return b.String()
}

// parseHost reads an address with or without a port; IPv6 may come in
// brackets ("[::1]:80", "[::1]").
func parseHost(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads CIDRs ("10.0.0.0/8", "fd00::/8") and single
// addresses ("127.0.0.1"), for [MiddlewareConfig.TrustedProxies].
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("ratelimit: %q is neither a CIDR nor an IP address", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
