#!/usr/bin/env bash
# Measures whether tls-parser alone would do what src/proto/tls.rs does by hand (issue 11):
# every TCP ClientHello of the public captures, as tshark reassembles it, through both parsers;
# names recovered against tshark's SNI and time per hello. Needs tshark and ../shared.
#   scripts/compare-tls-parser.sh [CAPTURE_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/pcaps/public}
list=$(mktemp); trap 'rm -f "$list"' EXIT
find "$dir" -name '*.pcap' -o -name '*.pcapng' | sort | while read -r f; do
    # The reassembled bytes when the hello spans segments, else the segment's payload.
    tshark -n -r "$f" -Y 'tls.handshake.type == 1 && tcp' -T fields -E separator=/t \
        -e frame.number -e tcp.reassembled.data -e tcp.payload \
        -e tls.handshake.extensions_server_name 2>/dev/null |
        awk -F'\t' -v f="$(basename "$f")" '{ d = ($2 != "") ? $2 : $3; gsub(":", "", d);
            print f "#" $1 "\t" d "\t" $4 }'
done >"$list"
cargo run -q --release --manifest-path scripts/compare-tls-parser/Cargo.toml <"$list"
