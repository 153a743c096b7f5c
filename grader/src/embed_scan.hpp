// Finds course-private text copied into a built test binary. A student's header is compiled into
// the hidden tests that include it, and the compiler must read those tests, so no sandbox can stop
// `asm(".incbin \"" __BASE_FILE__ "\"")` in a header from embedding a hidden test's source in its
// object; the test could then print it. What it cannot hide is the copy: the build's loaded
// sections (what a running test can read) are scanned for 64-byte windows of the hidden sources
// that span a line break. Compiled code never holds source text with its line breaks (GoogleTest
// stringifies expressions on one line), except raw string literals, whose text is left out.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grade {

// The first of `secrets` (by file name) whose text appears in the loaded sections of `binary`.
std::optional<std::string> find_embedded(const std::filesystem::path& binary,
                                         const std::vector<std::filesystem::path>& secrets);

// The same over raw bytes (exposed for tests): `haystack` is searched for windows of `secret`.
bool contains_embedded(const std::string& haystack, const std::string& secret);

}  // namespace grade
