# add_course_day: the one function that builds a day, for a reference in `grade check` and for a
# student's submission alike (grader-design §4). The grader never runs a student's build files:
# it configures grader/cmake/day/ with the student's allowlisted files copied into a private
# directory, and this function turns them into one test binary per build flavour.
#
# Per flavour F it defines: ct_harness_F (the harness, compiled with F's flags so sanitizers see
# its synchronisation), ct_student_F (the student's .cpp files, the only objects an edit rebuilds)
# and tests_F in bin/ (public + hidden test sources, linked with both); for a day that uses Asio
# also ct_asio_F (see ct_add_asio).

include_guard(GLOBAL)

# Grading flags are part of the contract (curriculum §1 and §3): never -Werror on student code.
set(CT_COMMON_FLAGS -O1 -g -Wall -Wextra -Wno-mismatched-new-delete -fno-omit-frame-pointer)
set(CT_FLAVOUR_release_FLAGS "")
set(CT_FLAVOUR_tsan_FLAGS -fsanitize=thread -Wno-tsan)
set(CT_FLAVOUR_asan_FLAGS -fsanitize=address,undefined)

function(ct_add_harness flavour harness_dir)
  if(TARGET ct_harness_${flavour})
    return()
  endif()
  set(sources
    ${harness_dir}/src/ct.cpp
    ${harness_dir}/src/ct_main.cpp
    ${harness_dir}/src/side_channel.cpp
    ${harness_dir}/src/sanitizer_reports.cpp)
  if(flavour STREQUAL "tsan")
    list(APPEND sources ${harness_dir}/src/tsan_hooks.cpp)
  elseif(flavour STREQUAL "asan")
    list(APPEND sources ${harness_dir}/src/asan_hooks.cpp)
  endif()
  # OBJECT, not STATIC: the sanitizer hooks are referenced by nobody at link time, and an
  # archive member nobody references is silently left out.
  add_library(ct_harness_${flavour} OBJECT ${sources})
  target_include_directories(ct_harness_${flavour} PUBLIC ${harness_dir}/include)
  target_compile_features(ct_harness_${flavour} PUBLIC cxx_std_20)
  target_compile_options(ct_harness_${flavour} PUBLIC ${CT_COMMON_FLAGS} ${CT_FLAVOUR_${flavour}_FLAGS})
  target_link_options(ct_harness_${flavour} PUBLIC ${CT_FLAVOUR_${flavour}_FLAGS})
  target_link_libraries(ct_harness_${flavour}
    PUBLIC GTest::gtest GTest::gmock rapidcheck rapidcheck_gtest Threads::Threads
    PRIVATE nlohmann_json::nlohmann_json)
endfunction()

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
function(ct_add_asio flavour harness_dir)
  if(TARGET ct_asio_${flavour})
    return()
  endif()
  add_library(ct_asio_${flavour} OBJECT ${harness_dir}/src/asio_tracking.cpp)
  target_compile_definitions(ct_asio_${flavour} PUBLIC
    "ASIO_CUSTOM_HANDLER_TRACKING=\"ct/asio_tracking.hpp\"" ASIO_HAS_STD_ALIGNED_ALLOC=1)
  if(flavour STREQUAL "tsan")
    target_compile_definitions(ct_asio_${flavour} PUBLIC ASIO_DISABLE_FENCED_BLOCK)
  endif()
  target_link_libraries(ct_asio_${flavour} PUBLIC ct_harness_${flavour} backtrace)
endfunction()

function(ct_add_shims harness_dir)
  if(TARGET ct_cvdelay)
    return()
  endif()
  foreach(shim cvdelay cvspur)
    add_library(ct_${shim} SHARED ${harness_dir}/shims/${shim}.c)
    target_link_libraries(ct_${shim} PRIVATE ${CMAKE_DL_LIBS})
    set_target_properties(ct_${shim} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/shims)
  endforeach()
endfunction()

function(add_course_day)
  cmake_parse_arguments(arg "" "NAME;STUDENT_DIR;HARNESS_DIR" "STUDENT_SOURCES;TEST_SOURCES;FLAVOURS;LIBRARIES" ${ARGN})
  find_package(Threads REQUIRED)
  find_package(GTest REQUIRED)
  find_package(rapidcheck REQUIRED)
  find_package(nlohmann_json REQUIRED)
  ct_add_shims(${arg_HARNESS_DIR})
  # `asio` names the harness's Asio support, not a library to link (Asio is header-only).
  set(libraries ${arg_LIBRARIES})
  set(use_asio FALSE)
  if("asio" IN_LIST libraries)
    list(REMOVE_ITEM libraries asio)
    set(use_asio TRUE)
  endif()
  foreach(flavour IN LISTS arg_FLAVOURS)
    if(NOT DEFINED CT_FLAVOUR_${flavour}_FLAGS)
      message(FATAL_ERROR "add_course_day(${arg_NAME}): unknown build flavour '${flavour}' (release, tsan, asan)")
    endif()
    ct_add_harness(${flavour} ${arg_HARNESS_DIR})
    set(flavour_libraries ${libraries})
    if(use_asio)
      ct_add_asio(${flavour} ${arg_HARNESS_DIR})
      list(APPEND flavour_libraries ct_asio_${flavour})
    endif()
    set(student_objects "")
    if(arg_STUDENT_SOURCES)
      add_library(ct_student_${flavour} OBJECT ${arg_STUDENT_SOURCES})
      target_include_directories(ct_student_${flavour} PUBLIC ${arg_STUDENT_DIR})
      target_link_libraries(ct_student_${flavour} PUBLIC ct_harness_${flavour} ${flavour_libraries})
      set(student_objects $<TARGET_OBJECTS:ct_student_${flavour}>)
    endif()
    add_executable(tests_${flavour} ${arg_TEST_SOURCES} ${student_objects})
    target_include_directories(tests_${flavour} PRIVATE ${arg_STUDENT_DIR})
    target_link_libraries(tests_${flavour} PRIVATE ct_harness_${flavour} ${flavour_libraries})
    # The sanitizer runtimes are shared libraries: they see the harness's hooks
    # (__tsan_on_report, __tsan_default_options, ...) only if the executable exports them.
    set_target_properties(tests_${flavour} PROPERTIES
      RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin
      ENABLE_EXPORTS ON)
  endforeach()
endfunction()
