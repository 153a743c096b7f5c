// Does not compile: a missing semicolon and an undeclared name.
#include "counter.hpp"
namespace fx {
void Counter::add(long n) { value_ += n }
long Counter::value() const { return valu_; }
}  // namespace fx
