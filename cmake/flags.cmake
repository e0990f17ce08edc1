# Compiler and linker flags shared by every target.
add_compile_options(-Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
if(TESSERA_WERROR)
  add_compile_options(-Werror)
endif()

# lld links much faster than bfd; use it when present.
find_program(LLD_PROGRAM ld.lld)
if(LLD_PROGRAM)
  add_link_options(-fuse-ld=lld)
endif()

if(TESSERA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "" FORCE)
endif()
# Keep assertions on in every build type: they guard invariants (shared/style.md, item 11).
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELWITHDEBINFO "${CMAKE_CXX_FLAGS_RELWITHDEBINFO}")
string(REPLACE "-DNDEBUG" "" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O2 -g1")
# The sanitizer tree (make test) compiles at -O1: half the compile time of -O2 under ASan (measured
# on the heaviest test file: 59 s against 117 s), which is most of CI's time; -O1 is also what the
# ASan documentation advises for usable reports.
if(TESSERA_SANITIZE)
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -g1")
endif()
