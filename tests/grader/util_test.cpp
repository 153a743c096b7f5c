#include "util.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace grade {
namespace {

TEST(Util, ReplaceAllReplacesEveryOccurrenceOnce) {
    std::string text = "/w/student/a.cpp and /w/student/b.cpp";
    replace_all(text, "/w/student/", "day01/");
    EXPECT_EQ(text, "day01/a.cpp and day01/b.cpp");
    std::string grows = "aa";
    replace_all(grows, "a", "aa");  // the replacement is not searched again
    EXPECT_EQ(grows, "aaaa");
    std::string removed = "x--y--";
    replace_all(removed, "--", "");
    EXPECT_EQ(removed, "xy");
    std::string unchanged = "abc";
    replace_all(unchanged, "", "z");
    EXPECT_EQ(unchanged, "abc");
}

TEST(Util, ReadFileReadsBytesOrNothing) {
    const auto path = std::filesystem::temp_directory_path() / ("grade-util-" + std::to_string(::getpid()));
    std::ofstream(path, std::ios::binary) << std::string("a\0b", 3);
    EXPECT_EQ(read_file(path), std::string("a\0b", 3));
    std::filesystem::remove(path);
    EXPECT_FALSE(read_file(path));
}

}  // namespace
}  // namespace grade
