#include "digest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "bundle.hpp"

namespace grade {
namespace {
namespace fs = std::filesystem;

TEST(DigestTest, FieldsAreSeparated) {
    Sha256 ab_c;
    ab_c.field("ab");
    ab_c.field("c");
    Sha256 a_bc;
    a_bc.field("a");
    a_bc.field("bc");
    const auto one = ab_c.hex();
    EXPECT_NE(one, a_bc.hex());
    EXPECT_EQ(one.size(), std::string("sha256:").size() + 64);
    Sha256 empty;
    EXPECT_EQ(empty.hex(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(DigestTest, ADaysDigestChangesOnlyWithThatDay) {
    const fs::path root = fs::temp_directory_path() / ("grade-digest-test-" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (const auto* dir : {"exercises/day01-a/hidden", "exercises/day02-b/hidden", "templates/day01-a/tests",
                            "templates/day02-b/tests", "grader/harness", "grader/cmake", "grader/gdb"}) {
        fs::create_directories(root / dir);
    }
    const auto write = [&](const std::string& path, const std::string& text) { std::ofstream(root / path) << text; };
    write("exercises/course.yaml", "days: []");
    write("exercises/day01-a/hidden/a_hidden_test.cpp", "1");
    write("exercises/day02-b/hidden/b_hidden_test.cpp", "1");
    write("templates/day01-a/day.yaml", "x");
    write("templates/day02-b/day.yaml", "y");
    const BundlePaths bundle{root};
    const auto digest = [&](std::optional<std::string> day) { return bundle_digest(bundle, day).value(); };
    const auto day1 = digest("day01-a");
    const auto day2 = digest("day02-b");
    const auto all = digest({});
    EXPECT_NE(day1, day2);
    write("exercises/day02-b/hidden/b_hidden_test.cpp", "2");
    EXPECT_EQ(digest("day01-a"), day1);
    EXPECT_NE(digest("day02-b"), day2);
    EXPECT_NE(digest({}), all);
    const auto before_notes = digest("day02-b");
    write("exercises/day02-b/design.md", "notes are not graded");
    EXPECT_EQ(digest("day02-b"), before_notes);
    // Mutants and alternatives are instructor-only: an installed bundle has neither.
    for (const auto* dir : {"exercises/day02-b/mutants", "exercises/day02-b/alternatives"}) {
        fs::create_directories(root / dir);
        write(std::string(dir) + "/x01-variant.patch", "--- a/x\n");
        EXPECT_EQ(digest("day02-b"), before_notes) << dir;
    }
    fs::remove_all(root);
}

}  // namespace
}  // namespace grade
