#!/bin/sh
# Makes TorchSharp's libLibTorchSharp.so load on systems whose libstdc++ predates GLIBCXX_3.4.32
# (Debian 12). Patches only the copies under the given build output folder, never the NuGet cache,
# and does nothing where the system libstdc++ already has that version.
# Usage: fix-libtorchsharp.sh OUTPUT_DIR TOOL_BUILD_DIR
set -eu
out_dir=$1
tool_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
symbol=_ZSt21ios_base_library_initv
version=GLIBCXX_3.4.32
shim=libdistill_glibcxx_shim.so

libstdcxx=$(/sbin/ldconfig -p | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
[ -n "$libstdcxx" ] || libstdcxx=$(ldconfig -p | awk '/libstdc\+\+\.so\.6/ {print $NF; exit}')
if [ -n "$libstdcxx" ] && grep -qa "$version" "$libstdcxx"; then
    exit 0  # a new enough libstdc++: nothing to do
fi

targets=$(find "$out_dir" -name libLibTorchSharp.so -type f 2>/dev/null || true)
[ -n "$targets" ] || exit 0

command -v patchelf >/dev/null 2>&1 || {
    echo "error: TorchSharp needs a patch on this system (libstdc++ lacks $version) and patchelf is missing: run 'apt-get install patchelf'" >&2
    exit 1
}
command -v cc >/dev/null 2>&1 || {
    echo "error: TorchSharp needs a patch on this system (libstdc++ lacks $version) and no C compiler was found: run 'apt-get install gcc'" >&2
    exit 1
}

mkdir -p "$tool_dir"
[ -x "$tool_dir/weaken_verneed" ] || cc -O2 -o "$tool_dir/weaken_verneed" "$here/weaken_verneed.c"
[ -f "$tool_dir/$shim" ] || cc -O2 -shared -fPIC -o "$tool_dir/$shim" "$here/glibcxx_shim.c"

for lib in $targets; do
    dir=$(dirname "$lib")
    # Replace, never overwrite in place: a running process may have the shim mapped.
    if ! cmp -s "$tool_dir/$shim" "$dir/$shim"; then
        cp "$tool_dir/$shim" "$dir/$shim.distill-tmp"
        mv -f "$dir/$shim.distill-tmp" "$dir/$shim"
    fi
    if patchelf --print-needed "$lib" | grep -qx "$shim"; then
        continue  # already patched by an earlier build
    fi
    # Work on a copy: the build output file may be a hard link into the NuGet cache.
    tmp="$lib.distill-tmp"
    cp "$lib" "$tmp"
    patchelf --clear-symbol-version "$symbol" "$tmp"
    "$tool_dir/weaken_verneed" "$tmp" "$version"
    patchelf --add-needed "$shim" "$tmp"
    mv -f "$tmp" "$lib"
    echo "distill: patched $lib for the system libstdc++ (no $version)"
done
