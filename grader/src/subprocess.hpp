// The one place that starts child processes (grader-design §9.5): compilers, test binaries, gdb,
// patch. Each child runs in its own process group with a wall deadline and resource limits; its
// stdout and stderr are captured together up to a cap (the rest is drained and counted, so a flood
// can neither block the child nor fill the grader's memory), and an optional results side channel
// (a pipe on fd 3) is read separately. When the child ends, the whole group is killed, so helpers
// it left behind do not outlive it. A command with a Confinement runs in the sandbox of
// sandbox.hpp (namespaces, slot uid, seccomp, Landlock, cgroups; swept when it ends).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "sandbox.hpp"

namespace grade {

struct ProcessLimits {
    std::optional<long> cpu_seconds;     // RLIMIT_CPU
    std::optional<long> file_bytes;      // RLIMIT_FSIZE: largest file the child may write
    std::optional<long> open_files;      // RLIMIT_NOFILE
};

struct Command {
    std::vector<std::string> argv{};            // argv[0] is looked up in PATH if it has no '/'
    std::map<std::string, std::string> env{};   // added to (or replacing in) the grader's environment
    std::vector<std::string> unset_env{};       // removed from the child's environment
    std::filesystem::path cwd{};                // empty: the grader's
    std::chrono::milliseconds deadline{0};     // wall time; 0: none
    long output_cap = 1 << 20;                 // bytes of stdout+stderr kept
    bool side_channel = false;                 // give the child a results pipe on fd 3
    ProcessLimits limits{};
    // Called once if the deadline passes, while the child still runs (to diagnose a hang before
    // the kill), with the side-channel bytes read so far. Its text is Completed::diagnosis.
    std::function<std::string(pid_t, const std::string& side_so_far)> on_deadline{};
    // Called about twice a second while the child runs, with the command's own pid: true ends it at
    // once, as a passed deadline would (on_deadline first; Completed::stopped_early is set), for a
    // child that can never finish.
    std::function<bool(pid_t)> watch{};
    // Run confined (build or test role); ignored when the sandbox tier in force is `none`.
    std::optional<Confinement> confinement{};
    // Bytes the child can read from fd 4 (a pipe filled before it starts): a secret that is never
    // in its environment or on its command line.
    std::optional<std::string> secret_fd4{};
    bool disable_aslr = false;  // personality(ADDR_NO_RANDOMIZE) before exec (TSan on >28 mmap bits)
};

enum class ProcessEnd { exited, signaled, timed_out };

struct Completed {
    ProcessEnd end = ProcessEnd::exited;
    int exit_code = 0;  // when exited
    int signal = 0;     // when signaled (or the signal that ended a timed-out child)
    std::string output;
    long output_dropped = 0;  // bytes beyond the cap
    std::string side;         // raw bytes of the side channel
    std::string diagnosis;    // from on_deadline
    bool stopped_early = false;  // ended by `watch` before its deadline (end is timed_out)
    std::chrono::milliseconds wall{0};
    std::chrono::milliseconds cpu{0};  // user + system time of the child itself
    // From the sandbox (confined commands only):
    int leftovers = 0;           // processes still running after the main one ended (then killed)
    bool out_of_memory = false;  // stopped by the memory limit
    bool out_of_disk = false;    // stopped by the disk limit
    long peak_memory = 0;        // bytes, when measured

    bool ok() const { return end == ProcessEnd::exited && exit_code == 0; }
};

// Runs a command to completion. An Error means the grader could not start it at all (no such
// program, fork failed); whatever the child then does is in Completed.
Result<Completed> run(const Command& command);

// Human words for how a process ended: "exit status 1", "killed by SIGSEGV (segmentation fault)".
std::string describe_end(const Completed& completed);

}  // namespace grade
