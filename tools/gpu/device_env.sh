# Sourced by the GPU scripts: the device recipe's environment (.device/setup.sh with its packages),
# what the GPU machine's image lacks beyond it (utf8proc and OpenSSL headers, carried in .device/debs
# too: `apt-get download libutf8proc2 libutf8proc-dev libssl-dev`), unpacked only where missing, and
# DEEPER_CMAKE_PREFIX (the prefix path as a CMake list argument). Appends its output to $1.
device_log=${1:-/dev/null}
[[ -f .device/setup.sh ]] && source .device/setup.sh .device/debs >> "$device_log" 2>&1
if ! pkg-config --exists libutf8proc; then
  for deb in .device/debs/libutf8proc2_*.deb .device/debs/libutf8proc-dev_*.deb; do dpkg -x "$deb" /; done
fi
[[ -f /usr/include/openssl/evp.h ]] || dpkg -x .device/debs/libssl-dev_*.deb /
# The environment variable separates paths with ':'; as a CMake variable the list takes ';'.
DEEPER_CMAKE_PREFIX=(-DCMAKE_PREFIX_PATH="${CMAKE_PREFIX_PATH:-}")
export CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH//;/:}
