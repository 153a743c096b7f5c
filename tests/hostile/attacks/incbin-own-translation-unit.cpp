// See incbin-own-translation-unit.hpp (laid over attack.hpp).
#include "attack.hpp"

extern "C" const char* const __start_hostile_sources[];
extern "C" const char* const __stop_hostile_sources[];

namespace hostile {

std::string attack() {
    std::string result;
    for (const char* const* source = __start_hostile_sources; source != __stop_hostile_sources; ++source) {
        const std::string text(*source);
        if (text.find("HIDDEN") != std::string::npos) {
            result += text.substr(0, 1500);
        }
    }
    return result.empty() ? "no hidden source embedded" : result;
}

int answer() { return 42; }

}  // namespace hostile
