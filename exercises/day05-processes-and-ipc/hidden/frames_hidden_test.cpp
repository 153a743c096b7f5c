// Misconceptions: "one read() reads what the other side wrote" (a pipe hands out at most what it
// holds, 64 KiB, so big frames arrive in pieces), "a write() writes everything, and EINTR is an
// error" (a signal cuts a blocked write or read short, or makes it fail with EINTR: both mean go
// on), "the end of the stream is the end of the stream" (an end inside a frame is a lost message,
// not a clean end; an empty frame is not an end at all), and "copy the uint32_t into the header"
// (that sends this machine's byte order, not big-endian). Hidden tests for task 2.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "frames.hpp"

namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::byte>;

Bytes bytes(const std::string& text) {
    Bytes out;
    for (const char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

// Seeded content. Only the values 0 and 1: four payload bytes read as a length (when a reader
// loses its place in the stream) then ask for at most 16 MiB, so a lost place shows as wrong
// frames instead of a 4 GiB allocation.
Bytes payload(std::size_t size, std::uint64_t stream) {
    auto rng = ct::rng(stream);
    Bytes out(size);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < size; ++i) {
        if (i % 64 == 0) {
            bits = rng.next();
        }
        out[i] = static_cast<std::byte>((bits >> (i % 64)) & 1);
    }
    return out;
}

// What two payloads have in common, in words, for a failure message.
std::string compare(const Bytes& got, const Bytes& expected) {
    if (got.size() != expected.size()) {
        return "it arrived with " + std::to_string(got.size()) + " bytes instead of " + std::to_string(expected.size());
    }
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != expected[i]) {
            return "its size was right but its bytes differ from byte " + std::to_string(i) + " on";
        }
    }
    return "";
}

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

// A child this test forks itself (not with cc::Process, so that only task 2 is tested): the
// destructor kills and reaps it if it is still there, so a failing check leaves nothing behind.
class Child {
public:
    template <class Body>
    explicit Child(Body body) {
        std::fflush(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            int code = 100;
            try {
                code = body();
            } catch (...) {
                code = 101;
            }
            ::_exit(code);
        }
    }
    ~Child() {
        if (m_pid > 0 && !m_reaped) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool started() const { return m_pid > 0; }

    // The child's exit code if it ended within `limit` (-N for signal N), nullopt otherwise.
    std::optional<int> wait_for(std::chrono::milliseconds limit) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            int status = 0;
            const pid_t done = ::waitpid(m_pid, &status, WNOHANG);
            if (done == m_pid) {
                m_reaped = true;
                return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
            }
            if (std::chrono::steady_clock::now() > deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(1ms);
        }
    }

private:
    pid_t m_pid = -1;
    bool m_reaped = false;
};

struct Pipe {
    int read = -1;
    int write = -1;
    Pipe() {
        int fds[2];
        if (::pipe(fds) != 0) {
            throw std::system_error(errno, std::generic_category(), "pipe");
        }
        read = fds[0];
        write = fds[1];
    }
    ~Pipe() {
        close_read();
        close_write();
    }
    void close_read() {
        if (read >= 0) {
            ::close(read);
            read = -1;
        }
    }
    void close_write() {
        if (write >= 0) {
            ::close(write);
            write = -1;
        }
    }
};

TEST(FramesHidden, OneAndSixteenMebibyteFramesAcrossProcesses) {
    const std::array<Bytes, 2> frames{payload(1 << 20, 1), payload(16 << 20, 2)};
    const std::array<const char*, 2> names{"1 MiB", "16 MiB"};
    Pipe up;    // child -> parent
    Pipe down;  // parent -> child
    Child child([&] {
        up.close_read();
        down.close_write();
        for (const auto& frame : frames) {
            cc::send_frame(up.write, frame);
        }
        up.close_write();
        // Exit codes: 0 all well, 10 + i frame i was wrong, 20 + i frame i missing, 30 no clean end.
        for (int i = 0; i < 2; ++i) {
            const auto got = cc::recv_frame(down.read);
            if (!got) {
                return 20 + i;
            }
            if (*got != frames[static_cast<std::size_t>(i)]) {
                return 10 + i;
            }
        }
        return cc::recv_frame(down.read) ? 30 : 0;
    });
    ASSERT_TRUE(child.started()) << "fork() failed";
    up.close_write();
    down.close_read();

    ct::step("recv_frame() of a 1 MiB and a 16 MiB frame sent by a child process must return");
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto got = cc::recv_frame(up.read);
        ASSERT_TRUE(got.has_value()) << "the child sent a " << names[i] << " frame, but recv_frame() returned nullopt";
        const std::string wrong = compare(*got, frames[i]);
        ASSERT_TRUE(wrong.empty()) << "the " << names[i] << " frame sent through a pipe by another process came back "
                                   << "wrong: " << wrong << ". A pipe holds 64 KiB, so a big frame arrives in many "
                                   << "pieces and a read() returns whatever is there: recv_exact() must keep reading "
                                   << "(at the right offset) until it has every byte.";
    }
    const auto end = cc::recv_frame(up.read);
    EXPECT_EQ(end, std::nullopt) << "the child sent two frames and closed its end (and the parent had closed its copy): "
                                 << "recv_frame() must then return nullopt";

    ct::step("send_frame() of a 1 MiB and a 16 MiB frame to a child process must return");
    for (const auto& frame : frames) {
        cc::send_frame(down.write, frame);
    }
    down.close_write();
    ct::step("the child that received the frames must end");
    const auto code = child.wait_for(20s);
    ASSERT_TRUE(code.has_value()) << "the child did not end within 20 s of receiving the two frames";
    EXPECT_EQ(*code, 0) << (*code >= 10 && *code < 12 ? std::string("the ") + names[*code - 10] +
                                                            " frame sent by the parent arrived wrong in the child"
                            : *code >= 20 && *code < 22 ? std::string("the ") + names[*code - 20] +
                                                              " frame sent by the parent never arrived in the child"
                            : *code == 30 ? std::string("after the parent's two frames and its close, the child's "
                                                        "recv_frame() did not return nullopt")
                                          : "the child ended with code " + std::to_string(*code) +
                                                " (101: an exception in send_frame or recv_frame)");
}

TEST(FramesHidden, LengthPrefixIsBigEndian) {
    Pipe pipe;
    const Bytes frame = payload(258, 3);  // 258 = 0x00000102
    ct::step("send_frame() of 258 bytes into an empty pipe must return");
    cc::send_frame(pipe.write, frame);
    std::array<unsigned char, 4> header{};
    ASSERT_EQ(::read(pipe.read, header.data(), header.size()), 4);
    char shown[32];
    std::snprintf(shown, sizeof shown, "%02x %02x %02x %02x", header[0], header[1], header[2], header[3]);
    EXPECT_TRUE(header[0] == 0 && header[1] == 0 && header[2] == 1 && header[3] == 2)
        << "the length of a 258-byte frame must go out as the bytes 00 00 01 02 (most significant first), but it "
        << "went out as " << shown
        << (header[0] == 2 && header[1] == 1 ? ": that is this machine's own (little-endian) byte order, which is what "
                                               "copying a uint32_t into the buffer sends. Write n >> 24, n >> 16, "
                                               "n >> 8, n, one byte each."
                                             : "");

    // And the reader: a frame of 513 bytes whose length the test writes itself, big-endian.
    Pipe other;
    const Bytes body = payload(513, 4);
    const std::array<unsigned char, 4> length{0, 0, 2, 1};
    ASSERT_EQ(::write(other.write, length.data(), length.size()), 4);
    ASSERT_EQ(::write(other.write, body.data(), body.size()), static_cast<ssize_t>(body.size()));
    other.close_write();
    ct::step("recv_frame() of a 513-byte frame that is in the pipe must return");
    std::optional<Bytes> got;
    try {
        got = cc::recv_frame(other.read);
    } catch (const std::exception& e) {
        FAIL() << "recv_frame() of a frame with the length bytes 00 00 02 01 (513) followed by 513 bytes threw: "
               << e.what() << ". It read the length in another byte order (01 02 00 00 is 16908800 bytes, which the "
               << "pipe does not have)";
    }
    ASSERT_TRUE(got.has_value()) << "recv_frame() returned nullopt for a frame of 513 bytes";
    EXPECT_EQ(got->size(), 513U) << "the length bytes 00 00 02 01 mean 513 (big-endian)";
}

TEST(FramesHidden, EndInsideAFrameThrows) {
    struct Case {
        const char* what;
        std::vector<unsigned char> stream;
    };
    const std::vector<Case> cases{
        {"2 of the 4 length bytes", {0, 0}},
        {"a length of 10 and then nothing", {0, 0, 0, 10}},
        {"a length of 10 and 5 bytes of payload", {0, 0, 0, 10, 1, 2, 3, 4, 5}},
    };
    for (const auto& c : cases) {
        Pipe pipe;
        ASSERT_EQ(::write(pipe.write, c.stream.data(), c.stream.size()), static_cast<ssize_t>(c.stream.size()));
        pipe.close_write();
        ct::step(std::string("recv_frame() of a stream of ") + c.what + " must return or throw");
        try {
            const auto got = cc::recv_frame(pipe.read);
            ADD_FAILURE() << "the stream held " << c.what << ", then the writer closed it; recv_frame() returned "
                          << (got ? "a frame of " + std::to_string(got->size()) + " bytes" : std::string("nullopt"))
                          << ". A stream that ends inside a frame has lost a message: throw std::runtime_error. "
                          << "Only an end before the first byte of a frame is a clean end (nullopt).";
        } catch (const std::runtime_error&) {
            // expected
        }
    }
    Pipe pipe;
    const std::array<unsigned char, 3> three{7, 8, 9};
    ASSERT_EQ(::write(pipe.write, three.data(), three.size()), 3);
    pipe.close_write();
    std::array<std::byte, 8> out{};
    ct::step("recv_exact() of 8 bytes from a stream of 3 must return or throw");
    EXPECT_THROW(cc::recv_exact(pipe.read, out), std::runtime_error)
        << "recv_exact() of 8 bytes from a stream that ended after 3: that is not a clean end (false), the bytes are "
        << "missing";
}

TEST(FramesHidden, EmptyFrameIsNotTheEnd) {
    Pipe pipe;
    ct::step("send_frame() of empty and 1-byte frames into an empty pipe must return");
    cc::send_frame(pipe.write, Bytes{});
    cc::send_frame(pipe.write, bytes("x"));
    cc::send_frame(pipe.write, Bytes{});
    pipe.close_write();
    ct::step("recv_frame() of frames that are in the pipe must return");
    const auto first = cc::recv_frame(pipe.read);
    const auto second = cc::recv_frame(pipe.read);
    const auto third = cc::recv_frame(pipe.read);
    const auto end = cc::recv_frame(pipe.read);
    EXPECT_EQ(first, std::optional(Bytes{})) << "the first frame was empty: an empty vector, not nullopt";
    EXPECT_EQ(second, std::optional(bytes("x")));
    EXPECT_EQ(third, std::optional(Bytes{})) << "the last frame was empty: an empty vector, not nullopt";
    EXPECT_EQ(end, std::nullopt) << "after the three frames the writer closed the pipe";
}

// ---- signals ------------------------------------------------------------------------------------

std::atomic<int> g_signals{0};

void count_signal(int) { g_signals.fetch_add(1, std::memory_order_relaxed); }

TEST(FramesHidden, SignalsCutReadsAndWritesShort) {
    // A handler without SA_RESTART: a read() or write() blocked when the signal comes returns what
    // it has moved so far, or fails with EINTR if it has moved nothing.
    struct sigaction action {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    struct sigaction previous {};
    ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
    // A reader that gives up closes its end; the writer's next write then fails with EPIPE
    // instead of ending the test process.
    const auto previous_sigpipe = std::signal(SIGPIPE, SIG_IGN);

    std::vector<Bytes> frames;
    for (int i = 0; i < 6; ++i) {
        frames.push_back(payload(static_cast<std::size_t>(1 + i) << 19, 10 + static_cast<std::uint64_t>(i)));
    }
    Pipe pipe;
    std::atomic<pthread_t> writer_thread{};
    std::atomic<pthread_t> reader_thread{};
    std::atomic<bool> writer_done{false};
    std::atomic<bool> reader_done{false};
    std::exception_ptr writer_error;
    std::exception_ptr reader_error;
    std::vector<Bytes> received;
    bool clean_end = false;
    ct::step("6 frames (0.5 to 3 MiB) through a pipe while both threads get a signal every 100 us must arrive");
    g_signals = 0;
    {
        std::jthread writer([&] {
            writer_thread = ::pthread_self();
            try {
                for (const auto& frame : frames) {
                    cc::send_frame(pipe.write, frame);
                    std::this_thread::sleep_for(2ms);  // so that the reader also waits in read() at times
                }
            } catch (...) {
                writer_error = std::current_exception();
            }
            pipe.close_write();
            writer_done = true;
        });
        std::jthread reader([&] {
            reader_thread = ::pthread_self();
            try {
                while (auto frame = cc::recv_frame(pipe.read)) {
                    received.push_back(std::move(*frame));
                    if (received.size() > frames.size()) {
                        break;
                    }
                }
                clean_end = received.size() == frames.size();
            } catch (...) {
                reader_error = std::current_exception();
            }
            pipe.close_read();
            reader_done = true;
        });
        while (!writer_done.load() || !reader_done.load()) {
            if (!writer_done.load() && writer_thread.load() != pthread_t{}) {
                ::pthread_kill(writer_thread.load(), SIGUSR1);
            }
            if (!reader_done.load() && reader_thread.load() != pthread_t{}) {
                ::pthread_kill(reader_thread.load(), SIGUSR1);
            }
            std::this_thread::sleep_for(100us);
        }
    }
    ::sigaction(SIGUSR1, &previous, nullptr);
    std::signal(SIGPIPE, previous_sigpipe);
    const int signals = g_signals.load();
    if (writer_error) {
        ADD_FAILURE() << "send_frame() threw while signals arrived (" << signals << " signals in all): "
                      << describe(writer_error)
                      << ". A write() interrupted by a signal fails with EINTR (nothing written yet) or returns a "
                      << "short count; neither is an error: send_all() must go on with the rest.";
    }
    if (reader_error) {
        ADD_FAILURE() << "recv_frame() threw while signals arrived (" << signals << " signals in all): "
                      << describe(reader_error)
                      << (writer_error ? " (after the writer had failed)"
                                       : ". A read() interrupted by a signal fails with EINTR or returns fewer bytes: "
                                         "recv_exact() must go on reading. (If the writer had cut a frame short, the "
                                         "reader would see that as a stream that ends inside a frame.)");
    }
    if (!writer_error && !reader_error) {
        ASSERT_EQ(received.size(), frames.size()) << "6 frames were sent, " << received.size() << " arrived";
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const std::string wrong = compare(received[i], frames[i]);
            EXPECT_TRUE(wrong.empty()) << "frame " << i << " (" << frames[i].size() << " bytes) arrived wrong while "
                                       << signals << " signals arrived: " << wrong
                                       << ". A signal cuts a blocked write() short: write() then returns how much it "
                                       << "wrote, and send_all() must write the rest.";
        }
        EXPECT_TRUE(clean_end) << "after the last frame the writer closed the pipe: recv_frame() must return nullopt";
    }
}

// ---- random frames in random chunks -------------------------------------------------------------

Bytes encode(const std::vector<Bytes>& frames) {
    Bytes out;
    for (const auto& frame : frames) {
        const auto n = static_cast<std::uint32_t>(frame.size());
        for (const int shift : {24, 16, 8, 0}) {
            out.push_back(static_cast<std::byte>((n >> shift) & 0xFF));
        }
        out.insert(out.end(), frame.begin(), frame.end());
    }
    return out;
}

RC_GTEST_PROP(FramesHidden, RandomFramesInRandomChunks, ()) {
    const int n_frames = *rc::gen::inRange(0, 9);
    std::vector<std::size_t> sizes;
    for (int i = 0; i < n_frames; ++i) {
        // Mostly small frames, some empty ones, some bigger than the pipe.
        sizes.push_back(*rc::gen::weightedOneOf<std::size_t>({{1, rc::gen::just<std::size_t>(0)},
                                                               {6, rc::gen::inRange<std::size_t>(1, 300)},
                                                               {2, rc::gen::inRange<std::size_t>(300, 200000)}}));
    }
    const auto max_chunk = *rc::gen::inRange<std::size_t>(1, 70000);
    const auto chunk_seed = *rc::gen::arbitrary<std::uint32_t>();
    std::ostringstream drawn;
    drawn << "n_frames = " << n_frames << ", sizes = [";
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        drawn << (i > 0 ? ", " : "") << sizes[i];
    }
    drawn << "], max_chunk = " << max_chunk << ", chunk_seed = " << chunk_seed;
    RC_LOG() << drawn.str();

    std::vector<Bytes> frames;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        frames.push_back(payload(sizes[i], 100 + i));
    }
    const Bytes stream = encode(frames);
    // A reader that gives up closes its end; the test's writer then fails with EPIPE instead of
    // ending the test process.
    std::signal(SIGPIPE, SIG_IGN);

    // 1. The reader: the test writes the stream in chunks of 1..max_chunk bytes.
    Pipe pipe;
    std::vector<Bytes> received;
    std::string read_problem;
    {
        std::jthread writer([&] {
            ct::Rng rng(chunk_seed, 1);
            std::size_t at = 0;
            while (at < stream.size()) {
                const std::size_t n = std::min<std::size_t>(stream.size() - at, rng.between(1, max_chunk));
                const ssize_t wrote = ::write(pipe.write, stream.data() + at, n);
                if (wrote <= 0) {
                    break;
                }
                at += static_cast<std::size_t>(wrote);
                if (rng.chance(0.1)) {
                    std::this_thread::sleep_for(100us);  // the reader catches up and waits
                }
            }
            pipe.close_write();
        });
        ct::step("recv_frame() of random frames written in random chunks must return");
        try {
            while (auto frame = cc::recv_frame(pipe.read)) {
                received.push_back(std::move(*frame));
                if (received.size() > frames.size()) {
                    break;
                }
            }
        } catch (const std::exception& e) {
            read_problem = e.what();
        }
        pipe.close_read();  // a writer still blocked on a full pipe then fails (EPIPE/SIGPIPE is ignored below)
    }
    if (!read_problem.empty()) {
        RC_FAIL("recv_frame() threw after " + std::to_string(received.size()) + " of " + std::to_string(frames.size()) +
                " frames: " + read_problem + ". The frames were complete; each read() just returned whatever part of "
                "the stream had arrived (" + std::to_string(max_chunk) + " bytes at most per write).");
    }
    if (received.size() != frames.size()) {
        RC_FAIL(std::to_string(frames.size()) + " frames were written (in chunks of at most " +
                std::to_string(max_chunk) + " bytes), " + std::to_string(received.size()) +
                " came out of recv_frame() before it returned nullopt");
    }
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const std::string wrong = compare(received[i], frames[i]);
        if (!wrong.empty()) {
            RC_FAIL("frame " + std::to_string(i) + " of " + std::to_string(frames.size()) + " (" +
                    std::to_string(frames[i].size()) + " bytes) came out of recv_frame() wrong: " + wrong +
                    ". A read() returns whatever part has arrived: keep reading at the right offset.");
        }
    }

    // 2. The writer: send_frame() must put exactly these bytes on the stream.
    Pipe out;
    Bytes sent;
    {
        std::jthread drain([&] {
            std::array<std::byte, 65536> buffer{};
            for (;;) {
                const ssize_t n = ::read(out.read, buffer.data(), buffer.size());
                if (n <= 0) {
                    break;
                }
                sent.insert(sent.end(), buffer.begin(), buffer.begin() + n);
            }
        });
        ct::step("send_frame() of random frames must return");
        try {
            for (const auto& frame : frames) {
                cc::send_frame(out.write, frame);
            }
        } catch (const std::exception& e) {
            read_problem = e.what();
        }
        out.close_write();
    }
    if (!read_problem.empty()) {
        RC_FAIL("send_frame() threw: " + read_problem);
    }
    if (sent != stream) {
        std::size_t first = 0;
        while (first < sent.size() && first < stream.size() && sent[first] == stream[first]) {
            ++first;
        }
        RC_FAIL("send_frame() of these frames wrote " + std::to_string(sent.size()) + " bytes where a 4-byte "
                "big-endian length before each payload makes " + std::to_string(stream.size()) +
                "; the first difference is at byte " + std::to_string(first));
    }
}

}  // namespace
