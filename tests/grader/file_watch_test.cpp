#include "file_watch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace grade {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FileWatchTest : public testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        m_dir = fs::temp_directory_path() / ("grade-watch-test-" + std::to_string(::getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        std::ofstream(m_dir / "a.cpp") << "1";
        std::ofstream(m_dir / "b.cpp") << "1";
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path m_dir;
};

TEST_P(FileWatchTest, ReportsTheSavedFileAndIgnoresOthers) {
    auto watcher = FileWatcher::open({m_dir / "a.cpp", m_dir / "b.cpp"}, GetParam(), 50ms);
    ASSERT_TRUE(watcher);
    EXPECT_EQ(watcher->polling(), GetParam());
    std::ofstream(m_dir / "unrelated.txt") << "x";
    const auto quiet = watcher->wait(300ms);
    ASSERT_TRUE(quiet);
    EXPECT_TRUE(quiet->empty());

    // An editor that saves by writing a temporary file and renaming it over the original.
    std::ofstream(m_dir / ".b.cpp.swp") << "22";
    fs::rename(m_dir / ".b.cpp.swp", m_dir / "b.cpp");
    const auto changed = watcher->wait(10s);
    ASSERT_TRUE(changed);
    EXPECT_EQ(*changed, std::vector<std::string>{"b.cpp"});
    const auto after = watcher->wait(200ms);
    ASSERT_TRUE(after);
    EXPECT_TRUE(after->empty()) << "the same change reported twice";
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, FileWatchTest, testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Polling" : "Inotify"; });

}  // namespace
}  // namespace grade
