// The `main` of every test binary: GoogleTest plus the side channel.
//
// For each test it sends `start`, one `failure` per failed assertion (file, line, message), any
// sanitizer reports, and `end` with the verdict; after the last test, `done`. The grader counts a
// test as passed only if `end` says so, `done` arrived, and the process exited normally: a student
// `exit(0)` in the middle of a test therefore never passes.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ct/ct.hpp"
#include "sanitizer_reports.hpp"
#include "side_channel.hpp"

namespace {

// ---- The verdict nonce -----------------------------------------------------------------------
// Read by a .preinit_array entry, which runs before every constructor of the executable and so
// before any student code; the pipe is closed at once. The nonce is then kept XOR-masked with
// random bytes and unmasked only on the stack while a verdict frame is written. Nothing here has
// external linkage: student code cannot call it by name.

constexpr std::size_t nonce_length = 32;
int g_result_fd = -1;
pid_t g_owner = 0;
unsigned char g_verdict[nonce_length];
unsigned char g_mask[nonce_length];
char g_data_nonce[nonce_length + 1];
bool g_have_nonces = false;

// Runs before the sanitizer runtimes initialise: no instrumented code, raw system calls only.
__attribute__((no_sanitize("address", "thread", "undefined"))) bool env_number(char** envp, const char* name,
                                                                               int* value) {
    for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
        const char* entry = *e;
        std::size_t i = 0;
        while (name[i] != '\0' && entry[i] == name[i]) {
            ++i;
        }
        if (name[i] == '\0' && entry[i] == '=') {
            int n = 0;
            bool digits = false;
            for (const char* c = entry + i + 1; *c >= '0' && *c <= '9'; ++c) {
                n = n * 10 + (*c - '0');
                digits = true;
            }
            *value = n;
            return digits;
        }
    }
    return false;
}

__attribute__((no_sanitize("address", "thread", "undefined"))) void read_nonces(int, char**, char** envp) {
    int nonce_fd = -1;
    int result_fd = -1;
    if (!env_number(envp, "CT_NONCE_FD", &nonce_fd) || !env_number(envp, "CT_RESULT_FD", &result_fd)) {
        return;
    }
    char buffer[2 + 2 * nonce_length];
    std::size_t got = 0;
    while (got < sizeof buffer) {
        const long n = syscall(SYS_read, nonce_fd, buffer + got, sizeof buffer - got);
        if (n <= 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    syscall(SYS_close, nonce_fd);
    if (got != sizeof buffer || buffer[0] != 'V' || buffer[1 + nonce_length] != 'D' ||
        syscall(SYS_getrandom, g_mask, nonce_length, 0) != static_cast<long>(nonce_length)) {
        return;
    }
    for (std::size_t i = 0; i < nonce_length; ++i) {
        g_verdict[i] = static_cast<unsigned char>(buffer[1 + i]) ^ g_mask[i];
        g_data_nonce[i] = buffer[2 + nonce_length + i];
        static_cast<volatile char*>(buffer)[1 + i] = 0;
    }
    g_data_nonce[nonce_length] = '\0';
    g_result_fd = result_fd;
    g_owner = static_cast<pid_t>(syscall(SYS_getpid));
    g_have_nonces = true;
}

__attribute__((section(".preinit_array"), used)) void (*const preinit_entry)(int, char**, char**) = read_nonces;

// start, end and done: the frames a verdict is made of.
void send_verdict(nlohmann::json frame) {
    if (!g_have_nonces || getpid() != g_owner) {
        return;
    }
    char nonce[nonce_length];
    for (std::size_t i = 0; i < nonce_length; ++i) {
        nonce[i] = static_cast<char>(g_verdict[i] ^ g_mask[i]);
    }
    frame["nonce"] = std::string(nonce, nonce_length);
    for (auto& c : nonce) {
        static_cast<volatile char&>(c) = 0;
    }
    const std::string bytes = ct::detail::encode_frame(std::move(frame));
    ssize_t rc = 0;
    do {
        rc = ::write(g_result_fd, bytes.data(), bytes.size());
    } while (rc < 0 && errno == EINTR);
}

class SideChannelListener : public testing::EmptyTestEventListener {
public:
    void OnTestStart(const testing::TestInfo& info) override {
        m_started = std::chrono::steady_clock::now();
        send_verdict({{"type", "start"}, {"test", full_name(info)}, {"seed", ct::seed()}});
    }

    void OnTestPartResult(const testing::TestPartResult& result) override {
        if (!result.failed()) {
            return;
        }
        ct::detail::send_frame({{"type", "failure"},
                                {"file", result.file_name() != nullptr ? result.file_name() : ""},
                                {"line", result.line_number()},
                                {"message", result.message()}});
    }

    void OnTestEnd(const testing::TestInfo& info) override {
        for (const auto& report : ct::detail::take_sanitizer_reports()) {
            ct::detail::send_frame({{"type", "sanitizer"}, {"kind", report}});
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - m_started)
                            .count();
        const bool passed = !info.result()->Failed();
        send_verdict({{"type", "end"}, {"test", full_name(info)}, {"passed", passed}, {"ms", ms}});
        if (!passed) {
            print_rerun(info);
        }
    }

private:
    static std::string full_name(const testing::TestInfo& info) {
        return std::string(info.test_suite_name()) + "." + info.name();
    }

    static void print_rerun(const testing::TestInfo& info) {
        const char* rerun = std::getenv("CT_RERUN");
        std::printf("[ seed %llu ] rerun: %s\n", static_cast<unsigned long long>(ct::seed()),
                    rerun != nullptr ? rerun
                                     : ("CT_SEED=" + std::to_string(ct::seed()) +
                                        " <this binary> --gtest_filter=" + full_name(info))
                                           .c_str());
        std::fflush(stdout);
    }

    std::chrono::steady_clock::time_point m_started{};
};

}  // namespace

int main(int argc, char** argv) {
    if (g_have_nonces) {
        ct::detail::init_side_channel(g_result_fd, g_data_nonce);
    }
    unsetenv("CT_RESULT_FD");
    unsetenv("CT_NONCE_FD");
    // RapidCheck reads RC_PARAMS on first use: tie its seed to ours unless someone set it.
    if (std::getenv("RC_PARAMS") == nullptr) {
        const std::string params = "seed=" + std::to_string(ct::seed()) + " verbose_progress=0";
        setenv("RC_PARAMS", params.c_str(), 1);
    }
    testing::InitGoogleTest(&argc, argv);
    testing::UnitTest::GetInstance()->listeners().Append(new SideChannelListener);
    const int rc = RUN_ALL_TESTS();
    send_verdict({{"type", "done"}, {"status", rc}});
    return rc;
}
