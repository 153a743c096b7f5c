#include "build.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

TEST(CleanCompilerOutput, RewritesPathsAndDropsNinjaNoise) {
    const std::string raw =
        "[1/4] Building CXX object x.o\n"
        "FAILED: CMakeFiles/ct_student_release.dir/p/student/a.cpp.o\n"
        "/usr/bin/c++ -O1 -c /p/student/a.cpp\n"
        "/p/student/a.cpp:4:40: error: expected ';' before '}' token\n"
        "    4 | void f() { x += 1 }\n"
        "ninja: build stopped: subcommand failed.\n";
    const auto clean = clean_compiler_output(raw, {"/p/student/", "../student/"}, "day01-x/", "/b/hidden/", "/b/tests/");
    EXPECT_EQ(clean, "day01-x/a.cpp:4:40: error: expected ';' before '}' token\n    4 | void f() { x += 1 }\n");
}

TEST(CleanCompilerOutput, NeverQuotesHiddenTestSource) {
    const std::string raw =
        "/b/hidden/x_hidden_test.cpp:12:5: error: no matching function for call to 'transfer(int)'\n"
        "   12 |     secret_call(42);\n"
        "      |     ^~~~~~~~~~~\n"
        "/p/student/a.hpp:3:6: note: candidate: 'bool transfer(Account&, Account&, long)'\n"
        "    3 | bool transfer(Account& from, Account& to, long amount);\n";
    const auto clean = clean_compiler_output(raw, {"/p/student/", "../student/"}, "day01-x/", "/b/hidden/", "/b/tests/");
    EXPECT_EQ(clean.find("secret_call"), std::string::npos) << clean;
    EXPECT_NE(clean.find("hidden-tests/x_hidden_test.cpp:12:5: error"), std::string::npos) << clean;
    EXPECT_NE(clean.find("bool transfer(Account& from"), std::string::npos) << clean;  // the student's own line stays
}

TEST(CleanCompilerOutput, ExplainsUndefinedReferences) {
    const std::string raw =
        "/usr/bin/ld: CMakeFiles/t.dir/b/tests/a_test.cpp.o: in function `T::TestBody()':\n"
        "/usr/bin/ld: /b/tests/a_test.cpp:7: undefined reference to `fx::f()'\n"
        "collect2: error: ld returned 1 exit status\n";
    const auto clean = clean_compiler_output(raw, {"/p/student/", "../student/"}, "day01-x/", "/b/hidden/", "/b/tests/");
    EXPECT_NE(clean.find("day01-x/tests/a_test.cpp:7: undefined reference to `fx::f()'"), std::string::npos) << clean;
    EXPECT_NE(clean.find("declared but never defined"), std::string::npos) << clean;
    EXPECT_EQ(clean.find("collect2"), std::string::npos) << clean;
}

}  // namespace
}  // namespace grade

namespace grade {
namespace {

TEST(CleanCompilerOutput, ShowsAnErrorOnceThoughEveryFlavourReportsIt) {
    const std::string one = "/p/student/a.cpp:4:40: error: expected ';'\n    4 | int x = 1\n";
    const std::string raw = one + "[2/9] Building CXX object y.o\n" + one + one;
    const auto clean = clean_compiler_output(raw, {"/p/student/", "../student/"}, "day01-x/", "/b/hidden/", "/b/tests/");
    EXPECT_EQ(clean, "day01-x/a.cpp:4:40: error: expected ';'\n    4 | int x = 1\n");
}

TEST(CleanCompilerOutput, ContextLinesBelongToTheErrorTheyIntroduce) {
    // Two flavours' complete outputs one after the other (ninja prints each compile at its end):
    // GCC's "In member function" lines precede the error they describe.
    const std::string flavour = "/p/student/a.cpp: In member function 'void f()':\n"
                                "/p/student/a.cpp:4:40: error: expected ';'\n"
                                "    4 | int x = 1\n"
                                "/p/student/a.cpp: In member function 'int g()':\n"
                                "/p/student/a.cpp:5:9: error: 'y' was not declared\n"
                                "    5 | return y;\n";
    const std::string raw = "[1/5] Building CXX object x.o\nFAILED: x.o\n" + flavour +
                            "[2/5] Building CXX object y.o\nFAILED: y.o\n" + flavour;
    const auto clean = clean_compiler_output(raw, {"/p/student/", "../student/"}, "day01-x/", "/b/hidden/", "/b/tests/");
    EXPECT_EQ(clean, "day01-x/a.cpp: In member function 'void f()':\n"
                     "day01-x/a.cpp:4:40: error: expected ';'\n"
                     "    4 | int x = 1\n"
                     "day01-x/a.cpp: In member function 'int g()':\n"
                     "day01-x/a.cpp:5:9: error: 'y' was not declared\n"
                     "    5 | return y;\n");
}

TestSpec spec(const std::string& name, Flavour flavour = Flavour::release) {
    TestSpec test;
    test.name = name;
    test.flavour = flavour;
    return test;
}

DaySpec day_with(std::vector<TestSpec> tests) {
    DaySpec day;
    day.flavours = {Flavour::release, Flavour::tsan, Flavour::asan};
    day.tests = std::move(tests);
    return day;
}

TEST(TestSourcesByFlavour, EachFlavourCompilesOnlyTheSourcesHoldingItsTests) {
    const auto day = day_with({spec("APublic.One"),
                               spec("AHidden.Race", Flavour::tsan),
                               spec("BHidden.Plain"),
                               spec("BHidden.Lifetime", Flavour::asan),
                               spec("BHidden.Prop", Flavour::tsan)});
    const std::vector<std::pair<std::string, std::string>> sources = {
        {"a_test.cpp", "TEST(APublic, One) {}\n"},
        {"a_hidden_test.cpp", "TEST_F(AHidden,\n      Race) {}\n"},
        {"b_hidden_test.cpp", "TEST(BHidden, Plain) {}\nTEST(BHidden, Lifetime) {}\nRC_GTEST_PROP(BHidden, Prop, ()) {}\n"},
        {"helpers.cpp", "int helper() { return 1; }\n"}};
    const auto chosen = test_sources_by_flavour(day, sources);
    using V = std::vector<std::string>;
    EXPECT_EQ(chosen.at(Flavour::release), (V{"a_test.cpp", "b_hidden_test.cpp", "helpers.cpp"}));
    EXPECT_EQ(chosen.at(Flavour::tsan), (V{"a_hidden_test.cpp", "b_hidden_test.cpp", "helpers.cpp"}));
    EXPECT_EQ(chosen.at(Flavour::asan), (V{"b_hidden_test.cpp", "helpers.cpp"}));
}

TEST(TestSourcesByFlavour, AFlavourWithoutTestsGetsNoSources) {
    DaySpec day = day_with({spec("APublic.One")});
    const auto chosen = test_sources_by_flavour(day, {{"a_test.cpp", "TEST(APublic, One) {}"}});
    EXPECT_TRUE(chosen.at(Flavour::tsan).empty());
    EXPECT_TRUE(chosen.at(Flavour::asan).empty());
}

TEST(TestSourcesByFlavour, ADeclaredTestFoundNowhereKeepsEverySourceInEveryFlavour) {
    // A test defined through a macro of the test's own cannot be found by reading: guess nothing.
    const auto day = day_with({spec("APublic.One"), spec("AHidden.Made", Flavour::asan)});
    const std::vector<std::pair<std::string, std::string>> sources = {
        {"a_test.cpp", "TEST(APublic, One) {}"}, {"a_hidden_test.cpp", "MY_TEST(AHidden, Made)"}};
    const auto chosen = test_sources_by_flavour(day, sources);
    for (const auto flavour : day.flavours) {
        EXPECT_EQ(chosen.at(flavour).size(), 2U) << to_string(flavour);
    }
}

}  // namespace
}  // namespace grade
