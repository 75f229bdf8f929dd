// Thread-safety annotations: Clang's capability attributes, spelled as CLERK_ macros.
//
// Shared state is guarded by a clerk::Mutex (core/mutex.h); the data it guards says so
// with CLERK_GUARDED_BY, and a private function that expects the lock held says so with
// CLERK_REQUIRES. Clang checks every access at compile time (-Wthread-safety, an error in
// the clang build of CI); other compilers see empty macros.
//
// @code
//   class Counter {
//   public:
//       void add() CLERK_EXCLUDES(m_mutex) { MutexLock lock(m_mutex); bump(); }
//   private:
//       void bump() CLERK_REQUIRES(m_mutex) { ++m_count; }
//       Mutex m_mutex;
//       int m_count CLERK_GUARDED_BY(m_mutex) = 0;
//   };
// @endcode
//
// The attributes are described at https://clang.llvm.org/docs/ThreadSafetyAnalysis.html.
#pragma once

#if defined(__clang__)
#define CLERK_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define CLERK_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are a lock (a capability) named `x` in diagnostics.
#define CLERK_CAPABILITY(x) CLERK_THREAD_ANNOTATION(capability(x))
// On a class: an RAII object that holds a capability from construction to destruction.
#define CLERK_SCOPED_CAPABILITY CLERK_THREAD_ANNOTATION(scoped_lockable)

// On a member: reading or writing it requires holding `x`.
#define CLERK_GUARDED_BY(x) CLERK_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: reading or writing what it points to requires holding `x`.
#define CLERK_PT_GUARDED_BY(x) CLERK_THREAD_ANNOTATION(pt_guarded_by(x))

// On a function: the caller must hold the capabilities (exclusively / shared).
#define CLERK_REQUIRES(...) CLERK_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define CLERK_REQUIRES_SHARED(...) CLERK_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// On a function: the caller must not hold the capabilities (the function takes them).
#define CLERK_EXCLUDES(...) CLERK_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

// On a function: it acquires / releases the capabilities (with no argument: `this`).
#define CLERK_ACQUIRE(...) CLERK_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define CLERK_RELEASE(...) CLERK_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// On a function: it acquires the capabilities when it returns `x` (try_lock).
#define CLERK_TRY_ACQUIRE(...) CLERK_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function: after it returns, the capability is known to be held.
#define CLERK_ASSERT_CAPABILITY(x) CLERK_THREAD_ANNOTATION(assert_capability(x))
// On a function: it returns a reference to the capability `x`.
#define CLERK_RETURN_CAPABILITY(x) CLERK_THREAD_ANNOTATION(lock_returned(x))

// On a function: the analysis skips its body. Only with a comment that says why the
// access is safe without the lock.
#define CLERK_NO_THREAD_SAFETY_ANALYSIS CLERK_THREAD_ANNOTATION(no_thread_safety_analysis)
