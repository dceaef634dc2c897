#!/bin/sh
# Writes testdata/pivot/{dns,hello}.tsv: tshark's reading of the fields events carry for
# pivoting (DNS rcode, question type and answer TTLs; the ClientHello's versions and ALPN),
# one row per DNS response and per ClientHello, so tests compare our events with an
# independent dissector. The values are tshark's raw fields; the test derives what an event
# should say from them (IANA rcode names, highest non-GREASE version, smallest A/AAAA TTL).
# Run from anywhere: sh testdata/gen-pivot-truth.sh (needs tshark; made with 4.0.17).
set -eu
cd "$(dirname "$0")"
mkdir -p pivot

# Responses from port 53 (mDNS and LLMNR make no `dns_answer` events); not the copies
# quoted inside ICMP errors.
DNS_CAPTURES="captures/dns_udp_v4.pcap captures/dns_udp_v6.pcap captures/dns_tcp.pcap
  office/office_day.pcap ja4/latest.pcapng"
# ClientHellos over TCP and in QUIC Initials.
HELLO_CAPTURES="captures/tls_chromium_split.pcap captures/tls_curl_v4.pcap
  captures/tls_curl_v6.pcap captures/tls_openssl_8443.pcap captures/quic/aioquic_v1.pcap
  captures/quic/aioquic_v2.pcap captures/quic/chromium_quic.pcap ja4/latest.pcapng
  ja4/tls-alpn-h2.pcap ja4/tls-non-ascii-alpn.pcapng ja4/tls-sni.pcapng ja4/tls12.pcap
  ja4/quic-tls-handshake.pcapng office/office_day.pcap"

# fields FILE FILTER FIELD...: one row per matching frame, prefixed with the file, the
# frame, its time and ports; every occurrence of a field, joined by `|`.
fields() {
    f=$1
    filter=$2
    shift 2
    set -- -e frame.number -e frame.time_epoch -e udp.srcport -e tcp.srcport \
        -e udp.dstport -e tcp.dstport "$@"
    tshark -r "$f" -Y "$filter" -T fields -E separator=/t -E occurrence=a \
        -E aggregator='|' "$@" 2>/dev/null | sed "s|^|$f	|"
}

HEAD='file	frame	time_epoch	udp_sport	tcp_sport	udp_dport	tcp_dport'
{
    # Every record's type and TTL in section order: the first `count_answers` are the
    # answer section's.
    printf '%s\trcode\tqry_types\tcount_answers\tresp_types\tresp_ttls\n' "$HEAD"
    for f in $DNS_CAPTURES; do
        fields "$f" 'dns.flags.response == 1 && (udp.srcport == 53 || tcp.srcport == 53) && !icmp && !icmpv6' \
            -e dns.flags.rcode -e dns.qry.type -e dns.count.answers -e dns.resp.type \
            -e dns.resp.ttl
    done
} > pivot/dns.tsv
{
    printf '%s\tlegacy_version\tsupported_versions\talpn\n' "$HEAD"
    for f in $HELLO_CAPTURES; do
        fields "$f" 'tls.handshake.type == 1 && !icmp && !icmpv6' -e tls.handshake.version \
            -e tls.handshake.extensions.supported_version -e tls.handshake.extensions_alpn_str
    done
} > pivot/hello.tsv
wc -l pivot/dns.tsv pivot/hello.tsv
