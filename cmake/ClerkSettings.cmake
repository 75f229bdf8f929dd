# One INTERFACE target carries the project's warning and sanitizer flags;
# every clerk target links it PRIVATE.
add_library(clerk_settings INTERFACE)
add_library(clerk::settings ALIAS clerk_settings)

target_compile_options(clerk_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
target_compile_definitions(clerk_settings INTERFACE
  QT_NO_URL_CAST_FROM_STRING QT_NO_CAST_FROM_BYTEARRAY QT_USE_QSTRINGBUILDER QT_NO_KEYWORDS)

# Clang checks the lock annotations of core/thread_annotations.h; a violation is an
# error in every clang build (CI's sanitizer and fuzzer build is one), not a warning.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  target_compile_options(clerk_settings INTERFACE -Wthread-safety -Werror=thread-safety)
endif()

if(CLERK_WERROR)
  target_compile_options(clerk_settings INTERFACE -Werror)
endif()

if(CLERK_SANITIZE)
  target_compile_options(clerk_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(clerk_settings INTERFACE -fsanitize=address,undefined)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()
