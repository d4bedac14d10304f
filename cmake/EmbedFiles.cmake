# cmake -DSOURCE_DIR=<dir> -DOUTPUT=<file.cpp> -P EmbedFiles.cmake
#
# Writes a C++ source that holds every file under SOURCE_DIR as a string
# literal, with its URL path ("/" + the path relative to SOURCE_DIR) and a
# SHA-256 of its bytes (the HTTP ETag), as declared in
# src/server/embedded_files.h. Run at build time, so the page's files are
# compiled into the binary without a generated source in the repository.
cmake_minimum_required(VERSION 3.25)

file(GLOB_RECURSE files RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*")
list(SORT files)

# 32 bytes a line: "(64 hex digits)" -> "\xNN..." quoted.
string(REPEAT "[0-9a-f]" 64 line_of_hex)
set(arrays "")
set(table "")
set(index 0)
foreach(relative IN LISTS files)
  set(path "${SOURCE_DIR}/${relative}")
  file(READ "${path}" hex HEX)
  file(SHA256 "${path}" digest)
  file(SIZE "${path}" size)
  string(REGEX REPLACE "(${line_of_hex})" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
  string(REGEX REPLACE "([^\n]+)" "    \"\\1\"" escaped "${escaped}")
  if(size EQUAL 0)
    set(escaped "    \"\"")
  endif()
  string(APPEND arrays "// ${relative}\nconst char file_${index}[] =\n${escaped};\n\n")
  string(APPEND table "    {\"/${relative}\", {file_${index}, ${size}}, \"${digest}\"},\n")
  math(EXPR index "${index} + 1")
endforeach()

set(source "// Generated at build time by cmake/EmbedFiles.cmake from web/static: do not edit.
#include \"server/embedded_files.h\"

namespace prism::server {
namespace {

${arrays}const EmbeddedFile files[] = {
${table}};

}  // namespace

std::span<const EmbeddedFile> playground_files() { return files; }

}  // namespace prism::server
")

# Rewritten only when it changed, so an unchanged page rebuilds nothing.
set(existing "")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" existing)
endif()
if(NOT existing STREQUAL source)
  file(WRITE "${OUTPUT}" "${source}")
endif()
