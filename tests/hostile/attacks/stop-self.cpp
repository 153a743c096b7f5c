// Stops itself with SIGSTOP from a static initializer, so every test process stops before main and
// would wait for its deadline; a batch would pay that for every test of every such submission.
// Contained: the grader sees every thread stopped and ends the test at once, as a crash that says
// so (never a "deadlock"). Self-bounded: a stopped process does nothing, and the grader kills it.
#include <signal.h>

#include "attack.hpp"

namespace {

const int stopped = [] {
    raise(SIGSTOP);
    return 1;
}();

}  // namespace

namespace hostile {

std::string attack() { return stopped == 1 ? "continued after SIGSTOP" : ""; }

int answer() { return 42; }

}  // namespace hostile
