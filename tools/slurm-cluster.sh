#!/usr/bin/env bash
# A single-node Slurm cluster on this machine (Debian's slurm-wlm and munge), for the
# Slurm tests and for trying `launcher = "slurm"`: a munge key, munged, then slurmctld and
# slurmd with a minimal slurm.conf — one node with this machine's CPUs, one default
# partition "lab". Run as root. Idempotent: daemons already running are left as they are.
set -euo pipefail
CPUS=$(nproc)
NODE=$(hostname -s)
MEM=$(awk '/MemTotal/{print int($2/1024)-512}' /proc/meminfo)
mkdir -p /etc/munge /etc/slurm /var/run/munge /var/log/munge /var/lib/munge \
         /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/slurm
[ -s /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
chown -R munge:munge /etc/munge /var/run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged || /usr/sbin/munged --force
# proctrack/linuxproc and task/none: no cgroups needed, so it runs in a container too.
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=lab
SlurmctldHost=$NODE
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmdSpoolDir=/var/spool/slurmd
StateSaveLocation=/var/spool/slurmctld
SlurmUser=root
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=lab Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
pgrep -x slurmctld >/dev/null || /usr/sbin/slurmctld
pgrep -x slurmd >/dev/null || /usr/sbin/slurmd
for _ in $(seq 100); do
  sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|alloc" && break
  sleep 0.2
done
sinfo
