// The hostile fixture's API. attack() does whatever a submission wants and says what it achieved;
// the reference returns "" and answer() 42.
#pragma once

#include <string>

namespace hostile {

std::string attack();
int answer();

}  // namespace hostile
