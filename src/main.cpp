// simpleclaw entry point: everything lives in the cli library.
#include <malloc.h>

#include "cli/cli.h"

#if defined(SIMPLECLAW_RELR_MARKER)
// The binary is linked with packed relative relocations (DT_RELR, src/CMakeLists.txt);
// glibc (>= 2.36) loads such a binary only if it asks for the version GLIBC_ABI_DT_RELR,
// which GNU ld and lld >= 15 add themselves and lld 14 (Debian 12's) does not. Referring
// to that version's marker symbol adds it.
__asm__(".symver simpleclaw_relr_marker, GLIBC_ABI_DT_RELR@GLIBC_ABI_DT_RELR");
extern "C" char simpleclaw_relr_marker __attribute__((weak));
__attribute__((used, retain)) const void* const simpleclaw_relr_ref = &simpleclaw_relr_marker;
#endif

int main(int argc, char** argv) {
  // One malloc arena for every thread: the gateway's threads besides the loop (the
  // session database's writer, the blocking pool) allocate little, and each extra arena
  // kept ~90 KB of idle RSS (docs/benchmarks.md, "Idle RSS (issue 18)"). Threads keep
  // their own tcache, so small allocations still take no lock.
  ::mallopt(M_ARENA_MAX, 1);
  return simpleclaw::cli::run(argc, argv);
}
