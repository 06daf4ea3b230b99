#!/usr/bin/env bash
# wcs-autoscaler media node bootstrap: ipvlan network + WCS containers on disjoint cpusets.
# Rendered per pool by `wcs-autoscaler render-bootstrap`; idempotent, so a second run changes
# nothing. Installed as /opt/wcs/bin/wcs-node; its timers call `wcs-node guard` and
# `wcs-node metrics`. Needs: bash coreutils curl docker ip nsenter lscpu awk sed grep systemctl
# aws (plus dnf when Docker is absent and systemd-cat for the journal, when present).
# Any failing step puts NodeUnhealthy with the step and the failed command's last error line.
set -Eeuo pipefail

# --- rendered per pool; do not edit here ---
FLEET='@@FLEET@@'
POOL='@@POOL@@'
REGION='@@REGION@@'
EVENT_BUS='@@EVENT_BUS@@'
NODE_SOURCE='@@NODE_SOURCE@@'
METRICS_NAMESPACE='@@METRICS_NAMESPACE@@'
CONTAINERS='@@CONTAINERS@@'
IMAGE='@@IMAGE@@'
HTTP_PORT='@@HTTP_PORT@@'
REST_PORT='@@REST_PORT@@'
WSS_PORT='@@WSS_PORT@@'
MEDIA_FROM='@@MEDIA_FROM@@'
MEDIA_TO='@@MEDIA_TO@@'
RESERVE_HOST_CORE='@@RESERVE_HOST_CORE@@'
HEAP_MIB='@@HEAP_MIB@@'
MEMORY_LIMIT_MIB='@@MEMORY_LIMIT_MIB@@'
LICENSE_PARAMETER='@@LICENSE_PARAMETER@@'
PASSWORD_PARAMETER='@@PASSWORD_PARAMETER@@'
METRICS_INTERVAL='@@METRICS_INTERVAL@@'
HEALTH_TIMEOUT='@@HEALTH_TIMEOUT@@'
EIP_WAIT='@@EIP_WAIT@@'
PUBLIC_ADDRESSING='@@PUBLIC_ADDRESSING@@'
# --- end of rendered settings ---

# Root-only locations; tests point WCS_ROOT at a temporary directory and shorten the waits.
ROOT="${WCS_ROOT:-}"
IMDS="${WCS_IMDS_ENDPOINT:-http://169.254.169.254}"
POLL="${WCS_POLL_SECONDS:-5}"
HEALTH_TIMEOUT="${WCS_HEALTH_TIMEOUT:-$HEALTH_TIMEOUT}"
EIP_WAIT="${WCS_EIP_WAIT:-$EIP_WAIT}"
HOME_DIR="$ROOT/opt/wcs"
STATE="$ROOT/var/lib/wcs-node"
# Markers that a holder's netns has the IMDS route (tmpfs: gone after a reboot, and the docker.service
# drop-in clears them when dockerd starts, as its holders get fresh namespaces).
RUN="$ROOT/run/wcs-node"
# Written after NodeReady: kept by a resume from hibernation and a dockerd restart, not a stop/start.
READY="$ROOT/run/wcs-node.ready"
UNITS="$ROOT/etc/systemd/system"
ERRF="$STATE/last-error"
NETWORK=wcs-ipvlan
WCS_CONF=/usr/local/FlashphonerWebCallServer/conf
IMDS_ADDRS="169.254.169.254/32 169.254.170.2/32"
INSTANCE_ID=unknown
STEP=metadata
CUR=

log() { printf '%s wcs-node[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${MODE:-bootstrap}" "$*" >&2; }

# JSON string literal of $1 (no control characters expected)
json_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "${s//$'\n'/ }"
}

# $1 detail type, $2 detail JSON
put_event() {
  local entry
  entry="[{\"Source\":$(json_str "$NODE_SOURCE"),\"DetailType\":$(json_str "$1"),\"EventBusName\":$(json_str "$EVENT_BUS"),\"Detail\":$(json_str "$2")}]"
  aws events put-events --region "$REGION" --entries "$entry" >/dev/null
}

# $1 reason, $2 container index (optional): NodeUnhealthy, then exit non-zero
fail() {
  log "ERROR: $1"
  # Without the instance id the event cannot name its node (the schema rejects it); the
  # sweep's ready timeout replaces a node that never reports.
  [[ $INSTANCE_ID =~ ^i-[0-9a-f]{8,17}$ ]] || exit 1
  put_event NodeUnhealthy "{\"instanceId\":$(json_str "$INSTANCE_ID")${2:+,\"container\":$2},\"reason\":$(json_str "${1:0:1000}")}" || log "could not put NodeUnhealthy"
  exit 1
}

# run a command, keeping its error output for the ERR trap's NodeUnhealthy
x() {
  local rc=0
  "$@" 2>"$ERRF" || rc=$?
  cat "$ERRF" >&2
  ((rc == 0)) && : >"$ERRF"
  return "$rc"
}

# $1 status, $2 command: NodeUnhealthy with the step and the last error line (main shell only)
on_err() {
  [[ $BASHPID == "$$" ]] || return 0
  local line
  # docker's own reason ("Error response from daemon: ...") beats its summary line
  line=$(grep -m 1 'Error response from daemon' "$ERRF" 2>/dev/null || grep . "$ERRF" 2>/dev/null | tail -n 1) || line="'$2' exited $1"
  fail "$STEP: $line" "$CUR"
}

# $1 path, $2 content, $3 mode; prints "changed" when it wrote
write_if_changed() {
  if [[ -f $1 && "$(cat "$1")" == "$2" ]]; then return 0; fi
  mkdir -p "$(dirname "$1")"
  (umask 077 && printf '%s\n' "$2" >"$1.tmp")
  chmod "$3" "$1.tmp"
  mv -f "$1.tmp" "$1"
  echo changed
}

# --- IMDSv2 --------------------------------------------------------------------------------
TOKEN=
# $1 path under /latest/ (token first: imds_token)
imds() {
  curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/$1"
}

# $1 key of the identity document (one per line)
jget() { sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" <<<"$doc"; }
ip2int() { local IFS=.; read -r a b c d <<<"$1"; echo $(((a << 24) + (b << 16) + (c << 8) + d)); }
int2ip() { echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"; }

imds_token() {
  TOKEN=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS/latest/api/token") ||
    fail "IMDSv2 token request to $IMDS failed"
}

read_metadata() {
  imds_token
  INSTANCE_ID=$(imds meta-data/instance-id) || fail "cannot read the instance id from IMDS"
  # node-events accepts a node's reports only from the source bound to its instance ARN (the
  # bus policy lets the node role put nothing else): <source>/arn:<partition>:ec2:<region>:<account>:instance/<id>
  local doc part
  doc=$(imds dynamic/instance-identity/document) || fail "cannot read the instance identity document"
  part=$(imds meta-data/services/partition) || fail "cannot read the partition from IMDS"
  NODE_SOURCE+="/arn:$part:ec2:$(jget region):$(jget accountId):instance/$INSTANCE_ID"
  MAC=$(imds meta-data/mac) || fail "cannot read the primary MAC from IMDS"
  local base="meta-data/network/interfaces/macs/$MAC"
  local raw
  raw=$(imds "$base/local-ipv4s") || fail "cannot read the private IPs of $MAC"
  PRIMARY_IP=$(imds meta-data/local-ipv4) || fail "cannot read the primary private IP"
  # IMDS does not promise an order: the secondary IPs, sorted numerically, give container 0, 1, ...
  mapfile -t PRIVATE_IPS < <(printf '%s\n' "$raw" | tr -d '\r' | grep -vx "$PRIMARY_IP" | grep . | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n)
  CIDR=$(imds "$base/subnet-ipv4-cidr-block") || fail "cannot read the subnet CIDR of $MAC"
  if ((${#PRIVATE_IPS[@]} < CONTAINERS)); then
    fail "$CONTAINERS containers need $CONTAINERS secondary private IPs on the primary ENI; IMDS lists ${#PRIVATE_IPS[@]}"
  fi
  PRIVATE_IPS=("${PRIVATE_IPS[@]:0:CONTAINERS}")
  GATEWAY=$(int2ip $(($(ip2int "${CIDR%/*}") + 1)))
  IFACE=$(ip -o link show | awk -v mac="$MAC" 'tolower($0) ~ "link/ether " mac { sub(":", "", $2); sub("@.*", "", $2); print $2; exit }')
  [[ -n $IFACE ]] || fail "no network interface has the primary MAC $MAC"
  # 'elastic-ip': the autoscaler associates one Elastic IP per secondary IP once the node runs;
  # wait for it. 'none': containers are private-only (WCS ip = private IP, no publicIp in NodeReady).
  local deadline=$((SECONDS + EIP_WAIT)) pub priv i missing
  declare -A public_of
  PUBLIC_IPS=()
  while [[ $PUBLIC_ADDRESSING == elastic-ip ]]; do
    public_of=()
    for pub in $(imds "$base/ipv4-associations/" 2>/dev/null | tr -d '\r/'); do
      priv=$(imds "$base/ipv4-associations/$pub") && public_of[$priv]=$pub
    done
    PUBLIC_IPS=() missing=''
    for i in "${!PRIVATE_IPS[@]}"; do
      PUBLIC_IPS[i]=${public_of[${PRIVATE_IPS[i]}]:-}
      [[ -n ${PUBLIC_IPS[i]} ]] || missing+=" ${PRIVATE_IPS[i]}"
    done
    [[ -z $missing ]] && break
    ((SECONDS < deadline)) || fail "no Elastic IP associated with secondary private IP(s)$missing after ${EIP_WAIT}s"
    sleep "$POLL"
  done
  log "instance $INSTANCE_ID iface $IFACE subnet $CIDR gateway $GATEWAY private ${PRIVATE_IPS[*]} public ${PUBLIC_IPS[*]:-none}"
}

# --- cpusets: hyperthread siblings stay together, optionally one core for the host ----------
compute_cpusets() {
  local out
  out=$(lscpu -p=CPU,CORE,SOCKET | awk -F, -v n="$CONTAINERS" -v reserve="$RESERVE_HOST_CORE" '
    /^#/ || NF < 3 { next }
    { key = $3 ":" $2; if (!(key in cpus)) { order[++cores] = key; cpus[key] = $1 } else cpus[key] = cpus[key] "," $1 }
    END {
      first = reserve ? 2 : 1; avail = cores - first + 1; per = int(avail / n)
      if (per < 1) { printf "%d physical cores (%d after the host core) cannot hold %d containers, one core each at least\n", cores, avail, n; exit 3 }
      for (c = 0; c < n; c++) { s = ""; for (k = 0; k < per; k++) s = s (s == "" ? "" : ",") cpus[order[first + c * per + k]]; print s }
    }') || fail "cpusets: ${out:-lscpu failed}"
  mapfile -t CPUSETS <<<"$out"
  log "cpusets: ${CPUSETS[*]}"
}

# --- keep the OS off the container IPs (cloud-init, amazon-ec2-net-utils) -------------------
# amazon-ec2-net-utils writes the secondary IPs into /run/systemd/network/70-<iface>.network.d/
# ec2net_alias.conf; its README says to override it from /etc/systemd/network, where a drop-in of
# the same name wins (systemd.network(5)). The primary IP, its routes and policy rules
# (eni.conf) stay with the package, so the host keeps egress.
keep_os_off() {
  # YAML flow style: the rendered script has no indentation to keep
  write_if_changed "$ROOT/etc/cloud/cloud.cfg.d/99-wcs-ipvlan.cfg" "datasource: { Ec2: { apply_full_imds_network_config: false } }" 644 >/dev/null
  if [[ -n $(write_if_changed "$ROOT/etc/systemd/network/70-$IFACE.network.d/ec2net_alias.conf" "# wcs-node: secondary IPs belong to the WCS containers" 644) ]]; then
    networkctl reload >/dev/null 2>&1 || true
  fi
  local addr
  for addr in $(ip -o -4 addr show dev "$IFACE" | awk '{ print $4 }'); do
    if [[ " ${PRIVATE_IPS[*]} " == *" ${addr%/*} "* ]]; then
      log "removing container IP $addr from $IFACE"
      ip addr del "$addr" dev "$IFACE"
    fi
  done
}

# --- Docker and the ipvlan network ------------------------------------------------------------
ensure_docker() {
  if ! command -v docker >/dev/null 2>&1; then
    log "installing Docker"
    dnf install -y docker >/dev/null
  fi
  # The userland proxy is only for -p publishing, which ipvlan containers never use.
  if [[ -n $(write_if_changed "$ROOT/etc/docker/daemon.json" '{ "userland-proxy": false }' 644) ]]; then
    systemctl enable docker >/dev/null 2>&1
    systemctl restart docker
  else
    systemctl enable --now docker >/dev/null 2>&1
  fi
  STEP="image pull"
  docker image inspect "$IMAGE" >/dev/null 2>&1 || x docker pull -q "$IMAGE" >/dev/null
  STEP="network create"
  if ! docker network inspect "$NETWORK" >/dev/null 2>&1; then
    x docker network create -d ipvlan -o parent="$IFACE" -o ipvlan_mode=l2 --subnet "$CIDR" --gateway "$GATEWAY" "$NETWORK" >/dev/null
  fi
}

# GC flags the image's java accepts, probed once: ZGC (unlocked, as JDK 11-14 need), else G1.
probe_gc() {
  local f="$STATE/gc-flags" out
  if [[ ! -s $f ]]; then
    if out=$(docker run --rm --network none --entrypoint java "$IMAGE" -XX:+UnlockExperimentalVMOptions -XX:+UseZGC -Xmx64m -version 2>&1); then
      echo '-XX:+UnlockExperimentalVMOptions -XX:+UseZGC' >"$f"
    else
      log "the image's java refuses ZGC, using G1: $(tail -n 1 <<<"$out")"
      echo '-XX:+UseG1GC' >"$f"
    fi
  fi
  read -ra GC_FLAGS <"$f"
}

# $1 SecureString name
secret() {
  aws ssm get-parameter --region "$REGION" --name "$1" --with-decryption --query Parameter.Value --output text
}

# $1 file, then key=value...: one "key=value" line per key where the key first stood
set_props() {
  # (whatever spacing around "="; later duplicates dropped), absent keys appended
  local f=$1
  shift
  write_if_changed "$f" "$(awk -v kv="$(printf '%s\n' "$@")" '
    BEGIN { n = split(kv, a, "\n"); for (i = 1; i <= n; i++) if (a[i] != "") { p = index(a[i], "="); k = substr(a[i], 1, p - 1); val[k] = substr(a[i], p + 1); order[++m] = k } }
    /^[ \t]*[^#! \t][^=]*=/ { k = substr($0, 1, index($0, "=") - 1); gsub(/^[ \t]+|[ \t]+$/, "", k)
      if (k in val) { if (!(k in done)) print k "=" val[k]; done[k] = 1; next } }
    { print }
    END { for (i = 1; i <= m; i++) if (!(order[i] in done)) print order[i] "=" val[order[i]] }' "$f")" 644 >/dev/null
}

# WCS settings of container $1: ip = public (or, private-only, the private) IP, ip_local, ports, JVM.
configure_container() {
  local i=$1 conf="$HOME_DIR/containers/$1/conf"
  if [[ ! -f $conf/flashphoner.properties ]]; then
    STEP="config copy"
    docker rm -f wcs-conf-seed >/dev/null 2>&1 || true
    x docker create --name wcs-conf-seed "$IMAGE" >/dev/null
    mkdir -p "$conf.tmp"
    x docker cp "wcs-conf-seed:$WCS_CONF/." "$conf.tmp"
    docker rm wcs-conf-seed >/dev/null
    mv "$conf.tmp" "$conf"
  fi
  local core="$conf/wcs-core.properties"
  set_props "$conf/flashphoner.properties" "ip=${PUBLIC_IPS[i]:-${PRIVATE_IPS[i]}}" "ip_local=${PRIVATE_IPS[i]}" \
    "media_port_from=$MEDIA_FROM" "media_port_to=$MEDIA_TO" "wss.port=$WSS_PORT" "http.port=$HTTP_PORT" "https.port=$REST_PORT" disable_rest_auth=false
  # JVM options, one or more per line: drop every collector choice and heap size, then ours.
  touch "$core"
  write_if_changed "$core" "$(sed -E 's/(^|[ \t])-(XX:[+-]?(Use[A-Za-z0-9]*GC|CMS[A-Za-z]*|UnlockExperimentalVMOptions)|Xm[sx])[^ \t]*//g; /^[ \t]*$/d' "$core"
    printf '%s\n' "${GC_FLAGS[@]}" "-Xms${HEAP_MIB}M" "-Xmx${HEAP_MIB}M")" 644 >/dev/null
}

# $1 name, then docker create options: create it once per set of options (kept in a label), start
# it when stopped. A container whose options changed is re-created: a start after a stop may bring
# a new Elastic IP (warmPool.releaseAddressesOnStop), and a container's env is fixed at create.
ensure() {
  local n=$1 spec="${*:2}" had
  shift
  had=$(docker inspect -f '{{index .Config.Labels "wcs-autoscaler.spec"}}' "$n" 2>/dev/null) || had=-
  if [[ $had != "$spec" ]]; then
    STEP="container create"
    if [[ $had != - ]]; then
      log "re-creating $n: its settings changed"
      x docker rm -f "$n" >/dev/null
    fi
    log "creating $n"
    x docker create --name "$n" --restart unless-stopped --cap-drop NET_RAW --label "wcs-autoscaler.fleet=$FLEET" --label "wcs-autoscaler.pool=$POOL" --label "wcs-autoscaler.spec=$spec" "$@" >/dev/null
  fi
  if [[ $(docker inspect -f '{{.State.Running}}' "$n") != true ]]; then
    STEP="container start"
    x docker start "$n" >/dev/null
  fi
}

run_containers() {
  local env_file="$STATE/wcs-secrets.env" i name
  if [[ ! -s $env_file ]]; then
    local license password
    STEP="licence and password SecureStrings"
    license=$(x secret "$LICENSE_PARAMETER")
    password=$(x secret "$PASSWORD_PARAMETER")
    write_if_changed "$env_file" "LICENSE=$license
PASSWORD=$password" 600 >/dev/null
  fi
  probe_gc
  for ((i = 0; i < CONTAINERS; i++)); do
    name="wcs-$i" CUR=$i
    configure_container "$i"
    # The holder owns the netns, the IP and the IMDS route before WCS exists; WCS joins it, so a
    # restarted WCS container finds the route already there.
    ensure "wcs-hold-$i" --hostname "$name" --memory 16m --net "$NETWORK" --ip "${PRIVATE_IPS[i]}" --stop-signal KILL --entrypoint sleep "$IMAGE" 2147483647
    guard
    # A new Elastic IP re-creates WCS only: the holder keeps its private IP, netns and route. The
    # holder's id is among WCS's options, so a re-created holder re-creates its WCS too.
    ensure "$name" --cpuset-cpus "${CPUSETS[i]}" --memory "${MEMORY_LIMIT_MIB}m" --memory-swap "${MEMORY_LIMIT_MIB}m" --net "container:wcs-hold-$i" \
      --label "wcs-autoscaler.holder=$(docker inspect -f '{{.Id}}' "wcs-hold-$i")" \
      --env-file "$env_file" -e "LOCAL_IP=${PRIVATE_IPS[i]}" -e "EXTERNAL_IP=${PUBLIC_IPS[i]:-${PRIVATE_IPS[i]}}" -v "$HOME_DIR/containers/$i/conf:$WCS_CONF" \
      --mount "type=bind,src=$RUN/imds-$i,dst=/run/wcs-imds-blocked,readonly" "$IMAGE"
  done
  CUR=
}

# --- IMDS block: an unreachable route inside each container's network namespace ---------------
# ipvlan traffic leaves through the parent NIC without crossing the host's netfilter, so
# host iptables (DOCKER-USER included) cannot filter it; the route lives in the container's
# own netns, which it cannot change without CAP_NET_ADMIN (and NET_RAW is dropped).
pid_of() { docker inspect -f '{{.State.Pid}}' "wcs-hold-$1" 2>/dev/null || echo 0; }

guard() {
  local i pid addr
  for ((i = 0; i < CONTAINERS; i++)); do
    pid=$(pid_of "$i")
    ((pid > 0)) || continue
    for addr in $IMDS_ADDRS; do nsenter -t "$pid" -n ip route replace prohibit "$addr"; done
    # WCS bind-mounts the marker: dockerd cannot start it (at boot, or after a dockerd restart)
    # before this; a start that failed so is done here, once this boot's NodeReady is out. Before
    # that (a start after a stop) the boot unit starts it, with the addresses IMDS now reports.
    mkdir -p "$RUN"
    touch "$RUN/imds-$i"
    [[ ! -f $READY || -z $(docker inspect -f '{{if not .State.Running}}{{.State.Error}}{{end}}' "wcs-$i" 2>/dev/null) ]] || docker start "wcs-$i" >/dev/null || log "wcs-$i: start failed"
  done
}

# $1 container index: WCS /?action=stat, fetched inside the container's netns
stat_of() {
  local pid
  pid=$(pid_of "$1")
  ((pid > 0)) || { echo "wcs-$1 is not running" >&2; return 1; }
  nsenter -t "$pid" -n curl -fsS -m 5 "http://127.0.0.1:$HTTP_PORT/?action=stat"
}

wait_healthy() {
  local deadline=$((SECONDS + HEALTH_TIMEOUT)) i pending first err
  STEP="health timeout"
  while :; do
    guard
    pending=
    for ((i = 0; i < CONTAINERS; i++)); do err=$(stat_of "$i" 2>&1 >/dev/null) || pending+=" $i"; done
    [[ -z $pending ]] && return 0
    first=${pending# } first=${first%% *}
    ((SECONDS < deadline)) || fail "$STEP: WCS did not answer /?action=stat within ${HEALTH_TIMEOUT}s on container(s)$pending: $(tail -n 1 <<<"$err")" "$first"
    sleep "$POLL"
  done
}

install_units() {
  local self="$HOME_DIR/bin/wcs-node" changed=
  mkdir -p "$HOME_DIR/bin"
  if [[ ! -f $self || "$(cat "${BASH_SOURCE[0]}")" != "$(cat "$self")" ]]; then cp "${BASH_SOURCE[0]}" "$self"; chmod 700 "$self"; fi
  # cloud-init runs user-data once per instance; after a stop/start this unit boots the node again.
  # After a resume from hibernation (no boot: processes and /run kept) the resume unit starts it
  # again: systemd.special(7) "sleep.target" runs ExecStop= of such a unit once the system woke up.
  changed+=$(write_if_changed "$UNITS/wcs-node.service" "[Unit]
Description=wcs-node boot
Wants=network-online.target
After=docker.service network-online.target cloud-final.service
[Service]
Type=oneshot
ExecStart=$self bootstrap
[Install]
WantedBy=multi-user.target" 644)
  changed+=$(write_if_changed "$UNITS/docker.service.d/wcs-node.conf" "[Service]
ExecStartPre=-/bin/rm -rf $RUN" 644)
  changed+=$(write_if_changed "$UNITS/wcs-node-resume.service" "[Unit]
Description=wcs-node after resume
DefaultDependencies=no
StopWhenUnneeded=yes
Before=sleep.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStop=/usr/bin/systemctl start --no-block wcs-node.service
[Install]
WantedBy=sleep.target" 644)
  changed+=$(write_if_changed "$UNITS/wcs-node-guard.service" "[Unit]
Description=wcs-node guard
After=docker.service
[Service]
Type=oneshot
ExecStart=$self guard" 644)
  changed+=$(write_if_changed "$UNITS/wcs-node-guard.timer" "[Unit]
Description=wcs-node guard every 10 s
[Timer]
OnBootSec=5s
OnUnitActiveSec=10s
AccuracySec=1s
[Install]
WantedBy=timers.target" 644)
  changed+=$(write_if_changed "$UNITS/wcs-node-metrics.service" "[Unit]
Description=wcs-node metrics
After=docker.service
[Service]
Type=oneshot
ExecStart=$self metrics" 644)
  changed+=$(write_if_changed "$UNITS/wcs-node-metrics.timer" "[Unit]
Description=wcs-node metrics every ${METRICS_INTERVAL}s
[Timer]
OnBootSec=60s
OnUnitActiveSec=${METRICS_INTERVAL}s
[Install]
WantedBy=timers.target" 644)
  if [[ -n $changed ]]; then systemctl daemon-reload; fi
  systemctl enable wcs-node.service wcs-node-resume.service >/dev/null 2>&1
  systemctl enable --now wcs-node-guard.timer wcs-node-metrics.timer >/dev/null 2>&1
}

# --- metrics: WCS load per container to CloudWatch ---------------------------------------------
metrics() {
  INSTANCE_ID=$(cat "$STATE/instance-id")
  local i stat cpu data='' name key value
  for ((i = 0; i < CONTAINERS; i++)); do
    stat=$(stat_of "$i" 2>/dev/null) || { log "wcs-$i: no stat"; continue; }
    cpu=$(docker stats --no-stream --format '{{.CPUPerc}}' "wcs-$i" 2>/dev/null | tr -d '%') || cpu=
    for name in Connections:connections WebrtcStreamsIn:streams_webrtc_in WebrtcStreamsOut:streams_webrtc_out MediaPortsBusy:ports_media_busy Cpu:cpu; do
      key=${name#*:}
      if [[ $key == cpu ]]; then value=$cpu; else value=$(printf '%s\n' "$stat" | awk -F= -v k="$key" '$1 == k { print $2 + 0; exit }'); fi
      [[ -n $value ]] || continue
      data+="${data:+,}{\"MetricName\":\"${name%%:*}\",\"Value\":$value,\"Unit\":\"$([[ $key == cpu ]] && echo Percent || echo Count)\",\"Dimensions\":[{\"Name\":\"InstanceId\",\"Value\":\"$INSTANCE_ID\"},{\"Name\":\"Container\",\"Value\":\"$i\"}]}"
    done
  done
  [[ -n $data ]] || return 0
  aws cloudwatch put-metric-data --region "$REGION" --namespace "$METRICS_NAMESPACE" --metric-data "[$data]"
}

bootstrap() {
  trap 'on_err $? "$BASH_COMMAND"' ERR
  local boot=boot
  [[ -f $READY ]] && boot="resume (or re-run)"
  log "$boot"
  read_metadata
  printf '%s\n' "$INSTANCE_ID" >"$STATE/instance-id"
  printf '%s\n' "$IFACE" >"$STATE/iface"
  printf '%s\n' "${PRIVATE_IPS[@]}" >"$STATE/private-ips"
  compute_cpusets
  STEP="host setup"
  keep_os_off
  ensure_docker
  run_containers
  STEP=units
  install_units
  wait_healthy
  local i containers=
  for ((i = 0; i < CONTAINERS; i++)); do
    containers+="${containers:+,}{\"index\":$i,\"privateIp\":\"${PRIVATE_IPS[i]}\",${PUBLIC_IPS[i]:+\"publicIp\":\"${PUBLIC_IPS[i]}\",}\"cpuset\":\"${CPUSETS[i]}\"}"
  done
  STEP=NodeReady
  x put_event NodeReady "{\"instanceId\":\"$INSTANCE_ID\",\"containers\":[$containers]}"
  touch "$READY"
  log "ready after $boot: $CONTAINERS containers"
}

MODE=${1:-bootstrap}
mkdir -p "$STATE"
if [[ $MODE == bootstrap && -z ${WCS_NO_JOURNAL:-} ]] && command -v systemd-cat >/dev/null 2>&1; then
  # journal and, through cloud-init, the console
  exec > >(tee >(systemd-cat -t wcs-node)) 2>&1
fi
case "$MODE" in
  bootstrap) bootstrap ;;
  guard)
    IFACE=$(cat "$STATE/iface")
    mapfile -t PRIVATE_IPS <"$STATE/private-ips"
    PUBLIC_IPS=()
    keep_os_off
    guard
    ;;
  metrics) metrics ;;
  *) echo "usage: wcs-node [bootstrap|guard|metrics]" >&2; exit 2 ;;
esac
