// "Did you mean ...?" for day names, subcommands and test names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace grade {

// Levenshtein distance (insert, delete, substitute each cost 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidates closest to `word`, best first, within a distance that still looks like a typo
// (a third of the word's length, at least 2). Empty when nothing is close.
std::vector<std::string> closest(std::string_view word, const std::vector<std::string>& candidates,
                                 std::size_t most = 3);

}  // namespace grade
