#!/usr/bin/env bash
# Independent re-derivation of the reference incident's answer (issue 3).
#
# Generates an incident with `cairn simulate`, then recomputes from the RAW evidence, using only
# zcat, jq and awk (none of Cairn's parsers):
#   1. the per-minute count of S3 "403 InvalidAccessKeyId" lines over every bucket, the background
#      maximum outside the incident, and the onset (the first minute well above that background);
#   2. every UpdateAccessKey event in CloudTrail (eventID, actor, status, key, target user, time),
#      and the one at the onset (the credential change) with its actor and address;
# and checks that they equal answer.json.
#
# usage: rederive.sh CAIRN_BINARY VARIANT SEED [DAYS]
set -euo pipefail
cairn=$1
variant=$2
seed=$3
days=${4:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ev="$work/evidence"
"$cairn" simulate --variant "$variant" --seed "$seed" --days "$days" --out "$ev" --quiet
answer="$ev/answer.json"
fail=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1"
    echo "  answer.json: $2"
    echo "  re-derived:  $3"
    fail=1
  else
    echo "ok: $1"
  fi
}

# --- 1. S3 403 InvalidAccessKeyId per minute ----------------------------------------------------
# Field 3 is "[06/Mar/2024:14:23:05"; the status and error code follow the quoted request line.
find "$ev/s3-access" -type f -print0 | xargs -0 cat | awk '
  BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", names, " ");
          for (i = 1; i <= 12; i++) month[names[i]] = sprintf("%02d", i) }
  {
    if (!match($0, /HTTP\/1\.[01]" [0-9][0-9][0-9] [^ ]+ /)) next
    split(substr($0, RSTART, RLENGTH), parts, " ")
    if (parts[2] != "403" || parts[3] != "InvalidAccessKeyId") next
    t = substr($3, 2)                       # 06/Mar/2024:14:23:05
    minute = substr(t, 8, 4) "-" month[substr(t, 4, 3)] "-" substr(t, 1, 2) "T" substr(t, 13, 5) ":00Z"
    count[minute]++
  }
  END { for (m in count) print m, count[m] }' | sort > "$work/per_minute.txt"

# The onset: the first minute whose count is well above the background (the laptop with the
# mistyped key makes at most one error a minute): at least 5 and at least 3 times the maximum seen
# in all earlier minutes (or 1 when no error came before).
read -r onset background_max < <(awk '
  { if ($2 >= 5 && $2 >= 3 * (max > 0 ? max : 1)) { print $1, max; found = 1; exit } if ($2 > max) max = $2 }
  END { if (!found) print "none", max }' "$work/per_minute.txt")
check "onset minute" "$(jq -r .onset_minute "$answer")" "$onset"
check "background maximum before the onset" "1" "$background_max"

# Per-minute counts in the answer's window [onset-10m, onset+10m].
jq -r '.invalid_access_key_per_minute | to_entries[] | "\(.key) \(.value)"' "$answer" | sort > "$work/expected_window.txt"
awk 'NR == FNR { seen[$1] = $2; next } { print $1, ($1 in seen ? seen[$1] : 0) }' \
  "$work/per_minute.txt" "$work/expected_window.txt" > "$work/derived_window.txt"
check "per-minute 403 InvalidAccessKeyId counts around the onset" \
  "$(tr '\n' ' ' < "$work/expected_window.txt")" "$(tr '\n' ' ' < "$work/derived_window.txt")"

# Outside the incident (before the onset, after the recovery minute) never more than one a minute.
recovery_minute=$(jq -r .recovery.minute "$answer")
outside_max=$(awk -v on="$onset" -v rec="$recovery_minute" '($1 < on || $1 > rec) && $2 > m { m = $2 } END { print m + 0 }' "$work/per_minute.txt")
check "background maximum outside the incident" "$(jq -r .invalid_access_key_background_max "$answer")" "$outside_max"
check "total 403 InvalidAccessKeyId" "$(jq -r .invalid_access_key_total "$answer")" \
  "$(awk '{ s += $2 } END { print s + 0 }' "$work/per_minute.txt")"

# --- 2. UpdateAccessKey events in CloudTrail --------------------------------------------------------
find "$ev/AWSLogs" -name '*.json.gz' -print0 | xargs -0 zcat | jq -c '
  .Records[] | select(.eventName == "UpdateAccessKey")
  | [.eventTime, .eventID, .userIdentity.userName, .sourceIPAddress, .requestParameters.status,
     .requestParameters.accessKeyId, .requestParameters.userName]' | sort > "$work/updates.txt"
jq -c '.update_access_key_events[] | [.time, .event_id, .actor, .source_ip, .status, .access_key_id, .target_user]' \
  "$answer" | sort > "$work/expected_updates.txt"
check "UpdateAccessKey events (time, eventID, actor, address, status, key, user)" \
  "$(cat "$work/expected_updates.txt")" "$(cat "$work/updates.txt")"

# The credential change: the Inactive UpdateAccessKey in [onset - 5m, onset + 1m].
onset_epoch=$(date -u -d "$onset" +%s 2>/dev/null || echo 0)
change=$(jq -r --argjson lo "$((onset_epoch - 300))" --argjson hi "$((onset_epoch + 60))" '
  select(.[4] == "Inactive" and ((.[0] | fromdateiso8601) >= $lo) and ((.[0] | fromdateiso8601) < $hi))
  | "\(.[1]) \(.[2]) \(.[3]) \(.[5])"' < <(jq -c . "$work/updates.txt") | head -1)
check "credential change (eventID actor address key)" \
  "$(jq -r '"\(.credential_change.event_id) \(.actor.user_name) \(.actor.source_ip) \(.affected_key.access_key_id)"' "$answer")" \
  "$change"

# The actor's other key changes during the incident are the keys it touched.
actor=$(jq -r .actor.user_name "$answer")
check "keys the actor disabled during the incident" \
  "$(jq -r '.keys_touched[] | select(.event_name == "UpdateAccessKey") | .event_id' "$answer" | sort | tr '\n' ' ')" \
  "$(jq -r --arg a "$actor" --argjson lo "$((onset_epoch - 300))" '
      select(.[2] == $a and .[4] == "Inactive" and ((.[0] | fromdateiso8601) >= $lo)) | .[1]' < <(jq -c . "$work/updates.txt") | sort | tr '\n' ' ')"

exit $fail
