// Linked into the asan flavour only: the grader's ASan/UBSan settings and report notes.
#include "sanitizer_reports.hpp"

extern "C" {

// detect_leaks: a leaked thread or buffer is a lifetime bug this flavour exists to show.
// halt_on_error: the first use-after-free is the one to explain; later ones are its echoes.
const char* __asan_default_options() {
    return "detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1";
}

const char* __ubsan_default_options() { return "print_stacktrace=1:halt_on_error=1"; }

void __asan_on_error() { ct::detail::note_sanitizer_report("AddressSanitizer", "error"); }

}  // extern "C"
