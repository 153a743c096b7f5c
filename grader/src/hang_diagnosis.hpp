// When a test misses its deadline, says in words why, before the process is killed
// (playbook §5.1, §5.3): is every thread blocked (deadlock or lost wakeup) or is something
// spinning (livelock, endless loop, or just too slow)? For mutex waits it builds the wait-for
// graph from the mutex owners and names a cycle thread by thread, quoting the student's lines.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace grade {

struct FrameInfo {
    std::string func;
    std::string file;  // as compiled (may be a full path)
    int line = 0;
    std::optional<std::uint64_t> mutex;  // set in a pthread_mutex_lock frame
    std::optional<int> owner;            // the LWP holding that mutex (0: nobody)
    std::string symbol;                  // a global mutex's name
    bool cond = false;                   // a condition-variable wait
};

struct ThreadDump {
    int number = 0;  // gdb's thread number: 1 is the main thread
    int lwp = 0;
    std::string name;
    std::vector<FrameInfo> frames;
};

enum class HangKind {
    deadlock,  // a wait-for cycle among mutex waits
    stuck,     // everything blocked, no cycle: a lost wakeup, a missing notify, a join that never ends
    busy,      // threads use CPU: livelock, an endless loop, or far too slow
    unknown,   // gdb unavailable or the dump unreadable
};

struct HangReport {
    HangKind kind = HangKind::unknown;
    std::string text;
};

// Reads "CTDUMP [...]" from gdb's output.
std::vector<ThreadDump> parse_thread_dump(const std::string& gdb_output);

// The last `ct::progress` the test reported: how far its work got.
struct Progress {
    long long done = 0;
    long long total = 0;
    std::string what;
};

struct HangContext {
    std::vector<std::string> student_files;  // editable file names
    // Returns the source text of file:line from the student's copy, or nothing (hidden tests are
    // never quoted).
    std::function<std::optional<std::string>(const std::string& file, int line)> source_line;
    bool busy = false;  // /proc sampling saw CPU use during the deadline window
    std::string last_step;  // the test's last ct::step() text
    std::optional<Progress> progress;  // the test's last ct::progress(), if any
    int deadline_s = 0;                // how long the test had
};

// The pure part: thread dumps + CPU verdict -> words. Unit-tested.
HangReport describe_hang(const std::vector<ThreadDump>& threads, const HangContext& context);

// CPU time (user + system ticks) of all threads of a process, from /proc.
std::optional<long> process_cpu_ticks(pid_t pid);

}  // namespace grade
