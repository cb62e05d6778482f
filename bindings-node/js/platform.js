"use strict";
// Which prebuilt package serves this machine. The names follow napi-rs: the main package's
// name plus `<platform>-<arch>[-<abi>]` (`kestrel-router-linux-x64-gnu`), the same suffix
// the release workflow's `napi build --platform` gives the addon file
// (`kestrel.linux-x64-gnu.node`) and that bindings-node/npm/<suffix>/ holds.

/** Which C library this Linux process runs on: "glibc" or "musl" (undefined elsewhere). */
function hostLibc() {
  if (process.platform !== "linux") return undefined;
  // Node's diagnostic report names the glibc it runs on; a musl build leaves it out.
  const header = process.report?.getReport?.().header;
  return header?.glibcVersionRuntime ? "glibc" : "musl";
}

/**
 * The package suffix for a platform, arch and libc as npm names them in `os`, `cpu` and
 * `libc`: linux-x64-gnu, linux-arm64-musl, darwin-arm64, win32-x64-msvc, ...
 */
function platformSuffix({ platform = process.platform, arch = process.arch, libc = hostLibc() } = {}) {
  if (platform === "linux") return `linux-${arch}-${libc === "musl" ? "musl" : "gnu"}`;
  if (platform === "win32") return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

module.exports = { hostLibc, platformSuffix };
