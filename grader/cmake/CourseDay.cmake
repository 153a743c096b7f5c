# The course's two build shapes, one file so that their flags can never drift apart:
#
# add_course_runtime: the runtime every day's tests link, built once per flavour and reused by
#   every day, workspace and submission (grader/cmake/runtime, run by `grade prepare` and, when no
#   runtime matches the bundle, by the grader into its cache): the harness (ct_harness_F), its Asio
#   support (ct_asio_F) and the condition-variable shims.
#
# add_course_day: one day, for a reference in `grade check` and for a student's submission alike
#   (grader-design §4). The grader never runs a student's build files: it configures
#   grader/cmake/day/ with the student's allowlisted files copied into a private directory, and this
#   function turns them into one test binary per build flavour, tests_F in bin/, from the test
#   sources that hold that flavour's tests, the student's .cpp files (ct_student_F, the only objects
#   an edit rebuilds) and the prebuilt runtime.

include_guard(GLOBAL)

# Grading flags are part of the contract (curriculum §1 and §3): never -Werror on student code.
# -g1 (line tables and function names, no variable info): every stack the grader shows (sanitizer
# reports, the hang diagnosis's gdb dump, the handler watch's samples) needs file, line and
# function, inlined frames included, and nothing more; full -g costs a third of an ASan
# compile (architecture.md, "Decisions").
set(CT_COMMON_FLAGS -O1 -g1 -Wall -Wextra -Wno-mismatched-new-delete -fno-omit-frame-pointer)
set(CT_FLAVOUR_release_FLAGS "")
set(CT_FLAVOUR_tsan_FLAGS -fsanitize=thread -Wno-tsan)
set(CT_FLAVOUR_asan_FLAGS -fsanitize=address,undefined)

# Days that list `asio` in day.yaml's `libraries` (standalone Asio 1.22, header-only) get, in every
# translation unit of the day (student files, tests, harness), Asio's custom handler tracking hook
# pointed at the harness (ct/asio_tracking.hpp): it changes the layout of Asio's operation objects,
# so it must be all or nothing. ct_asio_F adds the tracker's implementation (src/asio_tracking.cpp,
# per-handler wall/CPU/context-switch accounting and stack sampling, read through
# ct/handler_watch.hpp) and libbacktrace (shipped with GCC) to symbolise the samples. Under TSan,
# Asio's fenced blocks are disabled: g++ 12's TSan does not model atomic_thread_fence (curriculum §1).
# ASIO_HAS_STD_ALIGNED_ALLOC is fixed for every TU: Asio 1.22 decides it from _GLIBCXX_HAVE_ALIGNED_ALLOC,
# which is defined only if a standard header came before Asio's, so a TU that includes Asio first
# allocates recycled handler memory with operator new while one that includes <gtest/gtest.h> first
# frees it with free(): ASan's alloc-dealloc-mismatch on correct code (seen on day 6).
function(ct_asio_definitions flavour out)
  set(defs "ASIO_CUSTOM_HANDLER_TRACKING=\"ct/asio_tracking.hpp\"" ASIO_HAS_STD_ALIGNED_ALLOC=1)
  if(flavour STREQUAL "tsan")
    list(APPEND defs ASIO_DISABLE_FENCED_BLOCK)
  endif()
  set(${out} ${defs} PARENT_SCOPE)
endfunction()

function(ct_check_flavour flavour)
  if(NOT DEFINED CT_FLAVOUR_${flavour}_FLAGS)
    message(FATAL_ERROR "unknown build flavour '${flavour}' (release, tsan, asan)")
  endif()
endfunction()

# The libraries a test binary needs besides the runtime's archives (the harness is GoogleTest's
# main and RapidCheck's seed source).
macro(ct_find_test_packages)
  find_package(Threads REQUIRED)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
endmacro()

# What a test source of flavour F compiles with (besides a day's Asio definitions, which the
# precompiled header does not depend on): shared by the runtime's precompiled header and every day's
# test sources, so that the header is always valid for them.
macro(ct_test_usage target scope flavour harness_dir)
  target_include_directories(${target} ${scope} ${harness_dir}/include)
  target_compile_features(${target} ${scope} cxx_std_20)
  target_compile_options(${target} ${scope} ${CT_COMMON_FLAGS} ${CT_FLAVOUR_${flavour}_FLAGS})
  target_link_libraries(${target} ${scope} GTest::gtest GTest::gmock rapidcheck rapidcheck_gtest Threads::Threads)
endmacro()

# The precompiled header a day's test sources of flavour F are compiled with (-include).
function(ct_pch_header runtime_dir flavour out)
  set(${out} ${runtime_dir}/CMakeFiles/ct_pch_${flavour}.dir/cmake_pch.hxx PARENT_SCOPE)
endfunction()

# --- the runtime ---------------------------------------------------------------------------------

function(add_course_runtime)
  cmake_parse_arguments(arg "" "HARNESS_DIR" "FLAVOURS" ${ARGN})
  ct_find_test_packages()
  find_package(nlohmann_json REQUIRED)
  foreach(shim cvdelay cvspur cvwake lockdelay)
    add_library(ct_${shim} SHARED ${arg_HARNESS_DIR}/shims/${shim}.c)
    target_link_libraries(ct_${shim} PRIVATE ${CMAKE_DL_LIBS})
    set_target_properties(ct_${shim} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shims)
  endforeach()
  foreach(flavour IN LISTS arg_FLAVOURS)
    ct_check_flavour(${flavour})
    set(sources
      ${arg_HARNESS_DIR}/src/ct.cpp
      ${arg_HARNESS_DIR}/src/ct_main.cpp
      ${arg_HARNESS_DIR}/src/side_channel.cpp
      ${arg_HARNESS_DIR}/src/sanitizer_reports.cpp)
    if(flavour STREQUAL "tsan")
      list(APPEND sources ${arg_HARNESS_DIR}/src/tsan_hooks.cpp)
    elseif(flavour STREQUAL "asan")
      list(APPEND sources ${arg_HARNESS_DIR}/src/asan_hooks.cpp)
    endif()
    # Compiled with the flavour's flags, so that the sanitizers see the harness's synchronisation.
    add_library(ct_harness_${flavour} STATIC ${sources})
    target_include_directories(ct_harness_${flavour} PRIVATE ${arg_HARNESS_DIR}/include)
    target_compile_options(ct_harness_${flavour} PRIVATE ${CT_COMMON_FLAGS} ${CT_FLAVOUR_${flavour}_FLAGS})
    target_link_libraries(ct_harness_${flavour} PRIVATE GTest::gtest rapidcheck rapidcheck_gtest
                                                        nlohmann_json::nlohmann_json)
    ct_asio_definitions(${flavour} asio_defs)
    add_library(ct_asio_${flavour} STATIC ${arg_HARNESS_DIR}/src/asio_tracking.cpp)
    target_include_directories(ct_asio_${flavour} PRIVATE ${arg_HARNESS_DIR}/include)
    target_compile_definitions(ct_asio_${flavour} PRIVATE ${asio_defs})
    target_compile_options(ct_asio_${flavour} PRIVATE ${CT_COMMON_FLAGS} ${CT_FLAVOUR_${flavour}_FLAGS})
    set_target_properties(ct_harness_${flavour} ct_asio_${flavour} PROPERTIES
      ARCHIVE_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
    # The test sources' precompiled header (ct/test_pch.hpp), made by CMake for a target whose
    # flags are exactly a test source's (ct_test_usage); a day's test sources include
    # ${runtime}/CMakeFiles/ct_pch_F.dir/cmake_pch.hxx (ct_pch_header).
    add_library(ct_pch_${flavour} OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch.cpp)
    ct_test_usage(ct_pch_${flavour} PRIVATE ${flavour} ${arg_HARNESS_DIR})
    target_precompile_headers(ct_pch_${flavour} PRIVATE ${arg_HARNESS_DIR}/include/ct/test_pch.hpp)
  endforeach()
endfunction()

# --- a day ---------------------------------------------------------------------------------------

# ct_runtime_F: what every object of flavour F of a day compiles and links with: the harness's
# headers, the flavour's flags, and the runtime's archives linked whole (the sanitizer hooks and
# the side channel's .preinit_array entry are referenced by nobody, and an archive member nobody
# references is silently left out).
function(ct_import_runtime flavour runtime_dir harness_dir use_asio)
  foreach(part harness asio)
    add_library(ct_prebuilt_${part}_${flavour} STATIC IMPORTED)
    set_target_properties(ct_prebuilt_${part}_${flavour} PROPERTIES
      IMPORTED_LOCATION ${runtime_dir}/lib/libct_${part}_${flavour}.a)
  endforeach()
  add_library(ct_runtime_${flavour} INTERFACE)
  ct_test_usage(ct_runtime_${flavour} INTERFACE ${flavour} ${harness_dir})
  target_link_options(ct_runtime_${flavour} INTERFACE ${CT_FLAVOUR_${flavour}_FLAGS})
  set(archives "$<LINK_LIBRARY:WHOLE_ARCHIVE,ct_prebuilt_harness_${flavour}>")
  if(use_asio)
    ct_asio_definitions(${flavour} asio_defs)
    target_compile_definitions(ct_runtime_${flavour} INTERFACE ${asio_defs})
    list(APPEND archives "$<LINK_LIBRARY:WHOLE_ARCHIVE,ct_prebuilt_asio_${flavour}>" backtrace)
  endif()
  target_link_libraries(ct_runtime_${flavour} INTERFACE ${archives})
endfunction()

# TEST_SOURCES_<flavour>: the test sources of that flavour's binary (the grader passes only those
# that hold a test of the flavour, grading.yaml being the single source of truth); a flavour with
# none gets no binary.
function(add_course_day)
  cmake_parse_arguments(arg "" "NAME;STUDENT_DIR;HARNESS_DIR;RUNTIME_DIR"
                        "STUDENT_SOURCES;FLAVOURS;LIBRARIES;TEST_SOURCES_release;TEST_SOURCES_tsan;TEST_SOURCES_asan"
                        ${ARGN})
  ct_find_test_packages()
  # `asio` names the harness's Asio support, not a library to link (Asio is header-only).
  set(libraries ${arg_LIBRARIES})
  set(use_asio FALSE)
  if("asio" IN_LIST libraries)
    list(REMOVE_ITEM libraries asio)
    set(use_asio TRUE)
  endif()
  foreach(flavour IN LISTS arg_FLAVOURS)
    ct_check_flavour(${flavour})
    if(NOT arg_TEST_SOURCES_${flavour})
      continue()
    endif()
    ct_import_runtime(${flavour} ${arg_RUNTIME_DIR} ${arg_HARNESS_DIR} ${use_asio})
    set(student_objects "")
    if(arg_STUDENT_SOURCES)
      add_library(ct_student_${flavour} OBJECT ${arg_STUDENT_SOURCES})
      target_include_directories(ct_student_${flavour} PUBLIC ${arg_STUDENT_DIR})
      target_link_libraries(ct_student_${flavour} PUBLIC ct_runtime_${flavour} ${libraries})
      set(student_objects $<TARGET_OBJECTS:ct_student_${flavour}>)
    endif()
    add_executable(tests_${flavour} ${arg_TEST_SOURCES_${flavour}} ${student_objects})
    target_include_directories(tests_${flavour} PRIVATE ${arg_STUDENT_DIR})
    # Test sources only (the student's objects are their own target): the runtime's precompiled
    # header; -Winvalid-pch names it in a failed build's messages should it ever stop matching.
    ct_pch_header(${arg_RUNTIME_DIR} ${flavour} pch)
    target_compile_options(tests_${flavour} PRIVATE -Winvalid-pch -include ${pch})
    target_link_libraries(tests_${flavour} PRIVATE ct_runtime_${flavour} ${libraries})
    # The sanitizer runtimes are shared libraries: they see the harness's hooks
    # (__tsan_on_report, __tsan_default_options, ...) only if the executable exports them.
    set_target_properties(tests_${flavour} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin
      ENABLE_EXPORTS ON)
  endforeach()
endfunction()
