# tracehop_set_warnings(target): the project's warning level, and sanitizers when asked for.
function(tracehop_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual
                                           # g++ 12 flags designated initialisers that omit
                                           # defaulted members, the style this API is built for.
                                           -Wno-missing-field-initializers)
  if(TRACEHOP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(TRACEHOP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(TRACEHOP_TSAN)
  # -Wno-tsan: g++ warns that ThreadSanitizer does not model atomic_thread_fence, which Asio's
  # fenced blocks use; what that leaves unmodelled shows as a report, not as a build error.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()
