#pragma once
// The one Asio setting tracehop fixes. Asio keeps, per thread, the memory blocks it last freed
// (coroutine frames, composed operations, handlers) to hand them out again: 2 of each kind by
// default, 16 here, so a thread with many requests in flight reuses their frames instead of
// allocating them (7 of 16 heap allocations a request with 20 in flight; bench/README.md).
//
// The value sizes a struct that every translation unit using Asio shares, so all of them must
// agree: the tracehop::http CMake target passes it on to whatever links it, and a translation
// unit that includes a tracehop header without it stops here rather than corrupting memory.

#if !defined(BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE) || BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE != 16
#error "tracehop needs BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16 in every translation unit that uses Asio: link tracehop::http (CMake adds it) or pass -DBOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16"
#endif
