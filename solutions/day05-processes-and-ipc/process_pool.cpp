#include "process_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "frames.hpp"

namespace cc {

namespace {

// The first byte of every reply: did the job return (the rest is its result) or throw (the rest
// is its what())?
constexpr std::byte job_returned{0};
constexpr std::byte job_threw{1};

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// Closes every file descriptor above 2 except those in `keep`. A process forked from this one
// starts with a copy of every descriptor it had: pipes of other workers, of other pools, of the
// caller. Each copy of a write end keeps that pipe's reader from ever seeing end-of-file.
void close_all_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (const int fd : keep) {
        if (fd < static_cast<int>(first)) {
            continue;
        }
        if (static_cast<unsigned>(fd) > first) {
            ::close_range(first, static_cast<unsigned>(fd) - 1, 0);
        }
        first = static_cast<unsigned>(fd) + 1;
    }
    ::close_range(first, ~0U, 0);
}

std::vector<std::byte> error_reply(const char* what) {
    std::vector<std::byte> reply{job_threw};
    for (const char* c = what; *c != '\0'; ++c) {
        reply.push_back(static_cast<std::byte>(*c));
    }
    return reply;
}

// What every worker does until the pool closes its request pipe: a request frame in, a reply
// frame out. Returns the worker's exit code.
int worker_loop(ProcessPool::Job job, int requests, int replies) {
    try {
        while (auto input = recv_frame(requests)) {
            std::vector<std::byte> reply{job_returned};
            try {
                const std::vector<std::byte> output = job(*input);
                reply.insert(reply.end(), output.begin(), output.end());
            } catch (const std::exception& e) {
                reply = error_reply(e.what());
            } catch (...) {
                reply = error_reply("the job threw something that is not a std::exception");
            }
            send_frame(replies, reply);
        }
        return 0;  // end-of-file: the pool wants us to stop
    } catch (...) {
        return 1;  // the pool went away in the middle of a frame
    }
}

// ---- the fork server ------------------------------------------------------------------------

int g_server = -1;          // our end of the control socket, set once by prepare_forkserver()
std::mutex g_server_mutex;  // one request at a time: the replies come back in order

// A request: the job (a code address, valid in the server because it is a fork of this very
// program) and, as SCM_RIGHTS ancillary data, the worker's two pipe ends.
void send_request(int socket, ProcessPool::Job job, int in, int out) {
    iovec data{&job, sizeof job};
    alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(2 * sizeof(int));
    const int fds[2] = {in, out};
    std::memcpy(CMSG_DATA(header), fds, sizeof fds);
    while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
        if (errno != EINTR) {
            throw_errno("fork server: sendmsg");
        }
    }
}

// False at end-of-file (the pool's process is gone) or on any malformed request.
bool receive_request(int socket, ProcessPool::Job& job, int (&fds)[2]) {
    iovec data{&job, sizeof job};
    alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = 0;
    while ((n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
    }
    const cmsghdr* header = n == sizeof job ? CMSG_FIRSTHDR(&message) : nullptr;
    if (header == nullptr || header->cmsg_type != SCM_RIGHTS || header->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
        return false;
    }
    std::memcpy(fds, CMSG_DATA(header), sizeof fds);
    return true;
}

[[noreturn]] void serve(int socket, pid_t parent) {
    // Die with the program that started us (the signal comes when the thread that forked us
    // ends, so prepare_forkserver() belongs on the main thread).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) {
        ::_exit(0);  // it ended before prctl took effect
    }
    // The kernel reaps our workers as they end: we never wait for them, and a pool learns that a
    // worker ended from end-of-file on its reply pipe.
    ::signal(SIGCHLD, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    close_all_except({socket});
    for (;;) {
        ProcessPool::Job job = nullptr;
        int fds[2] = {-1, -1};
        if (!receive_request(socket, job, fds)) {
            ::_exit(0);
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::signal(SIGCHLD, SIG_DFL);  // a job that forks and waits must find its children
            close_all_except({fds[0], fds[1]});
            const int code = worker_loop(job, fds[0], fds[1]);
            std::fflush(nullptr);
            ::_exit(code);
        }
        const pid_t reply = pid < 0 ? -errno : pid;
        // Our copies must go, or every later worker would inherit them: a dead worker's reply
        // pipe would then never report end-of-file.
        ::close(fds[0]);
        ::close(fds[1]);
        if (::send(socket, &reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply) {
            ::_exit(1);
        }
    }
}

pid_t fork_in_server(ProcessPool::Job job, int in, int out) {
    std::scoped_lock lock(g_server_mutex);
    send_request(g_server, job, in, out);
    pid_t pid = 0;
    ssize_t n = 0;
    while ((n = ::recv(g_server, &pid, sizeof pid, 0)) < 0 && errno == EINTR) {
    }
    if (n != sizeof pid) {
        throw std::runtime_error("the fork server does not answer (has it ended?)");
    }
    if (pid < 0) {
        throw std::system_error(-pid, std::generic_category(), "fork server: fork");
    }
    return pid;
}

}  // namespace

void prepare_forkserver() {
    // No lock: this runs before any thread exists. (A mutex held across fork() would also stay
    // locked for good in the server, which is the very problem the server is there to avoid.)
    if (g_server >= 0) {
        return;
    }
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        throw_errno("socketpair");
    }
    const pid_t parent = ::getpid();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int error = errno;
        ::close(ends[0]);
        ::close(ends[1]);
        throw std::system_error(error, std::generic_category(), "fork");
    }
    if (pid == 0) {
        ::close(ends[0]);
        serve(ends[1], parent);
    }
    ::close(ends[1]);
    g_server = ends[0];
}

// ---- the pool -------------------------------------------------------------------------------

ProcessPool::ProcessPool(std::size_t n, Job job, StartMethod method) : m_job(job), m_method(method) {
    if (n == 0) {
        throw std::invalid_argument("ProcessPool: a pool needs at least one worker");
    }
    if (job == nullptr) {
        throw std::invalid_argument("ProcessPool: the job is a null function pointer");
    }
    if (method == StartMethod::forkserver && g_server < 0) {
        throw std::logic_error("ProcessPool: StartMethod::forkserver needs prepare_forkserver() first");
    }
    // A write to a pipe whose reader has died raises SIGPIPE, which ends the whole program.
    // Ignored (as Python does at startup), the write fails with EPIPE instead, and map() can
    // report the dead worker.
    ::signal(SIGPIPE, SIG_IGN);
    m_workers.reserve(n);
    try {
        for (std::size_t i = 0; i < n; ++i) {
            start_worker();
        }
    } catch (...) {
        shut_down();  // no destructor runs for a constructor that throws
        throw;
    }
}

void ProcessPool::start_worker() {
    int requests[2];
    int replies[2];
    if (::pipe2(requests, O_CLOEXEC) != 0) {
        throw_errno("pipe2");
    }
    if (::pipe2(replies, O_CLOEXEC) != 0) {
        const int error = errno;
        ::close(requests[0]);
        ::close(requests[1]);
        throw std::system_error(error, std::generic_category(), "pipe2");
    }
    const int worker_in = requests[0];
    const int worker_out = replies[1];
    Worker worker;
    worker.to_worker = requests[1];
    worker.from_worker = replies[0];
    try {
        if (m_method == StartMethod::fork) {
            worker.process = Process::spawn([job = m_job, worker_in, worker_out] {
                close_all_except({worker_in, worker_out});
                return worker_loop(job, worker_in, worker_out);
            });
            worker.pid = worker.process->pid();
        } else {
            worker.pid = fork_in_server(m_job, worker_in, worker_out);
        }
    } catch (...) {
        for (const int fd : {requests[0], requests[1], replies[0], replies[1]}) {
            ::close(fd);
        }
        throw;
    }
    // The worker has its own copies now. Ours must go: a pipe reports end-of-file to its reader
    // only once every write end is closed, so if this process kept the worker's reply end, a
    // worker that dies would leave map() waiting for ever.
    ::close(worker_in);
    ::close(worker_out);
    m_workers.push_back(std::move(worker));
}

std::vector<std::vector<std::byte>> ProcessPool::map(const std::vector<std::vector<std::byte>>& inputs) {
    if (m_broken) {
        throw std::runtime_error("ProcessPool::map: the pool is broken (one of its workers died)");
    }
    std::vector<std::vector<std::byte>> results(inputs.size());
    std::vector<std::optional<std::size_t>> running(m_workers.size());  // the input each worker has
    std::size_t next = 0;
    std::size_t finished = 0;
    std::string job_error;

    const auto died = [&](std::size_t w, const std::string& how) {
        m_broken = true;
        return std::runtime_error("ProcessPool::map: worker process " + std::to_string(m_workers[w].pid) + " " + how +
                                  (running[w] ? " while running input " + std::to_string(*running[w]) : ""));
    };
    // One input per worker at a time: a worker is sent its next input only when it has replied,
    // so no pipe ever holds more than one message and nobody waits for a reader that is itself
    // waiting to write.
    const auto give_work = [&](std::size_t w) {
        if (next == inputs.size()) {
            return;
        }
        running[w] = next;
        try {
            send_frame(m_workers[w].to_worker, inputs[next]);
        } catch (const std::system_error& e) {
            throw died(w, std::string("could not be sent its input (") + e.what() + ")");
        }
        ++next;
    };

    for (std::size_t w = 0; w < m_workers.size(); ++w) {
        give_work(w);
    }
    std::vector<pollfd> waiting;
    std::vector<std::size_t> who;
    while (finished < inputs.size()) {
        waiting.clear();
        who.clear();
        for (std::size_t w = 0; w < m_workers.size(); ++w) {
            if (running[w]) {
                waiting.push_back({m_workers[w].from_worker, POLLIN, 0});
                who.push_back(w);
            }
        }
        if (::poll(waiting.data(), waiting.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("poll");
        }
        for (std::size_t i = 0; i < waiting.size(); ++i) {
            if (waiting[i].revents == 0) {
                continue;
            }
            const std::size_t w = who[i];
            std::optional<std::vector<std::byte>> reply;
            try {
                reply = recv_frame(m_workers[w].from_worker);
            } catch (const std::exception& e) {
                throw died(w, std::string("cut its reply short (") + e.what() + ")");
            }
            if (!reply || reply->empty()) {
                throw died(w, "ended");  // end-of-file: its end of the pipe closed with it
            }
            const std::size_t index = *running[w];
            running[w].reset();
            ++finished;
            if (reply->front() == job_returned) {
                results[index].assign(reply->begin() + 1, reply->end());
            } else if (job_error.empty()) {
                job_error = "ProcessPool::map: the job threw on input " + std::to_string(index) + ": " +
                            std::string(reinterpret_cast<const char*>(reply->data()) + 1, reply->size() - 1);
            }
            give_work(w);
        }
    }
    if (!job_error.empty()) {
        throw std::runtime_error(job_error);
    }
    return results;
}

void ProcessPool::shut_down() noexcept {
    for (auto& worker : m_workers) {
        ::close(worker.to_worker);  // end-of-file on its request pipe: the worker's loop ends
    }
    for (auto& worker : m_workers) {
        // Read its reply pipe to the end. A worker whose reply nobody wanted (map() gave up after
        // another worker died) can finish writing it; and end-of-file means the worker has
        // closed its end, i.e. it is exiting. (A worker of the fork server is the server's
        // child: the server reaps it. Ours we reap ourselves, in join().)
        char sink[4096];
        for (;;) {
            const ssize_t n = ::read(worker.from_worker, sink, sizeof sink);
            if (n == 0 || (n < 0 && errno != EINTR)) {
                break;
            }
        }
        ::close(worker.from_worker);
        if (worker.process && worker.process->joinable()) {
            try {
                worker.process->join();
            } catch (...) {
            }
        }
    }
    m_workers.clear();
}

ProcessPool::~ProcessPool() { shut_down(); }

}  // namespace cc
