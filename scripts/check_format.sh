#!/usr/bin/env bash
# Checks that every C++ file git tracks (and every new one it does not ignore) is
# formatted as .clang-format says (Google style, 100 columns). Prints the files that are
# not and exits 1; fix them with:  clang-format -i --style=file <files>
set -euo pipefail
cd "$(dirname "$0")/.."
# third_party/ holds other projects' code as released.
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.h' '*.cpp' ':!third_party')
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf '%s\n' "${bad[@]}"
  echo "check_format: ${#bad[@]} of ${#files[@]} files are not clang-formatted; run:" >&2
  echo "  clang-format -i --style=file ${bad[*]}" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files clang-formatted"
