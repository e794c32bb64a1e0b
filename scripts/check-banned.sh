#!/bin/sh
# Fails when C sources use calls that STYLE.md bans (unbounded or unsafe):
# sprintf, strcpy, strcat, gets, atoi, strtok. Use snprintf, bounded copies,
# strtol and strtok_r instead.
top=${1:-.}
hits=$(find "$top/core" "$top/kiosk" "$top/sync" "$top/collector" "$top/tools" \
            "$top/tests" "$top/bench" -name '*.[ch]' 2>/dev/null |
       xargs grep -nE '(^|[^_[:alnum:]])(sprintf|strcpy|strcat|gets|atoi|strtok)[[:space:]]*\(' 2>/dev/null)
if [ -n "$hits" ]; then
  echo "banned calls found:"
  echo "$hits"
  exit 1
fi
echo "no banned calls"
