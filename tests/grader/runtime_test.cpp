#include "runtime.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "util.hpp"

namespace grade {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

// A bundle whose harness is a set of one-line sources (so that a real runtime build takes seconds)
// and whose CMake function is the course's own.
class RuntimeTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("grade-runtime-test-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        m_bundle = BundlePaths{m_root / "bundle"};
        for (const auto* name : {"ct.cpp", "ct_main.cpp", "side_channel.cpp", "sanitizer_reports.cpp",
                                 "tsan_hooks.cpp", "asan_hooks.cpp", "asio_tracking.cpp"}) {
            write(m_bundle.harness_dir() / "src" / name, std::string("int ct_") + fs::path(name).stem().string() + ";\n");
        }
        for (const auto* name : {"cvdelay.c", "cvspur.c", "cvwake.c", "lockdelay.c"}) {
            write(m_bundle.harness_dir() / "shims" / name, "int shim;\n");
        }
        write(m_bundle.harness_dir() / "include" / "ct" / "ct.hpp", "#pragma once\n");
        write(m_bundle.harness_dir() / "include" / "ct" / "test_pch.hpp", "#pragma once\n");
        fs::copy(fs::path(GRADE_TEST_SOURCE_DIR) / "grader" / "cmake", m_bundle.root / "grader" / "cmake",
                 fs::copy_options::recursive);
        ::setenv("GRADE_CACHE", (m_root / "cache").c_str(), 1);
    }
    void TearDown() override {
        ::unsetenv("GRADE_CACHE");
        fs::remove_all(m_root);
    }
    fs::path m_root;
    BundlePaths m_bundle;
};

TEST_F(RuntimeTest, KeyFollowsTheHarnessAndTheToolchainNotThePlace) {
    const auto key = runtime_key(m_bundle, "g++ 12.2.0");
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->rfind("sha256:", 0), 0U);
    EXPECT_NE(*key, *runtime_key(m_bundle, "g++ 13.1.0"));

    fs::copy(m_bundle.root, m_root / "moved", fs::copy_options::recursive);
    EXPECT_EQ(*key, *runtime_key(BundlePaths{m_root / "moved"}, "g++ 12.2.0"));
    fs::create_directories(m_root / "linked");  // a bundle whose grader/ is a link (the e2e fixture's)
    fs::create_directory_symlink(m_bundle.root / "grader", m_root / "linked" / "grader");
    EXPECT_EQ(*key, *runtime_key(BundlePaths{m_root / "linked"}, "g++ 12.2.0"));

    write(m_bundle.harness_dir() / "src" / "ct.cpp", "int ct_changed;\n");
    EXPECT_NE(*key, *runtime_key(m_bundle, "g++ 12.2.0"));
}

TEST_F(RuntimeTest, CompleteOnlyWithItsKeyAndEveryOutputItNeeds) {
    const fs::path dir = m_root / "rt";
    const RuntimeNeeds release{{Flavour::release}, false};
    EXPECT_FALSE(runtime_complete(dir, "sha256:k", release));
    write(dir / "runtime.key", "sha256:k\n");
    EXPECT_FALSE(runtime_complete(dir, "sha256:k", release));  // nothing built
    write(dir / "lib" / "libct_harness_release.a", "");
    write(dir / "CMakeFiles" / "ct_pch_release.dir" / "cmake_pch.hxx.gch", "");
    write(dir / "shims" / "libct_cvdelay.so", "");
    write(dir / "shims" / "libct_cvspur.so", "");
    write(dir / "shims" / "libct_cvwake.so", "");
    write(dir / "shims" / "libct_lockdelay.so", "");
    EXPECT_TRUE(runtime_complete(dir, "sha256:k", release));
    EXPECT_FALSE(runtime_complete(dir, "sha256:other", release));
    EXPECT_FALSE(runtime_complete(dir, "sha256:k", {{Flavour::release}, true}));  // no Asio support built
    EXPECT_FALSE(runtime_complete(dir, "sha256:k", {{Flavour::release, Flavour::tsan}, false}));
}

TEST_F(RuntimeTest, FindBuildsWhatIsMissingInTheCacheOnceAndThenReusesIt) {
    int told = 0;
    const auto progress = [&](const std::string&) { ++told; };
    const auto first = find_runtime(m_bundle, "g++ test", {{Flavour::release}, false}, progress);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->parent_path(), m_root / "cache" / "runtime");
    EXPECT_TRUE(fs::exists(*first / "lib" / "libct_harness_release.a"));
    EXPECT_FALSE(fs::exists(*first / "lib" / "libct_harness_tsan.a"));  // only what was asked for
    EXPECT_EQ(told, 1);

    const auto again = find_runtime(m_bundle, "g++ test", {{Flavour::release}, false}, progress);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);
    EXPECT_EQ(told, 1);  // nothing built

    // A changed harness is another runtime: the old one is never used for it.
    write(m_bundle.harness_dir() / "src" / "ct.cpp", "int ct_changed;\n");
    const auto changed = find_runtime(m_bundle, "g++ test", {{Flavour::release}, false}, progress);
    ASSERT_TRUE(changed);
    EXPECT_NE(*changed, *first);
    EXPECT_EQ(told, 2);
}

TEST_F(RuntimeTest, ABrokenHarnessIsTheGradersErrorWithTheCompilersWords) {
    write(m_bundle.harness_dir() / "src" / "ct.cpp", "int broken(;\n");
    const auto found = find_runtime(m_bundle, "g++ test", {{Flavour::release}, false}, {});
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().kind, ErrorKind::infrastructure);
    EXPECT_NE(found.error().message.find("building the course runtime"), std::string::npos) << found.error().message;
    EXPECT_NE(found.error().message.find("ct.cpp"), std::string::npos) << found.error().message;
}

}  // namespace
}  // namespace grade
