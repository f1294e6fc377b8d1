#!/bin/sh
# Regenerates fixtures/marc/expected/: yaz-marcdump's UTF-8 ISO 2709 for every ISO 2709
# fixture that declares MARC-8 (ISO 2709 rather than MARCXML because it is a third of the
# size). The MARC-8 tests compare the converter with these files, so the tests do not need
# yaz installed.
#
# Usage, from anywhere in the repository (needs Debian's `yaz` package):
#   sh crates/concord-marc/tools/regen_expected.sh
#
# Files that declare MARC-8 but whose bytes are UTF-8 (SOURCES.md: "content is valid UTF-8")
# are dumped as UTF-8, because that is how the reader decodes them.
set -eu
root=$(git rev-parse --show-toplevel)
fixtures="$root/fixtures/marc"
command -v yaz-marcdump >/dev/null || { echo "yaz-marcdump not found (apt-get install yaz)" >&2; exit 1; }
rm -rf "$fixtures/expected"
# SOURCES.md rows: | Dir | File | Format | Records | Bytes | Encoding | ...
awk -F' [|] ' '$3 == "ISO 2709" && ($6 ~ /^MARC-8/ || $6 ~ /^leader09/) { sub(/^[|] /, "", $1); print $1 "|" $2 "|" $6 }' "$fixtures/SOURCES.md" |
while IFS='|' read -r dir file encoding; do
    from=MARC-8
    case $encoding in *"content is valid UTF-8"*) from=UTF-8 ;; esac
    mkdir -p "$fixtures/expected/$dir"
    yaz-marcdump -f "$from" -t UTF-8 -l 9=97 -o marc "$fixtures/$dir/$file" > "$fixtures/expected/$dir/$file" 2>/dev/null || true
done
