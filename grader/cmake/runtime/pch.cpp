// An empty translation unit: the target that precompiles ct/test_pch.hpp (add_course_runtime).
