// The sandbox on this host: whatever tier the probe finds, a confined command runs, is limited,
// and leaves nothing behind. Tests that need a layer skip when the host lacks it (grade doctor
// says which), so the suite also runs unprivileged.
#include "sandbox.hpp"

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "subprocess.hpp"

namespace grade {
namespace {
namespace fs = std::filesystem;

class SandboxTest : public testing::Test {
protected:
    void SetUp() override {
        const auto box = sandbox();
        ASSERT_TRUE(box) << box.error().message;
        m_box = *box;
        if (m_box->tier == Tier::none) {
            GTEST_SKIP() << "no sandbox on this host";
        }
        m_dir = fs::temp_directory_path() / ("grade-sandbox-test-" + std::to_string(::getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir / "tmp");
        fs::permissions(m_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
    }
    void TearDown() override { fs::remove_all(m_dir); }

    Command confined(const std::string& script) const {
        Command cmd{.argv = {"sh", "-c", script}, .deadline = std::chrono::seconds(20)};
        Confinement c;
        c.memory_bytes = 256L << 20;
        c.tasks = 64;
        c.private_tmp = m_dir / "tmp";
        cmd.confinement = c;
        return cmd;
    }

    const Sandbox* m_box = nullptr;
    fs::path m_dir;
};

TEST(SandboxTiers, ParseAndOrder) {
    EXPECT_EQ(parse_tier("a"), Tier::A);
    EXPECT_EQ(parse_tier("D"), Tier::D);
    EXPECT_EQ(parse_tier("none"), Tier::none);
    EXPECT_FALSE(parse_tier("E"));
    EXPECT_GT(Tier::A, Tier::B);
    EXPECT_GT(Tier::C, Tier::D);
    EXPECT_GT(Tier::D, Tier::none);
    EXPECT_EQ(to_string(Tier::B), "B");
}

TEST(SandboxProbe, EveryLayerIsReportedWithItsStatus) {
    const auto& probe = probe_sandbox();
    EXPECT_EQ(probe.layers.size(), 13u);
    for (const auto& layer : probe.layers) {
        EXPECT_FALSE(to_string(layer.layer).empty());
        if (!layer.works) {
            EXPECT_FALSE(layer.detail.empty()) << to_string(layer.layer) << " is missing without a reason";
        }
    }
}

TEST_F(SandboxTest, AConfinedCommandRunsWithACleanEnvironment) {
    ::setenv("GRADE_TEST_SECRET", "do-not-pass", 1);
    const auto done = run(confined("echo \"$GRADE_TEST_SECRET|$TMPDIR|$PATH\""));
    ::unsetenv("GRADE_TEST_SECRET");
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_TRUE(done->ok()) << done->output;
    EXPECT_EQ(done->output, "|" + (m_dir / "tmp").string() + "|/usr/local/bin:/usr/bin:/bin\n");
}

TEST_F(SandboxTest, WritesOutsideItsOwnDirectoriesAreRefused) {
    if (!m_box->uses(Layer::landlock)) {
        GTEST_SKIP() << "no Landlock here";
    }
    const auto outside = m_dir / "outside";
    const auto done =
        run(confined("(echo x > '" + outside.string() + "') 2>/dev/null; echo y > \"$TMPDIR/inside\" && echo ok"));
    ASSERT_TRUE(done);
    EXPECT_EQ(done->output, "ok\n");
    EXPECT_FALSE(fs::exists(outside));
}

TEST_F(SandboxTest, TheSlotUidCannotReadRootsFiles) {
    if (!m_box->uses(Layer::slot_uid)) {
        GTEST_SKIP() << "no slot uids here";
    }
    const auto done = run(confined("id -u; cat /etc/shadow >/dev/null 2>&1 && echo READ || echo refused"));
    ASSERT_TRUE(done);
    EXPECT_EQ(done->output, std::to_string(m_box->test_uid) + "\nrefused\n");
}

TEST_F(SandboxTest, ALeftoverDaemonIsCountedAndKilled) {
    const auto done = run(confined("(setsid sh -c 'sleep 30' &) ; sleep 0.2; exit 0"));
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_TRUE(done->ok());
    EXPECT_GE(done->leftovers, 1);
    EXPECT_LT(done->wall, std::chrono::seconds(10));
}

TEST_F(SandboxTest, TheMemoryLimitStopsTheTreeWithoutAddressSpaceLimits) {
    // 400 MiB of touched memory against a 256 MiB limit; `ulimit -v` shows no RLIMIT_AS.
    const auto done = run(confined("ulimit -v; python3 -c 'b = b\"x\" * (400 << 20)'; echo survived"));
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_NE(done->output.rfind("unlimited", 0), std::string::npos) << done->output;
    EXPECT_TRUE(done->out_of_memory) << done->output;
}

TEST_F(SandboxTest, ProcessesAreLimited) {
    const auto done = run(confined("i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; "
                                   "echo started; wait"));
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_LT(done->wall, std::chrono::seconds(15));
    // 64 tasks: the loop cannot start 200 sleeps (fork fails), and the shell says so.
}

TEST_F(SandboxTest, NoNetworkUnlessTheDayAsks) {
    const auto done = run(confined("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 9), 1)' "
                                   "2>/dev/null && echo connected || echo refused"));
    ASSERT_TRUE(done);
    EXPECT_EQ(done->output, "refused\n");
}

TEST_F(SandboxTest, DaysWithANetworkGetLoopbackOnly) {
    // A listener of the host's, on its loopback: a network namespace hides it from the test.
    const int host = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(host, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(host, 4), 0);
    ASSERT_EQ(::getsockname(host, reinterpret_cast<sockaddr*>(&address), &length), 0);
    const int port = ntohs(address.sin_port);
    auto cmd = confined(
        "python3 -c 'import socket\n"
        "server = socket.create_server((\"127.0.0.1\", 0))\n"
        "client = socket.create_connection(server.getsockname(), 2)\n"
        "print(\"own loopback ok\")\n"
        "try:\n"
        "    socket.create_connection((\"127.0.0.1\", " +
        std::to_string(port) +
        "), 2)\n"
        "    print(\"host reached\")\n"
        "except OSError:\n"
        "    print(\"host unreachable\")'");
    cmd.confinement->network = true;
    const auto done = run(cmd);
    ::close(host);
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_NE(done->output.find("own loopback ok"), std::string::npos) << done->output;
    if (m_box->namespaces()) {
        EXPECT_NE(done->output.find("host unreachable"), std::string::npos) << done->output;
    }
}

TEST(SandboxLimits, DescribedInWords) {
    Confinement c;
    c.memory_bytes = 512L << 20;
    c.tasks = 264;
    c.sanitizer = true;
    EXPECT_EQ(describe_limits(c), "memory 512 MiB (sanitizer), 264 processes+threads, no network");
}

}  // namespace
}  // namespace grade
