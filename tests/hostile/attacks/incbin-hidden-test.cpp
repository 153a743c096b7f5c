// Attacks the compiler: .incbin of the hidden test by its path in the course bundle (the corpus
// driver substitutes it for @HIDDEN@) from the student's own translation unit, to print it later.
// Landlock cannot stop the read: the build must read the hidden tests to compile them, and one
// ruleset covers the whole build. Contained by what the copy leaves behind: embed_scan finds the
// hidden test's text in the linked binary and the build is refused (on every tier, even none).
#include "attack.hpp"

asm(".pushsection .rodata.hostile,\"a\"\n"
    ".global hostile_blob\n"
    "hostile_blob:\n"
    ".incbin \"@HIDDEN@\"\n"
    ".byte 0\n"
    ".popsection\n");
extern "C" const char hostile_blob[];

namespace hostile {

std::string attack() { return std::string(hostile_blob).substr(0, 2000); }
int answer() { return 42; }

}  // namespace hostile
