#!/bin/bash
# A single-node Slurm on this machine, for SkelZoo's tests and for trying `reproduce --executor slurm`.
#
#   scripts/slurm-local.sh up      install slurm-wlm and munge from Debian if missing (apt-get, as root), write a
#                                  slurm.conf into $SLURM_LOCAL_DIR (one node with nproc CPUs, proctrack/linuxproc,
#                                  task/none, select/cons_tres, no accounting, no cgroups), start munged, slurmctld
#                                  and slurmd, and wait until the node is idle
#   scripts/slurm-local.sh down    stop what `up` started (by its pid files) and nothing else
#   scripts/slurm-local.sh env     print the line to export so sbatch/squeue find this cluster
#
# The daemons run as root (as Debian's packages start them on these machines). munged gets its own key and socket
# in $SLURM_LOCAL_DIR, so a system munged, if any, is left alone. Then: export SLURM_CONF=$SLURM_LOCAL_DIR/slurm.conf
set -euo pipefail

DIR="${SLURM_LOCAL_DIR:-/tmp/skelzoo-slurm}"
CTLD_PORT="${SLURM_LOCAL_PORT:-6817}"
SLURMD_PORT=$((CTLD_PORT + 1))
NODE=localnode
CONF="$DIR/slurm.conf"

die() { echo "error: $1" >&2; [ -n "${2:-}" ] && echo "hint: $2" >&2; exit 1; }

install_packages() {
    local missing=""
    for command in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
        command -v "${command%%:*}" >/dev/null 2>&1 || missing="$missing ${command##*:}"
    done
    [ -z "$missing" ] && return 0
    [ "$(id -u)" = 0 ] || die "missing:$missing (Debian packages slurm-wlm and munge)" "sudo apt-get install slurm-wlm munge, or run this as root"
    command -v apt-get >/dev/null || die "missing:$missing and there is no apt-get here" "install Slurm 22.05+ and munge by hand"
    echo "installing slurm-wlm and munge from Debian..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

# Alive when its pid file names a live process.
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() {
    local name=$1 file=$2
    if running "$file"; then
        local pid
        pid=$(cat "$file")
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "stopped $name (pid $pid)"
    fi
    rm -f "$file"
}

up() {
    install_packages
    [ "$(id -u)" = 0 ] || die "the local cluster's daemons run as root here" "run: sudo $0 up"
    if running "$DIR/slurmctld.pid" || running "$DIR/slurmd.pid" || running "$DIR/munged.pid"; then
        die "a local cluster from $DIR is already running" "$0 down first"
    fi
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/munge"
    chmod 700 "$DIR" "$DIR/munge"
    local cpus memory
    cpus=$(nproc)
    memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)

    # munge: its own key and socket.
    [ -f "$DIR/munge/munge.key" ] || { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$DIR/munge/munge.key"; }
    munged --force --key-file="$DIR/munge/munge.key" --socket="$DIR/munge/munge.socket" \
        --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munge/munge.seed" \
        || die "munged did not start; see $DIR/munged.log"

    cat > "$CONF" <<CONF
# Written by scripts/slurm-local.sh: one node, no accounting, no cgroups.
ClusterName=skelzoo-local
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without --mem a task gets its CPUs' share of the memory, not the whole node.
DefMemPerCPU=$((memory / cpus))
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
# No accounting: scontrol remembers finished tasks for an hour, so collect can read their states.
MinJobAge=3600
MaxArraySize=10001
NodeName=$NODE NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$CONF"
    slurmctld -c -f "$CONF" || die "slurmctld did not start; see $DIR/slurmctld.log"
    slurmd -N "$NODE" -f "$CONF" || die "slurmd did not start; see $DIR/slurmd.log"

    local state=""
    for _ in $(seq 60); do
        state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
        case "$state" in
            idle*) echo "local Slurm is up: node $NODE, $cpus CPUs, ${memory} MB (logs in $DIR)"
                   echo "export SLURM_CONF=$CONF"
                   return 0 ;;
            down*|drain*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
        esac
        sleep 0.5
    done
    die "the node is '$state', not idle, after 30 s; see $DIR/slurmctld.log and $DIR/slurmd.log" "$0 down, then up again"
}

down() {
    stop_pid slurmd "$DIR/slurmd.pid"
    stop_pid slurmctld "$DIR/slurmctld.pid"
    stop_pid munged "$DIR/munged.pid"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    env) echo "export SLURM_CONF=$CONF" ;;
    *) echo "usage: $0 up|down|env   (state in \$SLURM_LOCAL_DIR, default /tmp/skelzoo-slurm)" >&2; exit 2 ;;
esac
