#!/usr/bin/env bash
# Builds the seed corpora of fuzz/ (fuzz/corpus/<target>/, not committed) from the project's
# captures and the public ones in ../shared, then adds the small hand-made seeds committed in
# fuzz/seeds/<target>/ (the loaders' text formats, and every crash the campaign found).
# Idempotent: seeds are named by their SHA-1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus
mkdir -p "$out"
caps=()
for d in testdata/captures ../shared/pcaps/public ../shared/pcaps/identity; do
    [ -d "$d" ] || { echo "fuzz-seeds: $d not present, skipped" >&2; continue; }
    while IFS= read -r -d '' f; do caps+=("$f"); done < <(
        find "$d" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | sort -z)
done
echo "fuzz-seeds: ${#caps[@]} capture files"
python3 scripts/fuzz_seeds.py "$out" "${caps[@]}"
# The loaders' seeds are the real configuration files.
mkdir -p "$out/catalog" "$out/policy"
cp -f fingerprints/*.vendor fingerprints/encrypted-dns.resolvers fingerprints/ech.public-names "$out/catalog/"
for f in examples/policy.txt; do
    [ -f "$f" ] && cp -f "$f" "$out/policy/"
done
if [ -d fuzz/seeds ]; then
    for d in fuzz/seeds/*/; do
        t=$(basename "$d")
        mkdir -p "$out/$t"
        cp -f "$d"* "$out/$t/" 2>/dev/null || true
    done
fi
for d in "$out"/*/; do
    printf '%-14s %6d seeds\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
