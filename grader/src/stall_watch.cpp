#include "stall_watch.hpp"

#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

// x86-64 system call numbers.
constexpr long sys_wait4 = 61;
constexpr long sys_futex = 202;
constexpr long sys_waitid = 247;
constexpr long sys_futex_waitv = 449;

struct ProcStat {
    char state = '?';
    pid_t ppid = 0;
    long ticks = 0;  // utime + stime
};

// /proc/<...>/stat: the fields after the command name, which is in parentheses and may hold anything.
std::optional<ProcStat> read_stat(const fs::path& path) {
    const auto text = read_file(path);
    if (!text) {
        return std::nullopt;
    }
    const auto close = text->rfind(')');
    if (close == std::string::npos || close + 2 >= text->size()) {
        return std::nullopt;
    }
    std::istringstream fields(text->substr(close + 2));
    ProcStat stat;
    std::string field;
    long utime = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 3) {
            stat.state = field[0];
        } else if (i == 4) {
            stat.ppid = static_cast<pid_t>(std::stol(field));
        } else if (i == 14) {
            utime = std::stol(field);
        } else if (i == 15) {
            stat.ticks = utime + std::stol(field);
            return stat;
        }
    }
    return std::nullopt;
}

}  // namespace

bool untimed_block(const std::string& syscall_line) {
    std::istringstream in(syscall_line);
    std::string word;
    if (!(in >> word) || word == "running" || word == "-1") {
        return false;
    }
    std::vector<unsigned long> args;
    long number = 0;
    try {
        number = std::stol(word);
        for (int i = 0; i < 6 && in >> word; ++i) {
            args.push_back(std::stoul(word, nullptr, 16));
        }
    } catch (const std::exception&) {
        return false;
    }
    if (number == sys_wait4 || number == sys_waitid) {
        return true;  // waits for a process of the tree, which is watched too
    }
    if (number == sys_futex && args.size() >= 4) {
        const unsigned long cmd = args[1] & ~(128UL | 256UL);  // FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME
        // FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2: no timeout.
        const bool waits = cmd == 0 || cmd == 6 || cmd == 9 || cmd == 11 || cmd == 13;
        return waits && args[3] == 0;
    }
    if (number == sys_futex_waitv && args.size() >= 4) {
        return args[3] == 0;
    }
    return false;
}

TreeSample sample_tree(pid_t root) {
    std::map<pid_t, std::vector<pid_t>> children;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (const auto stat = read_stat(entry.path() / "stat")) {
            children[stat->ppid].push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    TreeSample sample;
    std::vector<pid_t> todo = {root};
    while (!todo.empty()) {
        const pid_t pid = todo.back();
        todo.pop_back();
        for (const pid_t child : children[pid]) {
            todo.push_back(child);
        }
        const fs::path dir = fs::path("/proc") / std::to_string(pid);
        const auto stat = read_stat(dir / "stat");
        if (!stat || stat->state == 'Z' || stat->state == 'X') {
            continue;
        }
        sample.cpu_ticks += stat->ticks;
        if (!read_file(dir / "timers").value_or("").empty()) {
            sample.timers = true;
        }
        for (const auto& task : fs::directory_iterator(dir / "task", ec)) {
            const auto thread = read_stat(task.path() / "stat");
            if (!thread || thread->state == 'Z' || thread->state == 'X') {
                continue;
            }
            ++sample.threads;
            if (thread->state == 'T' || thread->state == 't') {
                ++sample.stopped;
            } else if (thread->state == 'S' && untimed_block(read_file(task.path() / "syscall").value_or(""))) {
                ++sample.blocked_for_good;
            }
        }
    }
    return sample;
}

std::optional<Stall> StallWatch::observe(const TreeSample& sample, std::chrono::steady_clock::time_point at) {
    if (sample.threads == 0) {
        return std::nullopt;  // gone (or not yet readable)
    }
    // Stopped: seen twice in a row, so that a stop and continue in between two looks does not count.
    m_stopped_in_a_row = sample.stopped == sample.threads ? m_stopped_in_a_row + 1 : 0;
    if (m_stopped_in_a_row >= 2) {
        return Stall{StallKind::stopped, std::chrono::milliseconds(0)};
    }
    const bool blocked = !sample.timers && sample.blocked_for_good == sample.threads;
    if (!blocked) {
        m_blocked_since.reset();
        return std::nullopt;
    }
    if (!m_blocked_since || sample.cpu_ticks != m_blocked_ticks) {
        m_blocked_since = at;  // (again) from here: a thread ran in between
        m_blocked_ticks = sample.cpu_ticks;
        return std::nullopt;
    }
    const auto quiet = std::chrono::duration_cast<std::chrono::milliseconds>(at - *m_blocked_since);
    if (quiet >= m_quiet) {
        return Stall{StallKind::blocked, quiet};
    }
    return std::nullopt;
}

}  // namespace grade
