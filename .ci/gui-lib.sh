# Shared by .ci/gui-smoke and .ci/gui-acceptance (sourced, not run): an Xvfb
# of a chosen size on a free display, the real till binary in demo mode with
# a fresh HOME, and waits on what the till is observed to show (its log line
# `shows screen="…" items=… total=…`, the journal), never fixed sleeps.

gui_need() {
  local need=()
  command -v Xvfb >/dev/null || need+=(xvfb)
  command -v xdotool >/dev/null || need+=(xdotool)
  command -v import >/dev/null || need+=(imagemagick)
  command -v python3 >/dev/null || need+=(python3)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    local sudo=sudo
    [ "$(id -u)" = 0 ] && sudo=""
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

app=""
xvfb=""
gui_stop() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; fi
  app=""
  if [ -n "$xvfb" ]; then kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; fi
  xvfb=""
}

# Poll (bounded, 30 s) until a command succeeds; fail if the till exits.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$app" ] && ! kill -0 "$app" 2>/dev/null; then
      echo "the till exited while we waited for $what" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "gave up waiting for $what" >&2
  return 1
}

# gui_start WIDTHxHEIGHT DIR: Xvfb on a free display and a fresh HOME.
gui_start() {
  local size=$1 dir=$2
  mkdir -p "$dir"
  home=$(mktemp -d)
  export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data"
  log="$dir/till.log"
  # -displayfd: Xvfb picks a free display and tells us which. -noreset: by
  # default Xvfb resets when its last client leaves, so the till could
  # connect in the middle of the reset that follows our readiness probe.
  local displayfile="$home/display"
  Xvfb -displayfd 3 -screen 0 "${size}x24" -nolisten tcp -noreset 3>"$displayfile" >"$dir/xvfb.log" 2>&1 &
  xvfb=$!
  for _ in $(seq 1 100); do [ -s "$displayfile" ] && break; sleep 0.1; done
  if [ ! -s "$displayfile" ]; then
    echo "Xvfb did not start: $(cat "$dir/xvfb.log")" >&2
    return 1
  fi
  export DISPLAY=":$(head -1 "$displayfile")"
  wait_for "the X server" xdotool getdisplaygeometry
}

# till_start BINARY: the till, its window mapped, focused and drawn.
till_start() {
  "$1" >"$log" 2>&1 &
  app=$!
  # Focus fails (BadMatch) until the window is mapped: wait for it to show.
  wait_for "the till window" xdotool search --onlyvisible --name "till"
  win=$(xdotool search --onlyvisible --name "till" | head -1)
  wait_for "the focus on the till window" xdotool windowfocus --sync "$win"
  wait_shows 'screen="sign_in"'
}

# What the till shows now: its last `shows` log line.
shown() { grep -a ' shows ' "$log" | tail -1; }
# Succeeds when the last `shows` line holds every pattern given.
shows_now() {
  local line
  line=$(shown) || return 1
  for p in "$@"; do
    case "$line" in *"$p"*) ;; *) return 1 ;; esac
  done
}
wait_shows() { wait_for "the till to show $*" shows_now "$@"; }

# The window's geometry: "X Y W H".
win_geometry() {
  xdotool getwindowgeometry --shell "$win" | python3 -c '
import sys
g = dict(l.strip().split("=", 1) for l in sys.stdin if "=" in l)
print(g["X"], g["Y"], g["WIDTH"], g["HEIGHT"])'
}

# A scan as a USB keyboard-wedge scanner sends it: 8 ms a key, Shift pressed
# on its own before each capital (xdotool type does that), then Enter.
# The scan starts once the screen has settled, as a cashier scans what they
# see: keys arriving while the till draws a new screen are read late, all
# at once, and their times then say little about their pace.
scan() {
  shot_settled "$home/settle.png" 2>/dev/null
  xdotool type --delay 8 "$1"
  xdotool key Return
}

# Sign in: pick the name (a tap at X Y), the PIN (the demo cashier's 0000
# unless given), Enter. Retried while the first frame may not have taken
# the tap.
sign_in_at() {
  local x=$1 y=$2 pin=${3:-0000}
  for _ in 1 2 3 4 5; do
    xdotool mousemove "$x" "$y" click 1
    xdotool type --delay 120 "$pin"
    xdotool key Return
    for _ in $(seq 1 25); do
      shows_now 'screen="sale"' && return 0
      sleep 0.2
    done
  done
  echo "could not sign in" >&2
  return 1
}

# Screenshot the screen once it has settled: the `shows` line is logged
# when the state changes, the frame follows; take pictures until two in a
# row are the same (bounded), so the picture is of the state waited for.
# With a second file (the picture before the change waited for), the new
# picture must also differ from it: a slow frame is waited for, not taken.
shot_settled() {
  local file=$1 before="" prev="" now
  [ -n "${2:-}" ] && [ -f "$2" ] && before=$(md5sum <"$2")
  mkdir -p "$(dirname "$file")"
  for _ in $(seq 1 100); do
    import -window root "$file.tmp.png"
    now=$(md5sum <"$file.tmp.png")
    if [ "$now" = "$prev" ] && [ "$now" != "$before" ]; then
      mv "$file.tmp.png" "$file"
      return 0
    fi
    prev=$now
  done
  mv "$file.tmp.png" "$file"
  echo "the screen kept changing: $file is its last picture" >&2
}
