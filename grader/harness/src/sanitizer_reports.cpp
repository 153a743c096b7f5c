#include "sanitizer_reports.hpp"

#include <array>
#include <atomic>
#include <cstring>

namespace ct::detail {
namespace {

constexpr std::size_t max_reports = 16;
constexpr std::size_t max_text = 96;
std::array<std::array<char, max_text>, max_reports> g_reports{};
std::atomic<std::size_t> g_next{0};
std::atomic<std::size_t> g_taken{0};

}  // namespace

void note_sanitizer_report(const char* tool, const char* kind) {
    const std::size_t slot = g_next.fetch_add(1);
    if (slot >= max_reports) {
        return;
    }
    auto& text = g_reports[slot];
    std::size_t n = 0;
    for (const char* part : {tool, ": ", kind}) {
        for (const char* c = part; c != nullptr && *c != '\0' && n + 1 < max_text; ++c) {
            text[n++] = *c;
        }
    }
    text[n] = '\0';
}

std::vector<std::string> take_sanitizer_reports() {
    std::vector<std::string> result;
    const std::size_t end = std::min(g_next.load(), max_reports);
    for (std::size_t i = g_taken.exchange(end); i < end; ++i) {
        result.emplace_back(g_reports[i].data());
    }
    return result;
}

}  // namespace ct::detail
