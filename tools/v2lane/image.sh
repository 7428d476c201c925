#!/usr/bin/env bash
# Builds the v2 lane's VM image into DIR (run by v2lane.sh when DIR/ready is missing; root):
#   DIR/vmlinuz          Debian's kernel, from `apt-get download` of linux-image-amd64's dependency
#   DIR/initramfs.cpio.gz  busybox, the modules to reach the root disk and the 9p shares, ./initramfs-init
#   DIR/root.img         ext4: `debootstrap --variant=minbase` of bookworm with a JRE, busybox, iproute2, procps
# Nothing is installed on the host's boot path: the kernel package is unpacked with dpkg-deb -x.
# The mirror is the host's own (its apt sources); this file names none.
set -euo pipefail

HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
OUT="$1"
SUITE=bookworm
KERNEL_META=linux-image-amd64
PACKAGES=openjdk-17-jre-headless,busybox-static,iproute2,procps,util-linux
# modules the initramfs loads (with their dependencies from modules.dep, in order); crc32c_generic is ext4's
# checksum, which modules.dep does not list (ext4 asks the crypto API for it)
MODULES=(virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p overlay)
IMAGE_SIZE=2G

say() { printf 'v2lane: image: %s\n' "$*"; }
die() { printf 'v2lane: image: %s\n' "$*" >&2; exit 1; }

# the first http(s) mirror the host's apt sources give for the suite (deb822 .sources or one-line .list)
mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri="$(awk -v s="$SUITE" '
      /^[[:space:]]*$/ { if (u != "" && ok) { print u; exit } u = ""; ok = 0; next }
      /^URIs:/   { u = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (u != "" && ok) print u }' "$f" | head -n1)"
    [ -n "$uri" ] && { printf '%s\n' "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri="$(sed -E 's/\[[^]]*\]//' "$f" | awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }')"
    [ -n "$uri" ] && { printf '%s\n' "$uri"; return; }
  done
  return 1
}

WORK="$(mktemp -d "${OUT%/}.build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# ---- kernel ----------------------------------------------------------------------------------
t0=$(date +%s)
pkg="$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')"
if [ -z "$pkg" ]; then
  say "no $KERNEL_META in the package lists: apt-get update"
  apt-get update -qq || true
  pkg="$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')"
fi
[ -n "$pkg" ] || die "missing kernel package: apt knows no $KERNEL_META (check the host's apt sources)"
(cd "$WORK" && apt-get download -qq "$pkg" >/dev/null 2>&1) \
  || die "missing kernel package: apt-get download $pkg failed (is the mirror reachable?)"
dpkg-deb -x "$WORK"/"$pkg"_*.deb "$WORK/kernel"
kver="$(ls "$WORK/kernel/lib/modules" | head -n1)"
[ -n "$kver" ] && [ -f "$WORK/kernel/boot/vmlinuz-$kver" ] || die "$pkg holds no /boot/vmlinuz-* and /lib/modules/*"
cp "$WORK/kernel/boot/vmlinuz-$kver" "$OUT/vmlinuz"
say "kernel $pkg ($kver): $(( $(date +%s) - t0 )) s"

# ---- initramfs -------------------------------------------------------------------------------
t0=$(date +%s)
moddir="$WORK/kernel/lib/modules/$kver"
# the package ships no modules.dep (the host's depmod writes it on install): busybox's depmod writes it here
busybox depmod -b "$WORK/kernel" "$kver" || die "depmod of $kver failed"
declare -A seen=()
order=()
norm() { basename "$1" | sed -E 's/\.ko(\.xz|\.zst|\.gz)?$//; s/-/_/g'; }
modpath() { # module name -> its path in modules.dep (empty when built in)
  awk -F: -v n="$1" '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", f); gsub(/-/, "_", f)
                       if (f == n) { print $1; exit } }' "$moddir/modules.dep"
}
add() {
  local name="$1" path dep
  [ -z "${seen[$name]:-}" ] || return 0
  seen[$name]=1
  path="$(modpath "$name")"
  if [ -z "$path" ]; then
    sed -E 's/.*\///; s/\.ko.*$//; s/-/_/g' "$moddir/modules.builtin" | grep -qx "$name" \
      || die "module $name is neither in modules.dep nor built into $kver"
    return 0
  fi
  for dep in $(awk -F: -v p="$path" '$1 == p { print $2; exit }' "$moddir/modules.dep"); do
    add "$(norm "$dep")"
  done
  order+=("$path")
}
for m in "${MODULES[@]}"; do add "$m"; done
ird="$WORK/initramfs"
mkdir -p "$ird/bin" "$ird/modules"
cp /bin/busybox "$ird/bin/busybox"
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static (install busybox-static)"
cp "$HERE/initramfs-init" "$ird/init"
chmod 755 "$ird/init"
: > "$ird/modules.list"
for p in "${order[@]}"; do
  b="$(basename "$p")"
  case "$b" in
    *.xz) xz -dc "$moddir/$p" > "$ird/modules/${b%.xz}"; b="${b%.xz}" ;;
    *.zst) zstd -qdc "$moddir/$p" > "$ird/modules/${b%.zst}"; b="${b%.zst}" ;;
    *) cp "$moddir/$p" "$ird/modules/$b" ;;
  esac
  echo "$b" >> "$ird/modules.list"
done
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -9) > "$OUT/initramfs.cpio.gz"
say "initramfs ($(tr '\n' ' ' < "$ird/modules.list")): $(( $(date +%s) - t0 )) s"

# ---- root filesystem -------------------------------------------------------------------------
t0=$(date +%s)
m="$(mirror)" || die "no $SUITE mirror in /etc/apt/sources.list or /etc/apt/sources.list.d"
root="$WORK/root"
if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$m" > "$WORK/debootstrap.log" 2>&1; then
  tail -n 20 "$WORK/debootstrap.log" >&2
  die "debootstrap $SUITE from $m failed (its last lines above)"
fi
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc "$root"/usr/share/man
install -m 755 "$HERE/lane-init" "$root/sbin/lane-init"
mkdir -p "$root/lane/in" "$root/lane/out"
say "debootstrap --variant=minbase $SUITE + $PACKAGES: $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
rm -f "$OUT/root.img"
truncate -s "$IMAGE_SIZE" "$OUT/root.img"
mkfs.ext4 -q -F -L v2lane -d "$root" "$OUT/root.img"
say "mkfs.ext4 -d ($(du -sh "$root" | cut -f1) of files, $IMAGE_SIZE sparse image): $(( $(date +%s) - t0 )) s"
echo "$pkg $kver" > "$OUT/kernel-package"
