// Attacks the hidden tests through the header they include: every translation unit that includes
// this header embeds its own main source file (__BASE_FILE__: for a hidden test, the hidden test)
// with .incbin and records where in a section of pointers; attack() then prints every embedded
// source that mentions HIDDEN. The compiler must read a hidden test to compile it, so Landlock
// cannot stop this; the grader's scan of the linked test binary for course files must.
#pragma once

#include <string>

namespace hostile {

std::string attack();
int answer();

}  // namespace hostile

asm(".pushsection .rodata.hostile_src,\"a\"\n"
    "1:\n"
    ".incbin \"" __BASE_FILE__ "\"\n"
    ".byte 0\n"
    ".popsection\n"
    ".pushsection hostile_sources,\"aw\"\n"
    ".quad 1b\n"
    ".popsection\n");
