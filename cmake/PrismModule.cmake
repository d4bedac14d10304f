# prism_module(<name> [DEPS ...]): a static library prism_<name> from the .cpp
# files of the calling folder; headers are included as "<name>/file.h".
# A folder without sources yet becomes an interface library so that
# dependants can already name it.
function(prism_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  if(sources)
    add_library(prism_${name} STATIC ${sources})
    target_include_directories(prism_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(prism_${name} PUBLIC ${ARG_DEPS})
  else()
    add_library(prism_${name} INTERFACE)
    target_include_directories(prism_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(prism_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# prism_test(<name> SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(prism_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  target_compile_definitions(${name} PRIVATE
    PRISM_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
    PRISM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 900)
endfunction()
