// Calls the harness's own frame writer (ct::detail::send_frame, which knows the nonce) to send
// end(passed) and done, then exits 0. Contained: that writer only sends data frames with the data
// nonce; verdict frames come from a function student code cannot name, with a nonce it never sees.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "attack.hpp"

namespace ct::detail {
void send_frame(nlohmann::json frame);
}

namespace hostile {

std::string attack() {
    ct::detail::send_frame({{"type", "end"}, {"test", "Hostile.Attack"}, {"passed", true}, {"ms", 1}});
    ct::detail::send_frame({{"type", "done"}, {"status", 0}});
    _exit(0);
}

int answer() { return 42; }

}  // namespace hostile
