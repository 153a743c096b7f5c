#include "git_repo.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace grade {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class GitRepoTest : public testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("grade-git-test-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        fs::create_directories(m_root / "student" / "day01-x");
    }
    void TearDown() override { fs::remove_all(m_root); }
    void write(const std::string& name, const std::string& text) { std::ofstream(m_root / "student" / name) << text; }
    fs::path m_root;
};

TEST_F(GitRepoTest, InitFetchExportAndDetectARewrite) {
    write("day01-x/a.cpp", "int a;");
    write("README.md", "hi");
    fs::create_symlink("/etc/passwd", m_root / "student" / "day01-x" / "b.cpp");
    const auto first = init_with_first_commit(m_root / "student", "start");
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(head_commit(m_root / "student"), *first);

    const auto mirror = m_root / "mirror.git";
    const auto fetched = fetch_mirror(mirror, (m_root / "student").string(), "", 60s);
    ASSERT_TRUE(fetched) << fetched.error().message;
    EXPECT_EQ(fetched->sha, *first);
    EXPECT_EQ(fetched->branch, "main");
    EXPECT_EQ(fetched->summary, "start");

    const auto exported = export_day_files(mirror, fetched->sha, "day01-x", {"a.cpp", "b.cpp", "c.cpp"}, 1000);
    ASSERT_TRUE(exported) << exported.error().message;
    EXPECT_TRUE(exported->day_dir_exists);
    ASSERT_EQ(exported->files.size(), 1U);
    EXPECT_EQ(exported->files[0].content, "int a;");
    ASSERT_EQ(exported->rejected.size(), 1U);
    EXPECT_NE(exported->rejected[0].find("day01-x/b.cpp: is a symbolic link"), std::string::npos);
    const auto too_big = export_day_files(mirror, fetched->sha, "day01-x", {"a.cpp"}, 3);
    EXPECT_NE(too_big->rejected.at(0).find("over the 3 byte limit"), std::string::npos);
    EXPECT_FALSE(export_day_files(mirror, fetched->sha, "day02-y", {"a.cpp"}, 1000)->day_dir_exists);

    // The student starts over: a new history that does not contain the first commit.
    fs::remove_all(m_root / "student" / ".git");
    write("day01-x/a.cpp", "int a = 2;");
    const auto rewritten = init_with_first_commit(m_root / "student", "again");
    ASSERT_TRUE(rewritten);
    const auto refetched = fetch_mirror(mirror, (m_root / "student").string(), "main", 60s);
    ASSERT_TRUE(refetched) << refetched.error().message;
    EXPECT_EQ(refetched->sha, *rewritten);
    EXPECT_EQ(descends_from(mirror, *rewritten, *first), false);
    EXPECT_EQ(descends_from(mirror, *first, *first), true);
    // The frozen commit is still in the mirror after the rewrite.
    EXPECT_EQ(export_day_files(mirror, *first, "day01-x", {"a.cpp"}, 1000)->files.at(0).content, "int a;");
}

TEST_F(GitRepoTest, FetchFailuresAreErrorsThatSayWhy) {
    const auto missing = fetch_mirror(m_root / "m1.git", (m_root / "nope").string(), "", 10s);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no repository at"), std::string::npos) << missing.error().message;
    fs::create_directories(m_root / "empty");
    ASSERT_TRUE(init_with_first_commit(m_root / "student", "x"));
    const auto no_branch = fetch_mirror(m_root / "m2.git", (m_root / "student").string(), "feature", 10s);
    ASSERT_FALSE(no_branch);
    EXPECT_NE(no_branch.error().message.find("has no branch 'feature'"), std::string::npos) << no_branch.error().message;
}

TEST_F(GitRepoTest, ChangedPathsIncludeCommittedAndUncommittedWork) {
    write("day01-x/a.cpp", "1");
    ASSERT_TRUE(init_with_first_commit(m_root / "student", "start"));
    write("day01-x/a.cpp", "2");
    write("day02-y.txt", "new");
    const auto changed = changed_paths(m_root / "student", "HEAD");
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(*changed, (std::vector<std::string>{"day01-x/a.cpp", "day02-y.txt"}));
    const auto bad = changed_paths(m_root / "student", "origin/nope");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("no base 'origin/nope'"), std::string::npos);
}

}  // namespace
}  // namespace grade
