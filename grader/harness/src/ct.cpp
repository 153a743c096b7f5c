#include "ct/ct.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <atomic>
#include <latch>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "side_channel.hpp"

namespace ct {

std::uint64_t seed() {
    static const std::uint64_t value = [] {
        const char* text = std::getenv("CT_SEED");
        return text != nullptr ? std::strtoull(text, nullptr, 10) : std::uint64_t{1};
    }();
    return value;
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) : m_state(seed ^ (stream * 0xD1B54A32D192ED03ULL)) {
    next();
}

std::uint64_t Rng::next() {
    std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
    if (hi <= lo) {
        return lo;
    }
    return lo + next() % (hi - lo + 1);
}

bool Rng::chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

Rng rng(std::uint64_t stream) { return Rng(seed(), stream); }

void jitter(Rng& rng, int max_us) {
    if (max_us <= 0) {
        return;
    }
    const auto wait = std::chrono::microseconds(rng.between(0, static_cast<std::uint64_t>(max_us)));
    const auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        // spin: keeps this thread on its CPU, so the others really run at the same time
    }
}

void stress(int threads, int rounds, const std::function<void(int, int, Rng&)>& actor,
            const std::function<void(int)>& check, int jitter_us) {
    std::vector<Rng> rngs;
    rngs.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        rngs.emplace_back(seed(), static_cast<std::uint64_t>(t) + 1);
    }
    for (int round = 0; round < rounds; ++round) {
        std::latch gate(threads);
        {
            std::vector<std::jthread> workers;
            workers.reserve(static_cast<std::size_t>(threads));
            for (int t = 0; t < threads; ++t) {
                workers.emplace_back([&, t] {
                    gate.arrive_and_wait();
                    jitter(rngs[static_cast<std::size_t>(t)], jitter_us);
                    actor(t, round, rngs[static_cast<std::size_t>(t)]);
                });
            }
        }
        if (check) {
            check(round);
        }
    }
}

void step(std::string_view what) {
    detail::send_frame({{"type", "step"}, {"text", std::string(what)}});
}

void progress(std::size_t done, std::size_t total, std::string_view what) {
    static std::atomic<std::int64_t> last_sent_ms{-1000};
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    auto last = last_sent_ms.load(std::memory_order_relaxed);
    if (done < total && (now_ms - last < 200 || !last_sent_ms.compare_exchange_strong(last, now_ms))) {
        return;  // another frame went out just now (or another thread is sending one)
    }
    detail::send_frame({{"type", "progress"}, {"done", done}, {"total", total}, {"what", std::string(what)}});
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    auto pause = std::chrono::microseconds(50);
    while (true) {
        if (pred()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(10'000));
    }
}

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

char thread_state(pid_t tid) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string text;
    if (tid == 0 || !std::getline(stat, text)) {
        return 0;
    }
    // The state follows the command name, which is in parentheses and may itself hold ") ".
    const auto paren = text.rfind(')');
    return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

bool blocked_or_unknown(pid_t tid) {
    const char state = thread_state(tid);
    return state == 0 || state == 'S' || state == 'D';
}

Rendezvous::Rendezvous(int parties) : m_waiting(parties) {}

bool Rendezvous::arrive_and_wait_for(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_mutex);
    if (--m_waiting <= 0) {
        m_cv.notify_all();
        return true;
    }
    return m_cv.wait_for(lock, limit, [this] { return m_waiting <= 0; });
}

}  // namespace ct
