// The implementation of Asio's custom handler tracking hooks (ct/asio_tracking.hpp) and of
// ct::HandlerWatch (ct/handler_watch.hpp). Compiled only for days that use Asio.
//
// Hot path (every handler): two steady_clock reads, two CLOCK_THREAD_CPUTIME_ID reads, two
// getrusage(RUSAGE_THREAD) calls and one short mutex-protected update: about a microsecond.
// Cold path (a handler that has already run for the threshold while a HandlerWatch exists): the
// sampler thread reads the thread's current system call from /proc and only then sends it a
// signal; the signal handler copies the call stack (glibc backtrace(), primed beforehand so it
// never loads libgcc_s inside the handler). The signal can cut the handler's system call short
// (poll, select and nanosleep return EINTR even with SA_RESTART), so the verdict never depends on
// what the handler does after it: the handler had run the threshold before anything was sent, and
// if /proc showed it inside a system call then, it was waiting of its own doing.
// Symbolising (libbacktrace, DWARF of the test binary and its libraries) happens only in report().
#include <backtrace.h>
#include <cxxabi.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ct/asio_tracking.hpp"
#include "ct/handler_watch.hpp"

namespace ct::asio_tracking {
namespace {

constexpr int max_frames = 64;
constexpr std::size_t max_threads = 256;
constexpr std::size_t max_blocking_kept = 32;
constexpr long syscall_running = -1;  // the thread was on the CPU, not in a system call
constexpr long syscall_unknown = -2;

std::int64_t now_ns(clockid_t clock) {
    timespec ts{};
    ::clock_gettime(clock, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One per thread that ever ran a handler. The signal handler reaches it through t_slot, a
// trivially initialised thread_local (plain TLS access, safe in a signal handler).
struct Slot {
    std::atomic<bool> used{false};
    pthread_t thread{};
    pid_t tid = 0;
    std::atomic<std::uint64_t> invocation{0};  // the outermost invocation running, 0 if none
    std::atomic<std::int64_t> started_ns{0};
    std::atomic<std::uint64_t> sample_requested{0};
    std::atomic<long> syscall{syscall_unknown};
    std::atomic<std::uint64_t> sample_id{0};  // written last by the signal handler
    void* frames[max_frames] = {};
    int frame_count = 0;
    std::uintptr_t interrupted_pc = 0;
};

std::array<Slot, max_threads> g_slots;
std::mutex g_registry;  // slot ownership vs. the sampler's pthread_kill
std::atomic<std::uint64_t> g_next_invocation{1};
thread_local Slot* t_slot = nullptr;

struct Measured {
    double wall_ms = 0;
    double cpu_ms = 0;
    long vcsw = 0;
    long ivcsw = 0;
    tracked_handler info;
    bool sampled = false;
    long syscall = syscall_unknown;
    std::uintptr_t interrupted_pc = 0;
    std::array<void*, max_frames> frames{};
    int frame_count = 0;
};

struct Stats {
    std::mutex mutex;
    std::uint64_t handlers = 0;
    bool have_worst = false;
    Measured worst;
    std::vector<Measured> blocking;
    std::size_t blocking_total = 0;
    std::atomic<std::int64_t> threshold_ns{100'000'000};
};

Stats& stats() {
    static Stats* s = new Stats;  // never destroyed: handlers may run during static destruction
    return *s;
}

// A handler held the loop if it took the threshold or more AND the time was its own doing: it
// switched away voluntarily (slept or waited in the kernel), or it computed for at least 5 % of the
// threshold. Correct handlers use microseconds of CPU, so a long one with neither was preempted by
// other processes. The CPU bar is low on purpose: with two CPU hogs on the same core and a loaded
// machine, a 400 ms spin was measured getting only 66 ms of CPU.
// A handler seen inside a system call once it had run the threshold was waiting, not preempted.
bool is_blocking(const Measured& m, double threshold_ms) {
    return m.wall_ms >= threshold_ms && (m.vcsw > 0 || m.cpu_ms >= threshold_ms / 20 || (m.sampled && m.syscall >= 0));
}

struct ThreadState {
    Slot* slot = nullptr;
    int depth = 0;
    std::uint64_t id = 0;
    std::int64_t wall_start = 0;
    std::int64_t cpu_start = 0;
    long vcsw_start = 0;
    long ivcsw_start = 0;
    tracked_handler info;
    const location* locations = nullptr;  // ASIO_HANDLER_LOCATION stack

    ~ThreadState() {
        if (slot != nullptr) {
            std::scoped_lock lock(g_registry);
            t_slot = nullptr;
            slot->used.store(false);
        }
    }

    Slot* ensure_slot() {
        if (slot == nullptr) {
            std::scoped_lock lock(g_registry);
            for (auto& s : g_slots) {
                if (!s.used.load()) {
                    s.thread = pthread_self();
                    s.tid = static_cast<pid_t>(::syscall(SYS_gettid));
                    s.invocation.store(0);
                    s.sample_requested.store(0);
                    s.sample_id.store(0);
                    s.used.store(true);
                    slot = &s;
                    t_slot = &s;
                    break;
                }
            }
        }
        return slot;
    }
};

thread_local ThreadState t_state;

void thread_switches(long& voluntary, long& involuntary) {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    voluntary = usage.ru_nvcsw;
    involuntary = usage.ru_nivcsw;
}

}  // namespace

location::location(const char* f, int l, const char* fn) noexcept
    : file(f), line(l), function(fn), next(const_cast<location*>(t_state.locations)) {
    t_state.locations = this;
}

location::~location() { t_state.locations = next; }

void creation(asio::execution_context&, tracked_handler& h, const char* object_type, void*, std::uintmax_t,
              const char* op_name) noexcept {
    h.ct_object_type = object_type;
    h.ct_op_name = op_name;
    // Asio 1.22 pushes a location only for use_awaitable_t objects made at the call site and for
    // co_spawn's own entry point; keep the innermost one that names a file.
    for (const location* l = t_state.locations; l != nullptr; l = l->next) {
        if (l->file != nullptr) {
            h.ct_file = l->file;
            h.ct_line = l->line;
            h.ct_function = l->function;
            break;
        }
    }
}

completion::completion(const tracked_handler& h) noexcept : m_info(h) {}

completion::~completion() {
    if (m_running) {
        invocation_end();
    }
}

void completion::begin() noexcept {
    m_running = true;
    ThreadState& t = t_state;
    if (t.depth++ > 0) {
        return;  // nested (an inline dispatch): its time belongs to the outermost invocation
    }
    t.id = g_next_invocation.fetch_add(1, std::memory_order_relaxed);
    t.info = m_info;
    thread_switches(t.vcsw_start, t.ivcsw_start);
    t.cpu_start = now_ns(CLOCK_THREAD_CPUTIME_ID);
    t.wall_start = now_ns(CLOCK_MONOTONIC);
    if (Slot* slot = t.ensure_slot()) {
        slot->started_ns.store(t.wall_start, std::memory_order_relaxed);
        slot->invocation.store(t.id, std::memory_order_release);
    }
}

void completion::invocation_end() noexcept {
    if (!m_running) {
        return;
    }
    m_running = false;
    ThreadState& t = t_state;
    if (t.depth <= 0 || --t.depth > 0) {
        return;
    }
    const std::int64_t wall_end = now_ns(CLOCK_MONOTONIC);
    const std::int64_t cpu_end = now_ns(CLOCK_THREAD_CPUTIME_ID);
    long vcsw = 0;
    long ivcsw = 0;
    thread_switches(vcsw, ivcsw);
    Measured m;
    m.wall_ms = static_cast<double>(wall_end - t.wall_start) / 1e6;
    m.cpu_ms = static_cast<double>(cpu_end - t.cpu_start) / 1e6;
    m.vcsw = vcsw - t.vcsw_start;
    m.ivcsw = ivcsw - t.ivcsw_start;
    m.info = t.info;
    if (Slot* slot = t.slot) {
        slot->invocation.store(0, std::memory_order_release);
        if (slot->sample_id.load(std::memory_order_acquire) == t.id) {
            m.sampled = true;
            m.syscall = slot->syscall.load(std::memory_order_relaxed);
            m.interrupted_pc = slot->interrupted_pc;
            m.frame_count = slot->frame_count;
            std::copy_n(slot->frames, slot->frame_count, m.frames.begin());
        }
    }
    Stats& s = stats();
    const double threshold_ms = static_cast<double>(s.threshold_ns.load()) / 1e6;
    std::scoped_lock lock(s.mutex);
    ++s.handlers;
    if (!s.have_worst || m.wall_ms > s.worst.wall_ms) {
        s.worst = m;
        s.have_worst = true;
    }
    if (is_blocking(m, threshold_ms)) {
        ++s.blocking_total;
        if (s.blocking.size() < max_blocking_kept) {
            try {
                s.blocking.push_back(m);
            } catch (...) {
            }
        }
    }
}

// --- the sampler -------------------------------------------------------------------------------

namespace {

int sample_signal() { return SIGRTMIN + 4; }

void on_sample_signal(int, siginfo_t*, void* context) {
    const int saved_errno = errno;
    Slot* slot = t_slot;
    if (slot != nullptr) {
        const std::uint64_t id = slot->invocation.load(std::memory_order_acquire);
        if (id != 0 && id == slot->sample_requested.load(std::memory_order_acquire)) {
#if defined(__x86_64__)
            slot->interrupted_pc =
                static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
            slot->interrupted_pc = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.pc);
#else
            (void)context;
            slot->interrupted_pc = 0;
#endif
            slot->frame_count = ::backtrace(slot->frames, max_frames);
            slot->sample_id.store(id, std::memory_order_release);
        }
    }
    errno = saved_errno;
}

// The number of the system call thread `tid` is blocked in, syscall_running if it is on the CPU,
// syscall_unknown if /proc does not say. No allocation: runs often.
long current_syscall(pid_t tid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", static_cast<int>(tid));
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return syscall_unknown;
    }
    char text[32] = {};
    const ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0) {
        return syscall_unknown;
    }
    if (std::strncmp(text, "running", 7) == 0) {
        return syscall_running;
    }
    char* end = nullptr;
    const long nr = std::strtol(text, &end, 10);
    return end == text || nr < 0 ? syscall_unknown : nr;
}

class Sampler {
public:
    Sampler(std::int64_t after_ns) : m_after_ns(after_ns) {
        void* prime[4];
        ::backtrace(prime, 4);  // loads the unwinder now, never inside the signal handler
        struct sigaction action {};
        action.sa_sigaction = on_sample_signal;
        action.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&action.sa_mask);
        ::sigaction(sample_signal(), &action, &m_previous);
        m_thread = std::thread([this] { run(); });
    }

    ~Sampler() {
        {
            std::scoped_lock lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
        // Leave the handler installed: a signal already sent may still be pending somewhere,
        // and the handler ignores threads that asked for nothing.
    }

private:
    void run() {
        pthread_setname_np(pthread_self(), "ct-handler-watch");
        std::unique_lock lock(m_mutex);
        while (!m_cv.wait_for(lock, std::chrono::milliseconds(5), [this] { return m_stop; })) {
            scan();
        }
    }

    void scan() {
        const std::int64_t now = now_ns(CLOCK_MONOTONIC);
        std::scoped_lock registry(g_registry);
        for (auto& slot : g_slots) {
            if (!slot.used.load()) {
                continue;
            }
            const std::uint64_t id = slot.invocation.load(std::memory_order_acquire);
            if (id == 0 || slot.sample_requested.load() == id) {
                continue;
            }
            if (now - slot.started_ns.load(std::memory_order_relaxed) < m_after_ns) {
                continue;
            }
            slot.syscall.store(current_syscall(slot.tid), std::memory_order_relaxed);
            slot.sample_requested.store(id, std::memory_order_release);
            ::pthread_kill(slot.thread, sample_signal());
        }
    }

    std::int64_t m_after_ns;
    struct sigaction m_previous {};
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stop = false;
    std::thread m_thread;
};

std::unique_ptr<Sampler> g_sampler;
std::atomic<bool> g_watching{false};

// --- symbolising ------------------------------------------------------------------------------

struct Frame {
    std::string function;  // demangled
    std::string file;      // full path from DWARF, "" if unknown
    int line = 0;
};

backtrace_state* symbol_state() {
    static backtrace_state* state = backtrace_create_state(nullptr, 1, [](void*, const char*, int) {}, nullptr);
    return state;
}

std::string demangle(const char* name) {
    if (name == nullptr) {
        return {};
    }
    int status = 0;
    char* text = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && text != nullptr) {
        std::string result(text);
        std::free(text);
        return result;
    }
    std::free(text);
    return name;
}

// "cc::worker(std::string, int, ...) [clone .actor]" -> "cc::worker";
// "std::future<void>::get()" -> "std::future::get".
std::string short_name(std::string name) {
    if (const auto clone = name.find(" [clone"); clone != std::string::npos) {
        name.erase(clone);
    }
    std::string out;
    int angle = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool is_operator_less = c == '<' && name.compare(i >= 8 ? i - 8 : 0, 8, "operator") == 0;
        if (c == '<' && !is_operator_less) {
            ++angle;
        } else if (c == '>' && angle > 0) {
            --angle;
        } else if (angle == 0) {
            out += c;
        }
    }
    while (out.ends_with(" const") || out.ends_with(" &") || out.ends_with(" &&")) {
        out.erase(out.rfind(' '));
    }
    if (!out.empty() && out.back() == ')') {
        int depth = 0;
        for (std::size_t i = out.size(); i-- > 0;) {
            if (out[i] == ')') {
                ++depth;
            } else if (out[i] == '(' && --depth == 0) {
                out.erase(i);
                break;
            }
        }
    }
    if (const auto space = out.rfind(' '); space != std::string::npos && out.find('(') == std::string::npos) {
        out.erase(0, space + 1);  // a return type printed before the name
    }
    return out;
}

// Innermost first, inlined frames included.
std::vector<Frame> symbolise(const Measured& m) {
    std::vector<Frame> frames;
    backtrace_state* state = symbol_state();
    if (state == nullptr) {
        return frames;
    }
    int first = 0;
    for (int i = 0; i < m.frame_count; ++i) {
        if (reinterpret_cast<std::uintptr_t>(m.frames[static_cast<std::size_t>(i)]) == m.interrupted_pc) {
            first = i;
            break;
        }
    }
    for (int i = first; i < m.frame_count; ++i) {
        auto pc = reinterpret_cast<std::uintptr_t>(m.frames[static_cast<std::size_t>(i)]);
        if (i != first || pc != m.interrupted_pc) {
            pc -= 1;  // a return address: look up the call instruction before it
        }
        std::vector<Frame> here;
        backtrace_pcinfo(
            state, pc,
            [](void* data, std::uintptr_t, const char* file, int line, const char* function) {
                auto* out = static_cast<std::vector<Frame>*>(data);
                out->push_back({demangle(function), file != nullptr ? file : "", line});
                return 0;
            },
            [](void*, const char*, int) {}, &here);
        std::string symbol;
        backtrace_syminfo(
            state, pc,
            [](void* data, std::uintptr_t, const char* name, std::uintptr_t, std::uintptr_t) {
                if (name != nullptr) {
                    *static_cast<std::string*>(data) = name;
                }
            },
            [](void*, const char*, int) {}, &symbol);
        symbol = demangle(symbol.c_str());
        if (here.empty() || (here.size() == 1 && here[0].function.empty())) {
            here.clear();
            here.push_back({symbol, "", 0});
        } else if (!symbol.empty() && here.back().function.find("::") == std::string::npos &&
                   short_name(symbol).find(short_name(here.back().function)) != std::string::npos) {
            // DWARF names a coroutine's body (GCC's "actor" function) without its namespace or
            // class ("worker"); the symbol table has the qualified name ("cc::worker(...) [clone
            // .actor]"). The symbol describes the outermost frame of this pc, never an inlined one.
            here.back().function = symbol;
        }
        frames.insert(frames.end(), here.begin(), here.end());
    }
    return frames;
}

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Code under test has an absolute path outside /usr (the tests), or is the student's: a day
// compiled under ccache's base directory names the student's files relative to the build
// directory ("../student/freezer.cpp"). System headers live in /usr, and glibc's debug information
// names its sources relatively ("../sysdeps/unix/sysv/linux/clock_nanosleep.c").
bool is_library_file(const std::string& file) {
    if (file.starts_with("../student/")) {
        return false;
    }
    return !file.starts_with("/") || file.starts_with("/usr/") || file.find("/grader/harness/") != std::string::npos;
}

std::string syscall_name(long nr) {
    switch (nr) {
        case syscall_running: return "running";
        case syscall_unknown: return "";
#ifdef SYS_nanosleep
        case SYS_nanosleep: return "nanosleep";
#endif
        case SYS_clock_nanosleep: return "clock_nanosleep";
        case SYS_futex: return "futex";
        case SYS_read: return "read";
        case SYS_write: return "write";
        case SYS_pread64: return "pread64";
        case SYS_readv: return "readv";
        case SYS_recvfrom: return "recvfrom";
        case SYS_recvmsg: return "recvmsg";
        case SYS_sendto: return "sendto";
        case SYS_connect: return "connect";
        case SYS_accept4: return "accept4";
#ifdef SYS_accept
        case SYS_accept: return "accept";
#endif
#ifdef SYS_poll
        case SYS_poll: return "poll";
#endif
        case SYS_ppoll: return "ppoll";
#ifdef SYS_select
        case SYS_select: return "select";
#endif
        case SYS_pselect6: return "pselect6";
#ifdef SYS_epoll_wait
        case SYS_epoll_wait: return "epoll_wait";
#endif
        case SYS_epoll_pwait: return "epoll_pwait";
        case SYS_wait4: return "wait4";
        case SYS_waitid: return "waitid";
#ifdef SYS_pause
        case SYS_pause: return "pause";
#endif
        case SYS_rt_sigtimedwait: return "rt_sigtimedwait";
        default: return "system call " + std::to_string(nr);
    }
}

HandlerInfo::Kind classify(const Measured& m, double threshold_ms) {
    if (m.wall_ms < threshold_ms) {
        return HandlerInfo::Kind::fast;
    }
    if (!is_blocking(m, threshold_ms)) {
        return HandlerInfo::Kind::preempted;
    }
    if (m.sampled && m.syscall >= 0) {
        const std::string name = syscall_name(m.syscall);
        if (name == "nanosleep" || name == "clock_nanosleep") {
            return HandlerInfo::Kind::sleep;
        }
        if (name == "futex") {
            return HandlerInfo::Kind::wait;
        }
        if (name.starts_with("system call")) {
            return HandlerInfo::Kind::blocked;
        }
        return HandlerInfo::Kind::io;
    }
    // No usable sample: the numbers alone. Computing burns CPU without voluntary switches;
    // waiting switches away voluntarily and burns almost none.
    if (m.vcsw == 0 || m.cpu_ms >= m.wall_ms / 2) {
        return HandlerInfo::Kind::cpu;
    }
    return HandlerInfo::Kind::blocked;
}

std::string describe_operation(const tracked_handler& info) {
    const std::string op = info.ct_op_name != nullptr ? info.ct_op_name : "";
    const std::string object = info.ct_object_type != nullptr ? info.ct_object_type : "";
    std::string text;
    if (object == "deadline_timer") {
        text = "the completion of a timer's " + op;
    } else if (object == "io_context" || object == "strand_executor" || object == "thread_pool") {
        text = "a handler given to " + op + " on a" + std::string(object == "io_context" ? "n " : " ") + object;
    } else if (!object.empty() || !op.empty()) {
        text = "the completion of " + op + " on " + object;
    } else {
        text = "a handler";
    }
    if (info.ct_file != nullptr && info.ct_line > 0) {
        text += " started at " + base_name(info.ct_file) + ":" + std::to_string(info.ct_line);
    }
    return text;
}

HandlerInfo to_info(const Measured& m, double threshold_ms, bool with_stack) {
    HandlerInfo info;
    info.kind = classify(m, threshold_ms);
    info.wall_ms = m.wall_ms;
    info.cpu_ms = m.cpu_ms;
    info.voluntary_switches = m.vcsw;
    info.involuntary_switches = m.ivcsw;
    info.operation = describe_operation(m.info);
    info.sampled = m.sampled;
    info.syscall = m.sampled ? syscall_name(m.syscall) : "";
    if (!with_stack || !m.sampled) {
        return info;
    }
    const auto frames = symbolise(m);
    std::size_t mine = frames.size();
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto& f = frames[i];
        info.stack.push_back((f.function.empty() ? std::string("??") : short_name(f.function)) +
                             (f.file.empty() ? "" : " (" + base_name(f.file) + ":" + std::to_string(f.line) + ")"));
        if (mine == frames.size() && !is_library_file(f.file) && f.line > 0) {
            mine = i;
        }
    }
    if (mine < frames.size()) {
        info.function = short_name(frames[mine].function);
        info.file = base_name(frames[mine].file);
        info.line = frames[mine].line;
        // The library function the code was calling: the outermost library frame inside it,
        // preferring one from a header (std::this_thread::sleep_for rather than nanosleep).
        for (std::size_t i = mine; i-- > 0;) {
            if (!frames[i].function.empty() && frames[i].file.starts_with("/usr/include/")) {
                info.callee = short_name(frames[i].function);
                break;
            }
        }
        if (info.callee.empty() && mine > 0 && !frames[mine - 1].function.empty()) {
            info.callee = short_name(frames[mine - 1].function);
            if (info.callee.starts_with("__GI___")) {
                info.callee.erase(0, 7);  // glibc's internal alias: __GI___poll is poll
            }
        }
    }
    return info;
}

std::string fixed(double value, int decimals) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string plural(long n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace
}  // namespace ct::asio_tracking

namespace ct {

using namespace ct::asio_tracking;

HandlerWatch::HandlerWatch(std::chrono::milliseconds threshold) : m_threshold(threshold) {
    if (g_watching.exchange(true)) {
        std::fprintf(stderr, "ct::HandlerWatch: only one may exist at a time\n");
        std::abort();
    }
    Stats& s = stats();
    {
        std::scoped_lock lock(s.mutex);
        s.handlers = 0;
        s.have_worst = false;
        s.blocking.clear();
        s.blocking_total = 0;
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(threshold).count();
    s.threshold_ns.store(ns);
    g_sampler = std::make_unique<Sampler>(ns);  // never before the handler has held the loop that long
}

HandlerWatch::~HandlerWatch() {
    g_sampler.reset();
    stats().threshold_ns.store(100'000'000);
    g_watching.store(false);
}

std::uint64_t HandlerWatch::handlers() const {
    Stats& s = stats();
    std::scoped_lock lock(s.mutex);
    return s.handlers;
}

HandlerInfo HandlerWatch::worst() const {
    Stats& s = stats();
    Measured worst;
    {
        std::scoped_lock lock(s.mutex);
        if (!s.have_worst) {
            return {};
        }
        worst = s.worst;
    }
    return to_info(worst, static_cast<double>(m_threshold.count()), true);
}

std::vector<HandlerInfo> HandlerWatch::blocking() const {
    Stats& s = stats();
    std::vector<Measured> copy;
    {
        std::scoped_lock lock(s.mutex);
        copy = s.blocking;
    }
    std::vector<HandlerInfo> result;
    for (const auto& m : copy) {
        result.push_back(to_info(m, static_cast<double>(m_threshold.count()), true));
    }
    return result;
}

std::string HandlerWatch::report() const {
    Stats& s = stats();
    std::vector<Measured> copy;
    std::size_t total = 0;
    {
        std::scoped_lock lock(s.mutex);
        copy = s.blocking;
        total = s.blocking_total;
    }
    if (copy.empty()) {
        return {};
    }
    const auto longest = std::max_element(copy.begin(), copy.end(),
                                          [](const Measured& a, const Measured& b) { return a.wall_ms < b.wall_ms; });
    std::string text;
    if (total > 1) {
        text = std::to_string(total) + " handlers blocked the event loop for " +
               std::to_string(m_threshold.count()) + " ms or more; the longest: ";
    }
    return text + describe(to_info(*longest, static_cast<double>(m_threshold.count()), true));
}

std::string HandlerWatch::describe(const HandlerInfo& info) {
    std::string where;
    if (!info.function.empty()) {
        where = " inside `" + info.function + "` (" + info.file + ":" + std::to_string(info.line) + ")";
    } else {
        where = " in " + info.operation;
    }
    const bool calling = !info.callee.empty() && info.kind != HandlerInfo::Kind::cpu;
    std::string text = "the event loop was blocked for " + fixed(info.wall_ms, 0) + " ms" + where +
                       (calling ? ", in " + info.callee : "") + ": ";
    const std::string numbers = fixed(info.wall_ms, 0) + " ms wall, " + fixed(info.cpu_ms, 1) + " ms CPU, " +
                                plural(info.voluntary_switches, "voluntary context switch", "voluntary context switches");
    switch (info.kind) {
        case HandlerInfo::Kind::sleep:
            text += "a blocking sleep in a coroutine (" + numbers + "; the thread was asleep in " + info.syscall +
                    "). While it sleeps, no other coroutine, timer or handler on this loop can run. Wait with a "
                    "timer instead: co_await a steady_timer's async_wait.";
            break;
        case HandlerInfo::Kind::wait:
            text += "a blocking wait (" + numbers +
                    "; the thread was waiting in futex, which is what std::future::get, a mutex, a condition "
                    "variable or a join do). The loop thread sat waiting for another thread and ran nothing "
                    "else. Never block in a coroutine: co_await the result instead (a timer, or co_spawn the "
                    "work with use_awaitable).";
            break;
        case HandlerInfo::Kind::io:
            text += "blocking I/O (" + numbers + "; the thread was waiting in " + info.syscall +
                    "). Use Asio's asynchronous operations and co_await them.";
            break;
        case HandlerInfo::Kind::blocked:
            text += "a blocking call (" + numbers +
                    (info.syscall.empty() ? std::string(")") : "; the thread was in " + info.syscall + ")") +
                    ". The thread waited in the kernel instead of returning to the loop; co_await instead.";
            break;
        case HandlerInfo::Kind::cpu:
            text += "a CPU busy loop (" + fixed(info.cpu_ms, 0) + " ms of CPU in " + fixed(info.wall_ms, 0) +
                    " ms, " + plural(info.voluntary_switches, "voluntary context switch", "voluntary context switches") +
                    (info.cpu_ms < info.wall_ms / 2 ? "; other programs had the CPU for the rest" : "") +
                    "). The handler kept the thread computing or spinning and never returned to the loop. "
                    "Spinning until a deadline is still blocking: co_await a timer; long computations belong "
                    "on a thread pool.";
            break;
        case HandlerInfo::Kind::preempted:
            text += "not by the code: the thread was preempted by other processes (" + numbers + ").";
            break;
        case HandlerInfo::Kind::fast:
            text += "below the threshold (" + numbers + ").";
            break;
    }
    return text;
}

}  // namespace ct
