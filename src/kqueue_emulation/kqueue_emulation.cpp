// kqueue(2) on Linux, built on epoll: the kit's emulation; see sys/event.h
// for the subset and what is left out. Lesson: lessons/04-kqueue.md. Any
// thread may call kevent() on any queue: each queue has a lock, released
// while it waits.
//
// How it maps:
// - A kqueue is an epoll fd (the "main set"), so close() ends it as it
//   ends a real one. Read knotes are registrations in it. Write knotes live
//   in a second epoll set, which is itself registered in the main set. Two
//   sets, because epoll keeps one registration per (fd, file) in a set,
//   while kqueue keeps the two filters apart: here each filter has its own
//   registration, with its own EPOLLET (EV_CLEAR) and EPOLLONESHOT
//   (EV_ONESHOT), and a byte that arrives wakes only the read side. The
//   kernel does level- and edge-triggering and keeps the events that did not
//   fit in the eventlist for the next call, as it does for a real kqueue.
// - epoll drops a registration when its file is closed, as kqueue drops
//   knotes. But this file's own records of the knotes stay, keyed by fd
//   number; so each records the file it was added for (st_dev and st_ino
//   from fstat(), done anyway to check the fd), and a change that finds
//   another file behind the number drops the stale knotes first. Each
//   registration carries the generation of its fd's records, so an event
//   from an older registration of the same number is ignored for free: no
//   system call per reported event.
// - EVFILT_USER knotes are records only; an eventfd in the main set is
//   readable while one of them is triggered, which wakes kevent() (from any
//   thread) and makes the kqueue fd readable, as a real one is.
// - fork(): a child does not inherit kqueues; a pthread_atfork() handler
//   closes every queue's fds in the child.
// Deviations, besides those in sys/event.h: a real kqueue drops an fd's
// knotes on close() even when a dup() keeps the file open; here (epoll's
// trap) the registration outlives the close while the file lives, and its
// events are reported under the old number until that number is used in a
// change again. A reopened device or FIFO at the same number has the same
// st_dev and st_ino, so it is not noticed as a new file. A closed queue's
// helper fds (the write set, the eventfd) are closed by the next kqueue().
#include <sys/event.h>

#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kit/unique_fd.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>

namespace {

using Clock = std::chrono::steady_clock;

// The longest timeout macOS accepts (larger: EINVAL); the emulation agrees,
// so a program tested here does not fail there.
constexpr time_t kMaxTimeoutSeconds = 100'000'000;

// Events taken from epoll per kevent() call, at most (kevent() may return
// fewer than asked; the rest wait in the kernel for the next call).
constexpr std::size_t kBatch = 128;

// epoll_data of the main set's two helpers; an fd's registration carries
// (generation << 32 | fd), and generations start at 1.
constexpr uint64_t kWriteSetTag = 0;
constexpr uint64_t kUserEventsTag = 1;

// Which file an fd number named when its knotes were added.
struct FileId {
    dev_t device;
    ino_t inode;
    bool operator==(const FileId&) const = default;
};

struct Knote {
    bool present = false;
    bool enabled = false;
    bool registered = false;  // in its epoll set
    uint16_t mode = 0;        // EV_ONESHOT and EV_CLEAR, fixed when added
    void* udata = nullptr;
};

struct FdKnotes {
    FileId file;
    uint32_t generation;
    Knote read;
    Knote write;
};

struct UserKnote {
    bool enabled = true;
    bool triggered = false;
    uint16_t mode = 0;
    uint32_t fflags = 0;  // the program's 24 bits
    intptr_t data = 0;
    void* udata = nullptr;
};

class Queue {
public:
    Queue(int main_fd, kit::UniqueFd write_set)
        : main_fd_(main_fd), write_set_(std::move(write_set)) {}

    // Whether kq still is this queue's main set: it holds our write set.
    bool owns(int kq) const {
        epoll_event event{.events = EPOLLIN, .data = {.u64 = kWriteSetTag}};
        return ::epoll_ctl(kq, EPOLL_CTL_MOD, write_set_.get(), &event) == 0;
    }

    // Applies one change: 0, or the errno kqueue(2) gives for it.
    int apply(const struct kevent& change) {
        if (change.filter == EVFILT_USER) {
            return apply_user(change);
        }
        if (change.filter != EVFILT_READ && change.filter != EVFILT_WRITE) {
            return EINVAL;
        }
        if (change.ident > static_cast<uintptr_t>(INT_MAX)) {
            return EBADF;
        }
        int fd = static_cast<int>(change.ident);
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            fds_.erase(fd);  // closed: a real kqueue has dropped its knotes
            return EBADF;
        }
        auto it = fds_.find(fd);
        if (it != fds_.end() && it->second.file != FileId{st.st_dev, st.st_ino}) {
            fds_.erase(it);  // closed, and the number reused: those knotes died with the file
            it = fds_.end();
        }
        if (it == fds_.end()) {
            if ((change.flags & EV_ADD) == 0 || (change.flags & EV_DELETE) != 0) {
                return ENOENT;
            }
            it = fds_.emplace(fd, FdKnotes{.file = {st.st_dev, st.st_ino},
                                           .generation = ++generation_,
                                           .read = {},
                                           .write = {}})
                     .first;
        }
        int error = change_fd_knote(fd, it->second, change);
        if (!it->second.read.present && !it->second.write.present) {
            fds_.erase(it);
        }
        return error;
    }

    // Waits until the deadline (none: forever) and stores up to capacity
    // events; the caller holds `lock`, which is released while waiting.
    int collect(std::unique_lock<std::mutex>& lock, struct kevent* out, int capacity,
                std::optional<Clock::time_point> deadline) {
        std::array<epoll_event, kBatch> ready{};
        int room = std::min(capacity, static_cast<int>(kBatch));
        for (;;) {
            int wait_ms = deadline ? milliseconds_until(*deadline) : -1;
            lock.unlock();
            int count = ::epoll_wait(main_fd_, ready.data(), room, wait_ms);
            int wait_error = errno;
            lock.lock();
            if (count < 0) {
                // EBADF or EINVAL: the number no longer names our epoll set.
                errno = wait_error == EINTR ? EINTR : EBADF;
                return -1;
            }
            int stored =
                translate(std::span(ready.data(), static_cast<std::size_t>(count)), out, room);
            if (stored > 0 || (deadline && Clock::now() >= *deadline)) {
                return stored;
            }
            // Only stale or just-disabled knotes stirred, or a long wait
            // ended a chunk: wait again for what is left.
        }
    }

    // Held by every kevent() on this queue, except while it waits.
    std::mutex& mutex() { return mutex_; }

    // In a child after fork(): close this queue's fds, the main one too.
    void close_in_child() {
        ::close(main_fd_);
        write_set_.reset();
        wakeup_.reset();
    }

private:
    // The wait for one epoll_wait() call: whole milliseconds, rounded up so
    // that a wait never ends early, and at most INT_MAX (24.8 days): a
    // longer timeout is waited in chunks.
    static int milliseconds_until(Clock::time_point deadline) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        return static_cast<int>(
            std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, INT_MAX));
    }

    int change_fd_knote(int fd, FdKnotes& knotes, const struct kevent& change) {
        Knote& knote = change.filter == EVFILT_READ ? knotes.read : knotes.write;
        if ((change.flags & EV_DELETE) != 0) {
            if (!knote.present) {
                return ENOENT;
            }
            if (knote.registered) {
                ::epoll_ctl(set_of(change.filter), EPOLL_CTL_DEL, fd, nullptr);
            }
            knote = {};
            return 0;
        }
        const Knote before = knote;
        if (!knote.present) {
            if ((change.flags & EV_ADD) == 0) {
                return ENOENT;
            }
            // The mode is set once, when added; adding again changes only udata.
            knote = {.present = true,
                     .enabled = true,
                     .registered = false,
                     .mode = static_cast<uint16_t>(change.flags & (EV_ONESHOT | EV_CLEAR)),
                     .udata = nullptr};
        }
        knote.udata = change.udata;  // every change sets it, as kqueue_register does
        if ((change.flags & EV_DISABLE) != 0) {
            knote.enabled = false;
        }
        if ((change.flags & EV_ENABLE) != 0) {
            knote.enabled = true;
        }
        if (int error = sync(fd, knotes.generation, change.filter, knote)) {
            knote = before;
            return error;
        }
        return 0;
    }

    int set_of(int16_t filter) const { return filter == EVFILT_READ ? main_fd_ : write_set_.get(); }

    // Makes a knote's registration match it: registered while enabled.
    int sync(int fd, uint32_t generation, int16_t filter, Knote& knote) {
        int set = set_of(filter);
        if (!knote.enabled) {
            if (knote.registered) {
                ::epoll_ctl(set, EPOLL_CTL_DEL, fd, nullptr);
                knote.registered = false;
            }
            return 0;
        }
        epoll_event event{
            .events = (filter == EVFILT_READ ? EPOLLIN | EPOLLRDHUP : EPOLLOUT) |
                      ((knote.mode & EV_CLEAR) != 0 ? EPOLLET : 0U) |
                      ((knote.mode & EV_ONESHOT) != 0 ? EPOLLONESHOT : 0U),
            .data = {.u64 = (uint64_t{generation} << 32U) | static_cast<uint32_t>(fd)}};
        // MOD re-reports a ready fd, as re-adding a knote does on a real kqueue.
        int op = knote.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (::epoll_ctl(set, op, fd, &event) != 0) {
            // Another registration for this very file (a dup() kept it
            // alive, or a oneshot fired): take it over.
            int retry = errno == EEXIST ? EPOLL_CTL_MOD : errno == ENOENT ? EPOLL_CTL_ADD : -1;
            if (retry < 0 || ::epoll_ctl(set, retry, fd, &event) != 0) {
                return errno;
            }
        }
        knote.registered = true;
        return 0;
    }

    // The knote an fd event is for, if it is current: its registration's
    // generation is the fd's, and it is enabled.
    Knote* current_knote(const epoll_event& event, int16_t filter) {
        auto fd = static_cast<int>(static_cast<uint32_t>(event.data.u64));
        auto it = fds_.find(fd);
        if (it == fds_.end() || it->second.generation != event.data.u64 >> 32U) {
            return nullptr;  // an older registration of this number (dup() kept its file)
        }
        Knote& knote = filter == EVFILT_READ ? it->second.read : it->second.write;
        return knote.present && knote.enabled ? &knote : nullptr;
    }

    // Turns epoll events into kevents: read knotes first (each main-set
    // event has its slot), then the write set's and the user events, as
    // many as there is room for; the rest stay ready in the kernel.
    int translate(std::span<const epoll_event> events, struct kevent* out, int room) {
        int stored = 0;
        bool writes = false;
        bool users = false;
        for (const epoll_event& event : events) {
            if (event.data.u64 == kWriteSetTag) {
                writes = true;
            } else if (event.data.u64 == kUserEventsTag) {
                users = true;
            } else {
                stored += report_fd_event(event, EVFILT_READ, out + stored);
            }
        }
        if (writes && stored < room) {
            std::array<epoll_event, kBatch> ready{};
            int count = ::epoll_wait(write_set_.get(), ready.data(), room - stored, 0);
            for (const epoll_event& event :
                 std::span(ready.data(), static_cast<std::size_t>(std::max(count, 0)))) {
                stored += report_fd_event(event, EVFILT_WRITE, out + stored);
            }
        }
        if (users && stored < room) {
            stored += report_user_events(out + stored, room - stored);
        }
        return stored;
    }

    // One fd event as a kevent at *out: 1, or 0 when it is stale.
    int report_fd_event(const epoll_event& event, int16_t filter, struct kevent* out) {
        Knote* knote = current_knote(event, filter);
        if (knote == nullptr) {
            return 0;
        }
        auto fd = static_cast<int>(static_cast<uint32_t>(event.data.u64));
        // EV_EOF depends on the filter: READ, the peer shut its write side
        // (EPOLLRDHUP); WRITE, nobody will read (EPOLLHUP); both, an error.
        uint32_t eof_bits = (filter == EVFILT_READ ? EPOLLRDHUP : 0U) | EPOLLHUP | EPOLLERR;
        bool eof = (event.events & eof_bits) != 0;
        int available = 0;
        if (filter == EVFILT_READ && ::ioctl(fd, FIONREAD, &available) != 0) {
            available = 0;  // e.g. a listening socket
        }
        EV_SET(out, static_cast<uintptr_t>(fd), filter,
               static_cast<uint16_t>(knote->mode | (eof ? EV_EOF : 0)), 0, available, knote->udata);
        if ((knote->mode & EV_ONESHOT) != 0) {
            ::epoll_ctl(set_of(filter), EPOLL_CTL_DEL, fd, nullptr);
            *knote = {};
            auto it = fds_.find(fd);
            if (!it->second.read.present && !it->second.write.present) {
                fds_.erase(it);
            }
        }
        return 1;
    }

    int apply_user(const struct kevent& change) {
        auto it = users_.find(change.ident);
        if ((change.flags & EV_DELETE) != 0) {
            if (it == users_.end()) {
                return ENOENT;
            }
            users_.erase(it);
            update_wakeup();
            return 0;
        }
        uint32_t flags = change.fflags & NOTE_FFLAGSMASK;
        if (it == users_.end()) {
            if ((change.flags & EV_ADD) == 0) {
                return ENOENT;
            }
            if (!wakeup_) {
                wakeup_ = kit::UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
                epoll_event event{.events = EPOLLIN, .data = {.u64 = kUserEventsTag}};
                if (!wakeup_ || ::epoll_ctl(main_fd_, EPOLL_CTL_ADD, wakeup_.get(), &event) != 0) {
                    int error = errno;
                    wakeup_.reset();
                    return error;
                }
            }
            it = users_
                     .emplace(change.ident, UserKnote{.enabled = true,
                                                      .triggered = false,
                                                      .mode = static_cast<uint16_t>(
                                                          change.flags & (EV_ONESHOT | EV_CLEAR)),
                                                      .fflags = flags,
                                                      .data = 0,
                                                      .udata = nullptr})
                     .first;
        } else {
            UserKnote& knote = it->second;
            switch (change.fflags & NOTE_FFCTRLMASK) {
                case NOTE_FFAND:
                    knote.fflags &= flags;
                    break;
                case NOTE_FFOR:
                    knote.fflags |= flags;
                    break;
                case NOTE_FFCOPY:
                    knote.fflags = flags;
                    break;
                default:
                    break;  // NOTE_FFNOP
            }
        }
        UserKnote& knote = it->second;
        knote.data = change.data;
        knote.udata = change.udata;
        if ((change.fflags & NOTE_TRIGGER) != 0) {
            knote.triggered = true;
        }
        if ((change.flags & EV_DISABLE) != 0) {
            knote.enabled = false;
        }
        if ((change.flags & EV_ENABLE) != 0) {
            knote.enabled = true;
        }
        update_wakeup();
        return 0;
    }

    int report_user_events(struct kevent* out, int room) {
        int stored = 0;
        for (auto it = users_.begin(); it != users_.end() && stored < room;) {
            UserKnote& knote = it->second;
            if (!knote.enabled || !knote.triggered) {
                ++it;
                continue;
            }
            EV_SET(&out[stored], it->first, EVFILT_USER, knote.mode, knote.fflags, knote.data,
                   knote.udata);
            ++stored;
            if ((knote.mode & EV_ONESHOT) != 0) {
                it = users_.erase(it);
                continue;
            }
            if ((knote.mode & EV_CLEAR) != 0) {
                knote.triggered = false;  // its fflags stay, as on FreeBSD and macOS
            }
            ++it;
        }
        update_wakeup();
        return stored;
    }

    // The eventfd is readable exactly while a user event can be reported:
    // written once when the first becomes ready, drained when none is.
    void update_wakeup() {
        bool pending = std::any_of(users_.begin(), users_.end(), [](const auto& entry) {
            return entry.second.enabled && entry.second.triggered;
        });
        if (pending == wakeup_pending_ || !wakeup_) {
            return;
        }
        uint64_t count = 1;
        ssize_t done = pending ? ::write(wakeup_.get(), &count, sizeof count)
                               : ::read(wakeup_.get(), &count, sizeof count);
        wakeup_pending_ = pending && done == sizeof count;
    }

    std::mutex mutex_;
    int main_fd_;              // the kqueue fd: owned by the program, which closes it
    kit::UniqueFd write_set_;  // the epoll set of write knotes, registered in main
    kit::UniqueFd wakeup_;     // eventfd for EVFILT_USER, made when first needed
    bool wakeup_pending_ = false;
    uint32_t generation_ = 0;
    std::unordered_map<int, FdKnotes> fds_;
    std::unordered_map<uintptr_t, UserKnote> users_;
};

// Every kqueue made, by its fd. A closed kqueue's entry stays until
// kqueue() finds it no longer owns its number.
std::mutex registry_mutex;
std::unordered_map<int, std::shared_ptr<Queue>>& registry() {
    static std::unordered_map<int, std::shared_ptr<Queue>> queues;
    return queues;
}

std::shared_ptr<Queue> find_queue(int kq) {
    std::lock_guard lock(registry_mutex);
    auto it = registry().find(kq);
    return it == registry().end() ? nullptr : it->second;
}

void forget_queue(int kq, const std::shared_ptr<Queue>& queue) {
    std::lock_guard lock(registry_mutex);
    auto it = registry().find(kq);
    if (it != registry().end() && it->second == queue) {
        registry().erase(it);
    }
}

// fork(): the registry is locked across it, so the child's copy is whole;
// then the child closes every queue, since kqueues are not inherited.
void before_fork() {
    registry_mutex.lock();
}
void after_fork_in_parent() {
    registry_mutex.unlock();
}
void after_fork_in_child() {
    registry_mutex.unlock();
    for (auto& [kq, queue] : registry()) {
        queue->close_in_child();
    }
    registry().clear();
}

}  // namespace

extern "C" int kqueue(void) {
    static const bool fork_handlers =
        ::pthread_atfork(before_fork, after_fork_in_parent, after_fork_in_child) == 0;
    if (!fork_handlers) {
        errno = ENOMEM;
        return -1;
    }
    kit::UniqueFd main_set(::epoll_create1(EPOLL_CLOEXEC));
    kit::UniqueFd write_set(::epoll_create1(EPOLL_CLOEXEC));
    epoll_event event{.events = EPOLLIN, .data = {.u64 = kWriteSetTag}};
    if (!main_set || !write_set ||
        ::epoll_ctl(main_set.get(), EPOLL_CTL_ADD, write_set.get(), &event) != 0) {
        return -1;
    }
    std::lock_guard lock(registry_mutex);
    // Queues closed since the last call free their helper fds now.
    std::erase_if(registry(), [&](const auto& entry) {
        return entry.first == main_set.get() || !entry.second->owns(entry.first);
    });
    int kq = main_set.release();
    registry()[kq] = std::make_shared<Queue>(kq, std::move(write_set));
    return kq;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
    std::shared_ptr<Queue> queue = find_queue(kq);
    if (queue == nullptr) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0 ||
        (timeout != nullptr && (timeout->tv_sec < 0 || timeout->tv_sec > kMaxTimeoutSeconds ||
                                timeout->tv_nsec < 0 || timeout->tv_nsec >= 1'000'000'000))) {
        errno = EINVAL;
        return -1;
    }
    std::optional<Clock::time_point> deadline;  // none: no limit
    if (timeout != nullptr) {
        // At most 1e8 s: no overflow in steady_clock's nanoseconds.
        deadline = Clock::now() + std::chrono::seconds(timeout->tv_sec) +
                   std::chrono::nanoseconds(timeout->tv_nsec);
    }
    std::unique_lock lock(queue->mutex());
    if (nchanges > 0 && !queue->owns(kq)) {
        forget_queue(kq, queue);  // closed (its number may name another file now)
        errno = EBADF;
        return -1;
    }
    // The changelist first, in order. A failed change goes into the
    // eventlist with EV_ERROR while there is room, and then kevent()
    // returns at once, without waiting; with no room it fails with errno.
    int errors = 0;
    for (int i = 0; i < nchanges; ++i) {
        if (int error = queue->apply(changelist[i])) {
            if (errors == nevents) {
                errno = error;
                return -1;
            }
            eventlist[errors] = changelist[i];
            eventlist[errors].flags = EV_ERROR;
            eventlist[errors].data = error;
            ++errors;
        }
    }
    if (errors > 0) {
        return errors;
    }
    if (nevents == 0) {
        return 0;
    }
    int count = queue->collect(lock, eventlist, nevents, deadline);
    if (count < 0 && errno == EBADF) {
        lock.unlock();
        forget_queue(kq, queue);
    }
    return count;
}
