// <sys/event.h> for Linux: the kit's kqueue(2) emulation.
//
// On macOS and the BSDs the build uses the system's own <sys/event.h>; on
// Linux it puts this directory first on the include path, so the kit's
// kqueue backend (stage 4's kqueue_backend.cpp) is one and the
// same file on every platform. This header mirrors the BSD one: the same
// struct, constants (same values) and functions, and EV_SET, which the
// BSDs define as a macro (the one place in the kit where a macro stands
// for an API, because the platform's does). Lesson: lessons/04-kqueue.md.
//
// The subset the kit uses, with kqueue(2)'s semantics, built on epoll
// (kqueue_emulation.cpp):
// - filters EVFILT_READ (data: bytes available to read), EVFILT_WRITE and
//   EVFILT_USER (NOTE_TRIGGER; NOTE_FFNOP, NOTE_FFAND, NOTE_FFOR and
//   NOTE_FFCOPY on the low 24 bits of fflags);
// - EV_ADD (adds; on an existing knote changes only udata: it neither
//   enables it nor changes its mode), EV_DELETE, EV_ENABLE, EV_DISABLE,
//   EV_ONESHOT (deleted after its first event), EV_CLEAR (reported when
//   the state changes, not while it lasts);
// - EV_EOF in returned events: on EVFILT_READ the peer shut its write
//   side (data may still be > 0), on EVFILT_WRITE the reader is gone;
//   EV_ERROR for a change that failed (errno in data);
// - udata comes back as the last change set it; the changelist is applied
//   before waiting; a NULL timeout waits forever, one above 1e8 seconds is
//   EINVAL (as on macOS); close() drops an fd's knotes; a child made by
//   fork() does not inherit the queue (its fd is closed in the child by a
//   pthread_atfork() handler: a raw clone() or vfork() escapes it).
// Not emulated: other filters, fflags of EVFILT_READ/WRITE (the socket
// error on EV_EOF is left in SO_ERROR for the program to read), data for
// EVFILT_WRITE (0), regular files (epoll refuses them: EPERM), EV_RECEIPT,
// EV_DISPATCH; the dup() caveat in kqueue_emulation.cpp.
#ifndef KIT_KQUEUE_EMULATION_SYS_EVENT_H
#define KIT_KQUEUE_EMULATION_SYS_EVENT_H

#include <stdint.h>
#include <time.h>

// Filters (what to watch an ident for).
#define EVFILT_READ (-1)   // readable: data = bytes available
#define EVFILT_WRITE (-2)  // writable
#define EVFILT_USER (-11)  // triggered by the program itself (FreeBSD's value)

// Actions and flags in a change.
#define EV_ADD 0x0001      // add the knote, or change it if it exists
#define EV_DELETE 0x0002   // remove the knote
#define EV_ENABLE 0x0004   // report its events again
#define EV_DISABLE 0x0008  // keep it, but report nothing
#define EV_ONESHOT 0x0010  // delete it after its first event
#define EV_CLEAR 0x0020    // reset its state once reported (edge-triggered)

// Flags in a returned event.
#define EV_ERROR 0x4000  // a change failed: data holds the errno
#define EV_EOF 0x8000    // READ: the peer shut its write side; WRITE: the reader is gone

// fflags of EVFILT_USER: the low 24 bits are the program's own flags; the
// top two bits say how a change combines them with the knote's.
#define NOTE_FFNOP 0x00000000U       // ignore the change's flags
#define NOTE_FFAND 0x40000000U       // AND them in
#define NOTE_FFOR 0x80000000U        // OR them in
#define NOTE_FFCOPY 0xc0000000U      // copy them
#define NOTE_FFCTRLMASK 0xc0000000U  // the two control bits
#define NOTE_FFLAGSMASK 0x00ffffffU  // the program's flags
#define NOTE_TRIGGER 0x01000000U     // trigger the user event

/// One change to a kqueue, or one event it returns (kqueue(2)).
struct kevent {
    uintptr_t ident;  ///< The fd (EVFILT_USER: any number the program picks).
    int16_t filter;   ///< EVFILT_READ, EVFILT_WRITE or EVFILT_USER.
    uint16_t flags;   ///< EV_* actions and flags.
    uint32_t fflags;  ///< Filter-specific flags (EVFILT_USER's NOTE_*; else 0 here).
    intptr_t data;    ///< Filter-specific data: bytes to read; errno with EV_ERROR.
    void* udata;      ///< Opaque: returned as given.
};

/// Fills in a struct kevent, as the BSDs' macro does.
#define EV_SET(kevp, a, b, c, d, e, f) \
    do {                               \
        struct kevent* ev_ = (kevp);   \
        ev_->ident = (a);              \
        ev_->filter = (b);             \
        ev_->flags = (c);              \
        ev_->fflags = (d);             \
        ev_->data = (e);               \
        ev_->udata = (f);              \
    } while (0)

#ifdef __cplusplus
extern "C" {
#endif

/// A new kernel event queue (an fd; close() it when done), or -1 with errno.
int kqueue(void);

/// Applies @p nchanges changes to @p kq, then waits up to @p timeout (NULL:
/// forever) for at most @p nevents events. @return the number of events
/// stored (with EV_ERROR entries for failed changes, returned at once), or
/// -1 with errno (EINTR, EBADF, EINVAL, or a failed change with no room).
int kevent(int kq, const struct kevent* changelist, int nchanges, struct kevent* eventlist,
           int nevents, const struct timespec* timeout);

#ifdef __cplusplus
}
#endif

#endif  // KIT_KQUEUE_EMULATION_SYS_EVENT_H
