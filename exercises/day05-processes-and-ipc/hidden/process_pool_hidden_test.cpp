// Misconceptions: "results come back in the order the workers finish" (map() must return them in
// input order), "a pipe closes when its process dies" (end-of-file comes only once EVERY write
// end is closed: a copy kept by the pool, or inherited by a later worker, hides a dead worker
// for ever), "write all the work first, read the answers afterwards" (a pipe holds 64 KiB: with
// big messages both sides wait for each other to read), "one job at a time is still a pool",
// "the destructor can wait for the workers before telling them to stop", and "fork is fork"
// (a worker forked from a program whose other thread holds a mutex inherits that mutex locked,
// with nobody left to unlock it: the fork server exists to fork from a process that never had
// threads). Hidden tests for task 4.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "process_pool.hpp"

namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::byte>;
namespace fs = std::filesystem;

Bytes bytes(const std::string& text) {
    Bytes out;
    for (const char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

std::string text(std::span<const std::byte> data) {
    return std::string(reinterpret_cast<const char*>(data.data()), data.size());
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---- looking at processes through /proc ---------------------------------------------------------

struct ProcEntry {
    pid_t pid = 0;
    pid_t parent = 0;
    char state = '?';
};

std::optional<ProcEntry> proc_entry(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) {
        return std::nullopt;
    }
    std::istringstream fields(stat.substr(close + 2));
    ProcEntry entry;
    entry.pid = pid;
    if (!(fields >> entry.state >> entry.parent)) {
        return std::nullopt;
    }
    return entry;
}

std::vector<ProcEntry> all_processes() {
    std::vector<ProcEntry> found;
    std::error_code ec;
    for (const auto& dir : fs::directory_iterator("/proc", ec)) {
        const std::string name = dir.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        if (const auto entry = proc_entry(static_cast<pid_t>(std::stol(name)))) {
            found.push_back(*entry);
        }
    }
    return found;
}

// Every process below `root` (children, grandchildren, ...), zombies included.
std::vector<ProcEntry> descendants_of(pid_t root) {
    const auto all = all_processes();
    std::vector<ProcEntry> found;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        const pid_t at = todo.back();
        todo.pop_back();
        for (const auto& entry : all) {
            if (entry.parent == at) {
                found.push_back(entry);
                todo.push_back(entry.pid);
            }
        }
    }
    return found;
}

std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> found;
    for (const auto& entry : all_processes()) {
        if (entry.parent == parent) {
            found.push_back(entry.pid);
        }
    }
    return found;
}

constexpr long sys_read = 0;
constexpr long sys_write = 1;
constexpr long sys_futex = 202;

// The system call a thread is in: its number, -1 while it runs on a CPU, -2 if unknown.
long syscall_of(pid_t pid, pid_t tid = 0) {
    const std::string path = "/proc/" + std::to_string(pid) + (tid > 0 ? "/task/" + std::to_string(tid) : "") +
                             "/syscall";
    std::istringstream in(read_text(path));
    std::string word;
    if (!(in >> word)) {
        return -2;
    }
    if (word == "running") {
        return -1;
    }
    try {
        return std::stol(word);
    } catch (...) {
        return -2;
    }
}

std::string syscall_name(long number) {
    switch (number) {
        case 0: return "read()";
        case 1: return "write()";
        case 7: return "poll()";
        case 271: return "ppoll()";
        case 23: return "select()";
        case 270: return "pselect6()";
        case 232: return "epoll_wait()";
        case 281: return "epoll_pwait()";
        case 61: return "waitpid()";
        case 247: return "waitid()";
        case 202: return "a futex wait (the kernel's sleep behind a mutex, a condition variable or a join)";
        case 35: return "nanosleep()";
        case 230: return "clock_nanosleep()";
        case 34: return "pause()";
        case 45: return "recvfrom()";
        case 47: return "recvmsg()";
        case 44: return "sendto()";
        case 46: return "sendmsg()";
        default: return "system call " + std::to_string(number);
    }
}

// "asleep in read()", "running", "a zombie", ... for a process (or one of its threads).
std::string doing(pid_t pid, pid_t tid = 0) {
    std::optional<ProcEntry> entry = proc_entry(pid);
    char state = entry ? entry->state : '?';
    if (tid > 0) {
        const std::string stat = read_text("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
        const auto close = stat.rfind(')');
        state = close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
    }
    switch (state) {
        case 'Z': return "a zombie (it has ended; nobody has reaped it)";
        case 'R': return "running";
        case 'S':
        case 'D': {
            const long call = syscall_of(pid, tid);
            return call >= 0 ? "asleep in " + syscall_name(call) : "asleep";
        }
        case 'T':
        case 't': return "stopped";
        default: return "gone";
    }
}

// Names for the processes a test knows ("a worker of the first pool").
using Labels = std::map<pid_t, std::string>;

std::string who(pid_t pid, const Labels& labels) {
    if (pid == ::getpid()) {
        return "this process (the pool's)";
    }
    std::string name = "process " + std::to_string(pid);
    if (const auto label = labels.find(pid); label != labels.end()) {
        return name + " (" + label->second + ")";
    }
    const auto entry = proc_entry(pid);
    if (entry && entry->parent == ::getpid()) {
        return name + " (a child of this process)";
    }
    if (entry) {
        return name + " (a child of process " + std::to_string(entry->parent) + ")";
    }
    return name;
}

struct PipeEnd {
    int fd = -1;
    std::string pipe;  // "pipe:[inode]"
    bool write = false;
};

std::vector<PipeEnd> pipe_ends(pid_t pid) {
    std::vector<PipeEnd> found;
    const fs::path dir = "/proc/" + std::to_string(pid);
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator(dir / "fd", ec)) {
        std::error_code link_error;
        const std::string target = fs::read_symlink(fd.path(), link_error).string();
        if (link_error || target.rfind("pipe:", 0) != 0) {
            continue;
        }
        PipeEnd end;
        end.fd = std::stoi(fd.path().filename().string());
        end.pipe = target;
        std::istringstream info(read_text(dir / "fdinfo" / fd.path().filename()));
        for (std::string line; std::getline(info, line);) {
            if (line.rfind("flags:", 0) == 0) {
                const long flags = std::stol(line.substr(6), nullptr, 8);
                end.write = (flags & O_ACCMODE) != O_RDONLY;
            }
        }
        found.push_back(end);
    }
    return found;
}

// Who (this process or one of its descendants) holds a write end of `pipe`, as "X (fd N)" texts.
std::vector<std::pair<pid_t, std::string>> write_end_holders(const std::string& pipe, const Labels& labels) {
    std::vector<pid_t> candidates{::getpid()};
    for (const auto& entry : descendants_of(::getpid())) {
        if (entry.state != 'Z') {
            candidates.push_back(entry.pid);
        }
    }
    std::vector<std::pair<pid_t, std::string>> holders;
    for (const pid_t pid : candidates) {
        for (const auto& end : pipe_ends(pid)) {
            if (end.write && end.pipe == pipe) {
                holders.emplace_back(pid, who(pid, labels) + " (its fd " + std::to_string(end.fd) + ")");
            }
        }
    }
    return holders;
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    }
    return out;
}

// What every process below this one is doing, and for each one asleep in read(): who still holds
// a write end of the pipes it reads from (the reason it gets no end-of-file).
std::string describe_processes(const Labels& labels) {
    std::vector<std::string> lines;
    for (const auto& entry : descendants_of(::getpid())) {
        std::string line = who(entry.pid, labels) + " is " + doing(entry.pid);
        if (entry.state == 'S' && syscall_of(entry.pid) == sys_read) {
            std::vector<std::string> holders;
            for (const auto& end : pipe_ends(entry.pid)) {
                if (end.fd >= 3 && !end.write) {
                    for (const auto& holder : write_end_holders(end.pipe, labels)) {
                        holders.push_back(holder.second);
                    }
                }
            }
            if (!holders.empty()) {
                line += "; a write end of the pipe it reads is still open in " + joined(holders);
            }
        }
        lines.push_back(line);
    }
    if (lines.empty()) {
        return "No process below this one is left.";
    }
    std::string out;
    for (const auto& line : lines) {
        out += line + ".\n";
    }
    return out;
}

// Kills every process below this one and reaps this process's own children, so that a test that
// has given up leaves nothing behind (the grader fails a test whose processes outlive it).
void kill_descendants() {
    for (int round = 0; round < 3; ++round) {
        for (const auto& entry : descendants_of(::getpid())) {
            ::kill(entry.pid, SIGKILL);
        }
        for (const pid_t child : children_of(::getpid())) {
            ::waitpid(child, nullptr, 0);
        }
    }
}

// ---- running something that may hang ------------------------------------------------------------

// Runs `work` on a thread of its own, so that the test can wait for it with a limit, look at the
// processes when it does not finish, and still end (the thread is detached; what it uses must be
// owned by the closure).
class Attempt {
public:
    explicit Attempt(std::function<void()> work) : m_state(std::make_shared<State>()) {
        std::thread([state = m_state, work = std::move(work)] {
            state->tid = ct::current_tid();
            std::exception_ptr error;
            try {
                work();
            } catch (...) {
                error = std::current_exception();
            }
            std::scoped_lock lock(state->mutex);
            state->error = error;
            state->done = true;
            state->cv.notify_all();
        }).detach();
    }

    bool finished_within(std::chrono::milliseconds limit) {
        std::unique_lock lock(m_state->mutex);
        return m_state->cv.wait_for(lock, limit, [&] { return m_state->done; });
    }
    pid_t tid() const { return m_state->tid.load(); }
    std::exception_ptr error() const {
        std::scoped_lock lock(m_state->mutex);
        return m_state->error;
    }

private:
    struct State {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
        std::exception_ptr error;
        std::atomic<pid_t> tid{0};
    };
    std::shared_ptr<State> m_state;
};

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

bool is_runtime_error(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::runtime_error&) {
        return true;
    } catch (...) {
        return false;
    }
}

// A pool and what the test's attempts do with it, owned jointly by the test and the attempts.
struct PoolRun {
    std::unique_ptr<cc::ProcessPool> pool;
    std::vector<Bytes> inputs;
    std::vector<Bytes> results;
};

constexpr auto limit = 10s;  // for anything the reference does in milliseconds

// map() on `run` within the limit. On a hang: `why(tid)` explains, every descendant is killed,
// and the test fails. Returns the error map() threw, if any.
std::optional<std::exception_ptr> map_within(const std::shared_ptr<PoolRun>& run, const std::string& what,
                                             const std::function<std::string(pid_t)>& why) {
    ct::step(what + " must return or throw");
    Attempt attempt([run, pool = run->pool.get()] { run->results = pool->map(run->inputs); });
    if (!attempt.finished_within(limit)) {
        const std::string explanation = why(attempt.tid());
        kill_descendants();
        if (!attempt.finished_within(3s)) {
            (void)run->pool.release();  // still inside map(): leave it to its thread (a leak, on purpose)
        }
        ADD_FAILURE() << explanation;
        return std::nullopt;
    }
    return attempt.error();
}

// Destroys the pool within the limit; on a hang `why(tid)` explains and the test fails.
bool destroy_within(const std::shared_ptr<PoolRun>& run, const std::function<std::string(pid_t)>& why) {
    ct::step("~ProcessPool() must return");
    Attempt attempt([run] { run->pool.reset(); });
    if (!attempt.finished_within(limit)) {
        const std::string explanation = why(attempt.tid());
        kill_descendants();
        attempt.finished_within(3s);
        ADD_FAILURE() << explanation;
        return false;
    }
    return true;
}

std::string generic_hang(const std::string& what, pid_t tid, const Labels& labels = {}) {
    return what + " did not return within 10 s (the reference needs milliseconds). Its thread is " +
           doing(::getpid(), tid) + ".\n" + describe_processes(labels);
}

std::string destructor_hang(pid_t tid, const Labels& labels = {}) {
    return "~ProcessPool() did not return within 10 s. Its thread is " + doing(::getpid(), tid) + ".\n" +
           describe_processes(labels) +
           "A worker learns that its pool is done only from end-of-file on its request pipe, which comes once every "
           "write end of that pipe is closed: close all the request pipes before waiting for any worker, and make "
           "sure no other process holds a copy (the pool's process after the fork, a worker that inherited it).";
}

// ---- jobs (plain functions: ProcessPool::Job) -----------------------------------------------------

Bytes tagged(std::span<const std::byte> input) { return bytes("<" + text(input) + ">"); }

Bytes tag_job(std::span<const std::byte> input) { return tagged(input); }

Bytes echo_job(std::span<const std::byte> input) { return Bytes(input.begin(), input.end()); }

bool wait_for_file(const char* path, std::chrono::milliseconds within) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (::access(path, F_OK) != 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

void touch(const char* path) { std::ofstream(path).put('x'); }

// "first" waits (up to 3 s) until the job for "last" has run, so its reply comes after the
// replies for everything a free worker did in between.
Bytes order_job(std::span<const std::byte> input) {
    const std::string in = text(input);
    if (in == "first") {
        wait_for_file("order-gate", 3s);
    } else if (in == "last") {
        touch("order-gate");
    }
    return tagged(input);
}

// Three jobs that wait (up to 5 s) until all three have started: "met" if they did.
Bytes meet_job(std::span<const std::byte> input) {
    touch(("arrived-" + text(input)).c_str());
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
        int arrived = 0;
        for (const char* name : {"arrived-a", "arrived-b", "arrived-c"}) {
            arrived += ::access(name, F_OK) == 0 ? 1 : 0;
        }
        if (arrived == 3) {
            return bytes("met");
        }
        // One that gave up already: the others would wait in vain.
        if (::access("gave-up", F_OK) == 0 || std::chrono::steady_clock::now() > deadline) {
            touch("gave-up");
            return bytes("alone");
        }
        std::this_thread::sleep_for(1ms);
    }
}

// "crash": writes down the pipes this worker can write to (its reply pipe, in the reference),
// then dies without replying.
Bytes crash_job(std::span<const std::byte> input) {
    if (text(input) == "crash") {
        std::ofstream out("crash-pipes");
        for (const auto& end : pipe_ends(::getpid())) {
            if (end.fd >= 3 && end.write) {
                out << end.pipe << "\n";
            }
        }
        out.close();
        std::raise(SIGKILL);
    }
    return tagged(input);
}

Bytes throw_job(std::span<const std::byte> input) {
    const std::string in = text(input);
    if (in.rfind("throw:", 0) == 0) {
        throw std::runtime_error("job refused " + in.substr(6));
    }
    return tagged(input);
}

std::mutex g_log_mutex;
long g_log_lines = 0;

// Logs a line (under the program's logging mutex), like any job with a logger would.
Bytes logging_job(std::span<const std::byte> input) {
    {
        std::scoped_lock lock(g_log_mutex);
        ++g_log_lines;
    }
    return tagged(input);
}

std::vector<Bytes> tags_of(const std::vector<Bytes>& inputs) {
    std::vector<Bytes> out;
    for (const auto& input : inputs) {
        out.push_back(tagged(input));
    }
    return out;
}

std::string shown(const std::vector<Bytes>& values) {
    std::vector<std::string> parts;
    for (const auto& value : values) {
        parts.push_back("\"" + text(value).substr(0, 20) + "\"");
    }
    return "[" + joined(parts) + "]";
}

// ---- tests ----------------------------------------------------------------------------------------

TEST(ProcessPoolHidden, ResultsKeepInputOrder) {
    fs::remove("order-gate");
    auto run = std::make_shared<PoolRun>();
    run->inputs.push_back(bytes("first"));
    for (int i = 1; i <= 8; ++i) {
        run->inputs.push_back(bytes("middle " + std::to_string(i)));
    }
    run->inputs.push_back(bytes("last"));
    ct::step("constructing a ProcessPool of 2 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(2, order_job);
    const auto error = map_within(run, "map() of 10 inputs", [](pid_t tid) { return generic_hang("map()", tid); });
    if (!error) {
        return;
    }
    ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
    EXPECT_EQ(run->results, tags_of(run->inputs))
        << "the job for input 0 finished last (it waits until the job for the last input has run), so the replies "
        << "came back in another order than the inputs; map() returned " << shown(run->results)
        << ". It must return job(inputs[i]) at index i: remember which input each worker has, and store its reply "
        << "there.";
    destroy_within(run, [](pid_t tid) { return destructor_hang(tid); });
}

TEST(ProcessPoolHidden, WorkersRunAtTheSameTime) {
    for (const char* name : {"arrived-a", "arrived-b", "arrived-c", "gave-up"}) {
        fs::remove(name);
    }
    auto run = std::make_shared<PoolRun>();
    run->inputs = {bytes("a"), bytes("b"), bytes("c")};
    ct::step("constructing a ProcessPool of 3 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(3, meet_job);
    const auto error = map_within(run, "map() of 3 jobs that wait for each other",
                                  [](pid_t tid) { return generic_hang("map()", tid); });
    if (!error) {
        return;
    }
    ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
    EXPECT_EQ(run->results, (std::vector<Bytes>{bytes("met"), bytes("met"), bytes("met")}))
        << "a pool of 3 workers ran 3 jobs that each wait (up to 5 s) until all three have started, and they never "
        << "all ran at once: map() returned " << shown(run->results)
        << ". The point of a pool is that its workers work at the same time: give every free worker an input before "
        << "waiting for any reply.";
    destroy_within(run, [](pid_t tid) { return destructor_hang(tid); });
}

void crash_scenario(cc::StartMethod method) {
    fs::remove("crash-pipes");
    const std::vector<pid_t> before = children_of(::getpid());  // the fork server, if any
    auto run = std::make_shared<PoolRun>();
    // "crash" first: with a pool that deals inputs in worker order it goes to the first worker, and
    // the diagnosis below lists whoever still holds a write end of its pipes (only the text
    // depends on which worker it reaches).
    run->inputs = {bytes("crash"), bytes("a"), bytes("b"), bytes("c"), bytes("d")};
    ct::step("constructing a ProcessPool of 3 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(3, crash_job, method);
    const auto error = map_within(run, "map() while a worker dies", [](pid_t tid) {
        std::string out = "map() did not return within 10 s after a worker died in the middle of a job (it killed "
                          "itself with SIGKILL while running input 0). The thread in map() is " +
                          doing(::getpid(), tid) + ". ";
        std::vector<std::string> dead_pipes;
        std::istringstream lines(read_text("crash-pipes"));
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty()) {
                dead_pipes.push_back(line);
            }
        }
        std::vector<std::pair<pid_t, std::string>> holders;
        for (const auto& pipe : dead_pipes) {
            for (const auto& holder : write_end_holders(pipe, {})) {
                holders.push_back(holder);
            }
        }
        if (dead_pipes.empty()) {
            out += "(The dead worker had no pipe open for writing when it died, so this test cannot say who else holds "
                   "its channel: it follows pipes only, not sockets.)\n";
        } else if (holders.empty()) {
            out += "No process holds a write end of the dead worker's pipes any more, so its reply pipe is at "
                   "end-of-file: map() must take end-of-file (recv_frame() returns nullopt, or throws on a cut "
                   "frame) from a worker that owes a reply as a dead worker, and throw std::runtime_error.\n";
        } else {
            std::vector<std::string> names;
            bool self = false;
            bool child = false;
            bool grandchild = false;
            for (const auto& [pid, name] : holders) {
                names.push_back(name);
                const auto entry = proc_entry(pid);
                self = self || pid == ::getpid();
                child = child || (entry && entry->parent == ::getpid());
                grandchild = grandchild || (entry && pid != ::getpid() && entry->parent != ::getpid());
            }
            out += "A pipe reports end-of-file only when every write end of it is closed, and a write end of the "
                   "dead worker's reply pipe is still open in " +
                   joined(names) + ", so map() can wait for ever.";
            if (self) {
                out += " The pool's own process must close the worker's ends of both pipes right after the fork "
                       "(or after handing them to the fork server).";
            }
            if (child || grandchild) {
                out += " A process forked after the dead worker inherited its pipe: every worker must close every "
                       "descriptor except its own two pipe ends (close_range), and the fork server must close its "
                       "copies of the ends it received once it has forked the worker.";
            }
            out += "\n";
        }
        return out + describe_processes({});
    });
    if (!error) {
        return;
    }
    ASSERT_TRUE(*error) << "map() returned " << shown(run->results) << " although the worker running input 0 died "
                        << "(SIGKILL) without replying: a dead worker must make map() throw std::runtime_error";
    EXPECT_TRUE(is_runtime_error(*error)) << "map() threw, but not a std::runtime_error: " << describe(*error);

    // A broken pool stays broken.
    run->inputs = {bytes("e")};
    const auto again = map_within(run, "map() on a pool whose worker has died",
                                  [](pid_t tid) { return generic_hang("map() on a broken pool", tid); });
    if (!again) {
        return;
    }
    EXPECT_TRUE(*again && is_runtime_error(*again))
        << "after a worker died, the next map() must throw std::runtime_error too (the pool is broken), but it "
        << (*again ? "threw " + describe(*again) : "returned " + shown(run->results));

    if (!destroy_within(run, [](pid_t tid) { return destructor_hang(tid); })) {
        return;
    }
    if (method == cc::StartMethod::fork) {
        errno = 0;
        const pid_t left = ::waitpid(-1, nullptr, WNOHANG);
        const int error_number = errno;
        if (left != -1) {
            kill_descendants();
        }
        EXPECT_TRUE(left == -1 && error_number == ECHILD)
            << "after ~ProcessPool() of a pool whose worker died, a worker process was left "
            << (left > 0 ? "as a zombie" : "running") << ": the destructor must reap every worker, the dead one too";
    } else {
        std::vector<pid_t> left;
        const bool gone = ct::eventually(
            [&] {
                left.clear();
                for (const pid_t server : before) {
                    for (const pid_t worker : children_of(server)) {
                        left.push_back(worker);
                    }
                }
                return left.empty();
            },
            5s);
        EXPECT_TRUE(gone) << "5 s after ~ProcessPool() of a forkserver pool whose worker died, the fork server still "
                          << "had " << left.size() << " child process(es): every worker must end, and the server must "
                          << "reap them";
    }
}

TEST(ProcessPoolHidden, WorkerCrashMakesMapThrow) { crash_scenario(cc::StartMethod::fork); }

TEST(ProcessPoolHidden, ForkserverWorkerCrashMakesMapThrow) {
    cc::prepare_forkserver();  // first thing: this test's process has one thread here
    crash_scenario(cc::StartMethod::forkserver);
}

TEST(ProcessPoolHidden, JobExceptionReachesTheCaller) {
    auto run = std::make_shared<PoolRun>();
    run->inputs = {bytes("a"), bytes("throw:x"), bytes("b"), bytes("c")};
    ct::step("constructing a ProcessPool of 2 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(2, throw_job);
    const auto error =
        map_within(run, "map() with a job that throws", [](pid_t tid) { return generic_hang("map()", tid); });
    if (!error) {
        return;
    }
    ASSERT_TRUE(*error) << "the job threw std::runtime_error(\"job refused x\") for input 1, but map() returned "
                        << shown(run->results) << ": the exception must reach map()'s caller";
    const std::string message = describe(*error);
    EXPECT_TRUE(is_runtime_error(*error)) << "map() threw, but not a std::runtime_error: " << message;
    EXPECT_NE(message.find("job refused x"), std::string::npos)
        << "map() threw \"" << message << "\": its message must contain the job's what(), \"job refused x\" (send it "
        << "back in the reply, marked as an error)";
    run->inputs = {bytes("d"), bytes("e")};
    const auto after =
        map_within(run, "map() after a job threw", [](pid_t tid) { return generic_hang("map()", tid); });
    if (!after) {
        return;
    }
    EXPECT_FALSE(*after) << "after a job threw, the pool must stay usable, but the next map() threw: " << describe(*after)
                         << ". A job's exception is not a dead worker: the worker catches it, replies, and goes on.";
    if (!*after) {
        EXPECT_EQ(run->results, tags_of(run->inputs)) << "map() after a job threw returned wrong results";
    }
    destroy_within(run, [](pid_t tid) { return destructor_hang(tid); });
}

TEST(ProcessPoolHidden, MebibyteInputsAndResultsDoNotDeadlock) {
    auto run = std::make_shared<PoolRun>();
    auto rng = ct::rng(5);
    for (int i = 0; i < 8; ++i) {
        Bytes input(1 << 20);
        for (auto& b : input) {
            b = static_cast<std::byte>(rng.next());
        }
        run->inputs.push_back(std::move(input));
    }
    ct::step("constructing a ProcessPool of 2 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(2, echo_job);
    const auto error = map_within(run, "map() of 8 inputs of 1 MiB", [](pid_t tid) {
        const long call = syscall_of(::getpid(), tid);
        std::string out = "map() of 8 inputs of 1 MiB (the job returns its input) did not return within 10 s. Its "
                          "thread is " +
                          doing(::getpid(), tid) + ".\n" + describe_processes({});
        if (call == sys_write) {
            out += "The pool is blocked sending an input while its workers cannot read it: a worker that is itself "
                   "blocked writing its 1 MiB reply into a pipe that holds 64 KiB waits for the pool to read, and "
                   "the pool waits for the worker. Send a worker its next input only after it has replied, and read "
                   "replies as they come (poll()).";
        }
        return out;
    });
    if (!error) {
        return;
    }
    ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
    ASSERT_EQ(run->results.size(), run->inputs.size());
    for (std::size_t i = 0; i < run->inputs.size(); ++i) {
        EXPECT_TRUE(run->results[i] == run->inputs[i])
            << "the result for input " << i << " (1 MiB, returned unchanged by the job) came back with "
            << run->results[i].size() << " bytes or different content";
    }
    destroy_within(run, [](pid_t tid) { return destructor_hang(tid); });
}

TEST(ProcessPoolHidden, DestructorReapsEveryWorker) {
    auto run = std::make_shared<PoolRun>();
    for (int i = 0; i < 8; ++i) {
        run->inputs.push_back(bytes(std::to_string(i)));
    }
    ct::step("constructing a ProcessPool of 4 workers must return");
    run->pool = std::make_unique<cc::ProcessPool>(4, tag_job);
    const std::vector<pid_t> workers = children_of(::getpid());
    EXPECT_EQ(workers.size(), 4U) << "a ProcessPool(4, ...) with StartMethod::fork must have forked 4 worker processes";
    const auto error = map_within(run, "map() of 8 inputs", [](pid_t tid) { return generic_hang("map()", tid); });
    if (!error) {
        return;
    }
    ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
    EXPECT_EQ(run->results, tags_of(run->inputs));
    Labels labels;
    for (const pid_t worker : workers) {
        labels[worker] = "a worker of the pool";
    }
    if (!destroy_within(run, [&](pid_t tid) { return destructor_hang(tid, labels); })) {
        return;
    }
    std::vector<std::string> left;
    for (const pid_t worker : workers) {
        if (const auto entry = proc_entry(worker); entry && entry->parent == ::getpid()) {
            left.push_back(std::to_string(worker) + (entry->state == 'Z' ? " (a zombie)" : " (" + doing(worker) + ")"));
        }
    }
    errno = 0;
    const bool no_children = ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
    if (!no_children) {
        kill_descendants();
    }
    EXPECT_TRUE(left.empty() && no_children)
        << "after ~ProcessPool() returned, worker process(es) " << joined(left) << " were still there: the destructor "
        << "must wait for every worker to end and reap it (waitpid), or they stay behind as zombies or keep running";
}

TEST(ProcessPoolHidden, OlderPoolShutsDownWhileAYoungerOneLives) {
    auto older = std::make_shared<PoolRun>();
    auto younger = std::make_shared<PoolRun>();
    older->inputs = {bytes("o1"), bytes("o2"), bytes("o3")};
    younger->inputs = {bytes("y1"), bytes("y2"), bytes("y3")};
    ct::step("constructing two ProcessPools of 2 workers must return");
    older->pool = std::make_unique<cc::ProcessPool>(2, tag_job);
    const std::vector<pid_t> older_workers = children_of(::getpid());
    younger->pool = std::make_unique<cc::ProcessPool>(2, tag_job);
    Labels labels;
    for (const pid_t pid : children_of(::getpid())) {
        const bool old = std::find(older_workers.begin(), older_workers.end(), pid) != older_workers.end();
        labels[pid] = old ? "a worker of the older pool" : "a worker of the younger pool";
    }
    for (const auto& run : {older, younger}) {
        const auto error = map_within(run, "map() of 3 inputs", [&](pid_t tid) { return generic_hang("map()", tid, labels); });
        if (!error) {
            return;
        }
        ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
        EXPECT_EQ(run->results, tags_of(run->inputs));
    }
    // The older pool goes first, while the younger one's workers (forked later) are alive.
    if (!destroy_within(older, [&](pid_t tid) {
            return destructor_hang(tid, labels) +
                   " A worker of the younger pool was forked while the older pool's pipes were open, so it holds "
                   "copies of them unless it closes every descriptor except its own two pipe ends (close_range).";
        })) {
        return;
    }
    destroy_within(younger, [&](pid_t tid) { return destructor_hang(tid, labels); });
}

TEST(ProcessPoolHidden, ForkserverWorkersDoNotInheritALockedMutex) {
    // First thing, while this test's process has one thread: the server is a copy of it as it is now.
    cc::prepare_forkserver();
    const std::vector<pid_t> server = children_of(::getpid());

    // A thread that holds the logging mutex nearly all the time (it logs slowly).
    std::atomic<bool> stop{false};
    std::atomic<bool> holding{false};
    std::thread holder([&] {
        while (!stop.load()) {
            std::scoped_lock lock(g_log_mutex);
            holding = true;
            std::this_thread::sleep_for(20ms);
        }
    });
    ct::eventually([&] { return holding.load(); }, 5s);

    auto run = std::make_shared<PoolRun>();
    for (int i = 0; i < 8; ++i) {
        run->inputs.push_back(bytes("line " + std::to_string(i)));
    }
    ct::step("a ProcessPool(4, job that logs, StartMethod::forkserver) and its map() must finish");
    Attempt attempt([run] {
        run->pool = std::make_unique<cc::ProcessPool>(4, logging_job, cc::StartMethod::forkserver);
        run->results = run->pool->map(run->inputs);
        run->pool.reset();
    });
    std::string explanation;
    const bool finished = attempt.finished_within(limit);
    if (!finished) {
        std::vector<std::string> forked_here;
        std::vector<std::string> forked_by_server;
        for (const auto& entry : descendants_of(::getpid())) {
            if (entry.state == 'S' && syscall_of(entry.pid) == sys_futex) {
                (entry.parent == ::getpid() ? forked_here : forked_by_server).push_back(std::to_string(entry.pid));
            }
        }
        explanation = "Building a ProcessPool(4, ..., StartMethod::forkserver), mapping 8 inputs with a job that takes "
                      "the logging mutex, and destroying the pool did not finish within 10 s, while another thread of "
                      "this process held that mutex nearly all the time. Its thread is " +
                      doing(::getpid(), attempt.tid()) + ".\n";
        if (!forked_here.empty()) {
            explanation += "Worker process(es) " + joined(forked_here) +
                           " are children of this process (not of the fork server) and sleep on a futex: they were "
                           "forked from this multi-threaded process while the other thread held the logging mutex. "
                           "fork() copies only the thread that calls it, so in the worker the mutex is locked and the "
                           "thread that would unlock it does not exist: the job's lock() waits for ever. With "
                           "StartMethod::forkserver, every worker must be forked by the fork server, which "
                           "prepare_forkserver() started while the program had one thread.\n";
        } else if (!forked_by_server.empty()) {
            explanation += "Process(es) " + joined(forked_by_server) + " below the fork server sleep on a futex.\n";
        }
        explanation += describe_processes({});
        // Free what can be freed: the stuck workers die, map() then sees them as dead workers.
        for (const auto& entry : descendants_of(::getpid())) {
            if (entry.state == 'S' && syscall_of(entry.pid) == sys_futex) {
                ::kill(entry.pid, SIGKILL);
            }
        }
        if (!attempt.finished_within(3s)) {
            kill_descendants();
            attempt.finished_within(3s);
        }
    }
    stop = true;
    holder.join();
    if (!finished) {
        FAIL() << explanation;
    }
    const auto error = attempt.error();
    ASSERT_FALSE(error) << "the forkserver pool threw: " << describe(error);
    EXPECT_EQ(run->results, tags_of(run->inputs));
    EXPECT_EQ(children_of(::getpid()), server) << "after ~ProcessPool() the only child of this process should be the "
                                               << "fork server";
}

TEST(ProcessPoolHidden, ForkserverLeavesNoWorkerBehind) {
    cc::prepare_forkserver();  // first thing: this test's process has one thread here
    const std::vector<pid_t> servers = children_of(::getpid());
    ASSERT_EQ(servers.size(), 1U) << "prepare_forkserver() must start exactly one process, the fork server";
    const pid_t server = servers.front();
    cc::prepare_forkserver();
    EXPECT_EQ(children_of(::getpid()).size(), 1U) << "a second prepare_forkserver() must not start another server";

    auto run = std::make_shared<PoolRun>();
    for (int i = 0; i < 6; ++i) {
        run->inputs.push_back(bytes(std::to_string(i)));
    }
    ct::step("constructing a ProcessPool of 3 workers with StartMethod::forkserver must return");
    run->pool = std::make_unique<cc::ProcessPool>(3, tag_job, cc::StartMethod::forkserver);
    const auto workers = children_of(server);
    EXPECT_EQ(workers.size(), 3U) << "with StartMethod::forkserver, the fork server (process " << server
                                  << ") must fork the 3 workers; it has " << workers.size() << " children";
    EXPECT_EQ(children_of(::getpid()).size(), 1U) << "with StartMethod::forkserver, the pool's own process must not "
                                                  << "fork workers: its only child should be the fork server";
    const auto error = map_within(run, "map() of 6 inputs", [](pid_t tid) { return generic_hang("map()", tid); });
    if (!error) {
        return;
    }
    ASSERT_FALSE(*error) << "map() threw: " << describe(*error);
    EXPECT_EQ(run->results, tags_of(run->inputs));
    if (!destroy_within(run, [](pid_t tid) { return destructor_hang(tid); })) {
        return;
    }
    std::vector<pid_t> left;
    const bool gone = ct::eventually(
        [&] {
            left = children_of(server);
            return left.empty();
        },
        5s);
    std::vector<std::string> described;
    for (const pid_t pid : left) {
        described.push_back(std::to_string(pid) + " (" + doing(pid) + ")");
    }
    EXPECT_TRUE(gone) << "5 s after ~ProcessPool() returned, the fork server still had child process(es) "
                      << joined(described) << ". "
                      << (std::any_of(left.begin(), left.end(),
                                      [](pid_t pid) { return proc_entry(pid) && proc_entry(pid)->state == 'Z'; })
                              ? "The workers ended, but nobody reaped them: the server must reap its children "
                                "(signal(SIGCHLD, SIG_IGN) in the server lets the kernel do it)."
                              : "The workers must end when the pool closes their request pipes.");
}

TEST(ProcessPoolHidden, BadArgumentsAreRejected) {
    EXPECT_THROW(cc::ProcessPool(2, tag_job, cc::StartMethod::forkserver), std::logic_error)
        << "StartMethod::forkserver without prepare_forkserver() must throw std::logic_error";
    EXPECT_THROW(cc::ProcessPool(0, tag_job), std::invalid_argument) << "a pool of 0 workers";
    EXPECT_THROW(cc::ProcessPool(3, nullptr), std::invalid_argument) << "a pool without a job";
    errno = 0;
    const bool no_children = ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
    if (!no_children) {
        kill_descendants();
    }
    EXPECT_TRUE(no_children) << "constructors that threw left a child process behind: check the arguments before "
                             << "forking, and reap whatever was started when a constructor fails";
}

}  // namespace
