# Hint shares of a trace: jq -s -f samples/hint-shares.jq samples/week.jsonl
# Duplicate deliveries (same id) count once; RoomScheduled lines of booking-<n> rooms are no-shows.
def share(a; b): if b == 0 then null else (a * 1000 / b | round / 10) end;
(map(select(.type == "RoomCreated")) | unique_by(.id)) as $creates
| (map(select(.type == "RoomScheduled")) | unique_by(.id)) as $scheduled
| ($scheduled | map(select(.roomId | startswith("booking-")))) as $bookings
| ($scheduled | map(select(.t > 0)) | map(.startAt - .t)) as $leads
| (map(select(.type != "RoomScheduled")) | unique_by(.id) | group_by(.roomId)
   | map({c: (map(select(.type == "RoomCreated")) | first), r: (map(select(.type == "RoomReleased")) | first)})
   | map(select(.c != null and .r != null and .c.kind == "meeting" and .r.t > .c.t))
   | map((.r.t - .c.t) * 1000 / .c.expectedDurationMs)) as $ratios
| {
    roomCreated: ($creates | length),
    roomCreatedByKindPct: ($creates | group_by(.kind) | map({(.[0].kind // "none"): share(length; $creates | length)}) | add),
    roomCreatedWithDurationPct: share($creates | map(select(.expectedDurationMs != null)) | length; $creates | length),
    roomScheduled: ($scheduled | length),
    roomScheduledByKind: ($scheduled | group_by(.kind) | map({(.[0].kind): length}) | add),
    meetingsAnnouncedPct: share($scheduled | map(select(.kind == "meeting" and (.roomId | startswith("booking-") | not))) | length;
                                $creates | map(select(.kind == "meeting")) | map(.roomId) | unique | length),
    announcedAtTraceStart: ($scheduled | map(select(.t == 0)) | length),
    leadAfterStartPct: {
      upTo30min: share($leads | map(select(. <= 1800)) | length; $leads | length),
      "30minTo1d": share($leads | map(select(. > 1800 and . <= 86400)) | length; $leads | length),
      over1d: share($leads | map(select(. > 86400)) | length; $leads | length)
    },
    noShowsPctOfMeetingBookings: share($bookings | length; $scheduled | map(select(.kind == "meeting")) | length),
    noShowsCancelledPct: share(map(select(.type == "RoomReleased" and (.roomId | startswith("booking-")))) | unique_by(.id) | length; $bookings | length),
    meetingLifetimeOverHint: {
      meetings: ($ratios | length),
      within20PctOfHintPct: share($ratios | map(select(. >= 0.8 and . <= 1.2)) | length; $ratios | length),
      overrunPct: share($ratios | map(select(. > 1)) | length; $ratios | length),
      medianRatio: ($ratios | sort | .[length / 2 | floor] * 100 | round / 100)
    }
  }
