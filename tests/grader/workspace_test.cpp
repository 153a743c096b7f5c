#include "workspace.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

namespace grade {
namespace {
namespace fs = std::filesystem;

class WorkspaceTest : public testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("grade-ws-test-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        fs::create_directories(m_root / "sub" / "day01-x");
        setenv("GRADE_CACHE", (m_root / "cache").c_str(), 1);
        m_day.dir = "day01-x";
        m_day.files = {"a.hpp", "a.cpp", "b.cpp"};
        m_day.limits.file_bytes = 100;
    }
    void TearDown() override {
        unsetenv("GRADE_CACHE");
        fs::remove_all(m_root);
    }
    void write(const std::string& name, const std::string& text) {
        std::ofstream(m_root / "sub" / "day01-x" / name) << text;
    }

    fs::path m_root;
    DaySpec m_day;
};

TEST_F(WorkspaceTest, TakesOnlyAllowlistedRegularFilesAndRewritesOnlyChanges) {
    write("a.hpp", "int f();");
    write("a.cpp", "int f() { return 1; }");
    write("extra.cpp", "not listed");
    fs::create_symlink("/etc/passwd", m_root / "sub" / "day01-x" / "b.cpp");
    const auto ws = open_workspace(m_root / "sub", "day01-x");
    ASSERT_TRUE(ws) << ws.error().message;
    const auto first = ingest(m_root / "sub" / "day01-x", m_day, *ws);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->present, (std::vector<std::string>{"a.hpp", "a.cpp"}));
    EXPECT_EQ(first->missing, std::vector<std::string>{"b.cpp"});
    ASSERT_EQ(first->rejected.size(), 1u);
    EXPECT_NE(first->rejected[0].find("symbolic link"), std::string::npos);
    EXPECT_FALSE(fs::exists(ws->student() / "extra.cpp"));
    EXPECT_FALSE(fs::exists(ws->student() / "b.cpp"));

    write("a.cpp", "int f() { return 2; }");
    const auto second = ingest(m_root / "sub" / "day01-x", m_day, *ws);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->changed, std::vector<std::string>{"a.cpp"});
}

TEST_F(WorkspaceTest, OversizedFilesAreRefused) {
    write("a.hpp", std::string(500, 'x'));
    const auto ws = open_workspace(m_root / "sub", "day01-x");
    ASSERT_TRUE(ws);
    const auto got = ingest(m_root / "sub" / "day01-x", m_day, *ws);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->rejected.size(), 1u);
    EXPECT_NE(got->rejected[0].find("over the 100 byte limit"), std::string::npos);
}

TEST_F(WorkspaceTest, DirectoriesFifosAndALinkedDayAreRefusedWithoutBlocking) {
    write("a.hpp", "int f();");
    fs::create_directories(m_root / "sub" / "day01-x" / "a.cpp");  // a submodule's checkout
    ASSERT_EQ(::mkfifo((m_root / "sub" / "day01-x" / "b.cpp").c_str(), 0600), 0);
    const auto ws = open_workspace(m_root / "sub", "day01-x");
    ASSERT_TRUE(ws);
    const auto got = ingest(m_root / "sub" / "day01-x", m_day, *ws);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->present, std::vector<std::string>{"a.hpp"});
    ASSERT_EQ(got->rejected.size(), 2u);
    EXPECT_NE(got->rejected[0].find("is a directory"), std::string::npos);
    EXPECT_NE(got->rejected[1].find("not a regular file"), std::string::npos);

    // The day directory itself a link (to another student's copy): nothing is taken.
    fs::create_directories(m_root / "other" / "day01-x");
    std::ofstream(m_root / "other" / "day01-x" / "a.hpp") << "theirs";
    fs::create_directories(m_root / "linked");
    fs::create_directory_symlink(m_root / "other" / "day01-x", m_root / "linked" / "day01-x");
    const auto linked = ingest(m_root / "linked" / "day01-x", m_day, *ws);
    ASSERT_TRUE(linked);
    EXPECT_TRUE(linked->present.empty());
    ASSERT_FALSE(linked->rejected.empty());
    EXPECT_NE(linked->rejected[0].find("symbolic link or not a directory"), std::string::npos);
}

TEST(IngestNames, OnlyPlainFileNames) {
    EXPECT_TRUE(is_plain_file_name("bank.cpp"));
    EXPECT_FALSE(is_plain_file_name("../bank.cpp"));
    EXPECT_FALSE(is_plain_file_name("/etc/passwd"));
    EXPECT_FALSE(is_plain_file_name(".."));
    EXPECT_FALSE(is_plain_file_name("sub/bank.cpp"));
    EXPECT_FALSE(is_plain_file_name(""));
}

TEST_F(WorkspaceTest, FindsTheRepositoryRootFromInsideADay) {
    const auto root = find_repo_root(m_root / "sub" / "day01-x", {"day01-x"});
    ASSERT_TRUE(root);
    EXPECT_EQ(*root, fs::weakly_canonical(m_root / "sub"));
    EXPECT_FALSE(find_repo_root("/", {"day01-x"}));
}

TEST_F(WorkspaceTest, ASecondGraderOnTheSameTreeWaitsForTheFirst) {
    auto first = open_workspace(m_root / "sub", "day01-x");
    ASSERT_TRUE(first);
    std::atomic<bool> told{false};
    std::atomic<bool> opened{false};
    std::thread second([&] {
        const auto ws = open_workspace(m_root / "sub", "day01-x", "grade", [&](const fs::path&) { told = true; });
        opened = ws.has_value();
    });
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!told && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(told) << "the second grader was not told it waits";
    EXPECT_FALSE(opened) << "the second grader got the tree while the first held it";
    first = Result<Workspace>(Workspace{});  // the first grader ends: its lock goes
    second.join();
    EXPECT_TRUE(opened);
    // Another day's tree is not held by it.
    EXPECT_TRUE(open_workspace(m_root / "sub", "day02-y", "grade", [](const fs::path&) { ADD_FAILURE(); }));
}

}  // namespace
}  // namespace grade
