// Attacks the compiler: .incbin pulls files into the object at build time, where the test can
// print them later. It tries /etc/shadow, the course's solution and another student's submission
// (the corpus driver substitutes their real paths for @SOLUTION@ and @VICTIM@).
// Contained: the build runs as the slot's build uid and Landlock lets it read only the system,
// the harness, the day's tests and the student's own files: build_error, no canary in the report.
#include "attack.hpp"

asm(".pushsection .rodata.hostile,\"a\"\n"
    ".global hostile_blob\n"
    "hostile_blob:\n"
    ".incbin \"/etc/shadow\"\n"
    ".incbin \"@SOLUTION@\"\n"
    ".incbin \"@VICTIM@\"\n"
    ".byte 0\n"
    ".popsection\n");
extern "C" const char hostile_blob[];

namespace hostile {

std::string attack() { return std::string(hostile_blob).substr(0, 2000); }
int answer() { return 42; }

}  // namespace hostile
