// Stage 5's fetch in Boost.Asio (C++): the appendix, lessons/appendix-elsewhere.md.
//
// Asio is a proactor: we start an operation (async_connect, async_write,
// async_read_some, a timer's async_wait) and hand it a completion
// handler, which runs once with the result. On Linux it is built on an
// epoll reactor, as CppCMS's booster::aio is: the proactor is a layer
// over readiness. Cancelling (close(), cancel()) is an error completion,
// operation_aborted, never silence; io_context::run() returns by itself
// when no operation is left. Asio has no hook around its wait, so the
// trace's waits are the gaps between our handlers (traced()). One thread:
// resolving is contract.c's blocking getaddrinfo, since async_resolve
// would start a thread of its own.
#include "contract.h"

// Boost 1.74's asio/awaitable.hpp uses std::exchange without <utility>.
#include <utility>

#include <boost/asio.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

std::chrono::milliseconds seconds(double s) {
    return std::chrono::milliseconds(static_cast<long long>(s * 1000));
}

// A handler that marks the trace's wait as over while it runs.
template <typename Handler>
auto traced(Handler handler) {
    return [handler = std::move(handler)](auto&&... args) mutable {
        contract_awake();
        handler(std::forward<decltype(args)>(args)...);
        contract_asleep();
    };
}

const char* reason(const error_code& error) {
    return error.category() == boost::system::system_category() ? contract_reason(error.value())
                                                                : "io";
}

class Fetch;

// One target: its socket, its two timers, its read buffer.
class Connection {
public:
    Connection(asio::io_context& io, Fetch& fetch, std::size_t target)
        : socket_(io), connect_timer_(io), idle_timer_(io), fetch_(fetch), target_(target) {}

    void start();
    void fail(const char* why);

private:
    void on_connected(const error_code& error);
    void arm_idle_timer();
    void read();
    void close();

    tcp::socket socket_;
    asio::steady_timer connect_timer_;
    asio::steady_timer idle_timer_;
    Fetch& fetch_;
    std::size_t target_;
    std::array<char, std::size_t{16} * 1024> buffer_{};
};

// Every target, the global deadline, and SIGUSR1.
class Fetch {
public:
    explicit Fetch(asio::io_context& io) : deadline_(io), signals_(io, SIGUSR1) {
        for (std::size_t t = 0; t < contract_targets(); ++t) {
            connections_.push_back(std::make_unique<Connection>(io, *this, t));
        }
    }

    void start() {
        for (std::size_t t = 0; t < connections_.size(); ++t) {
            if (!contract_finished(t)) {  // unresolvable ones failed already
                connections_[t]->start();
            }
        }
        deadline_.expires_after(seconds(contract_timeout()));
        deadline_.async_wait(traced([this](const error_code& error) {
            if (error != asio::error::operation_aborted) {
                for (auto& c : connections_) {
                    c->fail("timeout");
                }
            }
        }));
        wait_for_usr1();
        finished_one();
    }

    // A target finished: once all have, cancel what would keep run() going.
    void finished_one() {
        if (contract_all_finished()) {
            deadline_.cancel();
            signals_.cancel();
        }
    }

private:
    // Asio retries its wait after a signal; we only keep catching SIGUSR1.
    void wait_for_usr1() {
        signals_.async_wait(traced([this](const error_code& error, int) {
            if (!error) {
                wait_for_usr1();
            }
        }));
    }

    std::vector<std::unique_ptr<Connection>> connections_;
    asio::steady_timer deadline_;
    asio::signal_set signals_;
};

void Connection::start() {
    contract_milestone(target_, "connect-start");
    const sockaddr_in* address = contract_address(target_);
    tcp::endpoint endpoint(asio::ip::address_v4(ntohl(address->sin_addr.s_addr)),
                           ntohs(address->sin_port));
    socket_.async_connect(endpoint, traced([this](const error_code& e) { on_connected(e); }));
    if (contract_connect_timeout() > 0) {
        connect_timer_.expires_after(seconds(contract_connect_timeout()));
        connect_timer_.async_wait(traced([this](const error_code& error) {
            if (!error) {
                fail("connect-timeout");
            }
        }));
    }
}

void Connection::on_connected(const error_code& error) {
    if (contract_finished(target_)) {
        return;  // operation_aborted: closed by a timer
    }
    connect_timer_.cancel();
    if (error) {
        return fail(reason(error));
    }
    contract_milestone(target_, "connected");
    arm_idle_timer();
    std::size_t length = 0;
    const char* request = contract_request(target_, &length);
    asio::async_write(socket_, asio::buffer(request, length),
                      traced([this](const error_code& e, std::size_t) {
                          if (contract_finished(target_)) {
                              return;
                          }
                          if (e) {
                              return fail(reason(e));
                          }
                          contract_milestone(target_, "request-sent");
                          read();
                      }));
}

// expires_after() cancels the pending wait (its handler gets
// operation_aborted), so each read pushes the idle deadline back.
void Connection::arm_idle_timer() {
    if (contract_idle_timeout() <= 0) {
        return;
    }
    idle_timer_.expires_after(seconds(contract_idle_timeout()));
    idle_timer_.async_wait(traced([this](const error_code& error) {
        if (!error) {
            fail("idle-timeout");
        }
    }));
}

void Connection::read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            traced([this](const error_code& error, std::size_t count) {
                                if (contract_finished(target_)) {
                                    return;
                                }
                                if (error == asio::error::eof) {
                                    contract_eof(target_);
                                    return close();
                                }
                                if (error) {
                                    return fail(reason(error));
                                }
                                arm_idle_timer();
                                if (contract_received(target_, buffer_.data(), count)) {
                                    return close();
                                }
                                read();
                            }));
}

void Connection::fail(const char* why) {
    if (!contract_finished(target_)) {
        contract_fail(target_, why);
        close();
    }
}

// Closing cancels the socket's pending operations, cancel() the timers'.
void Connection::close() {
    error_code ignored;
    socket_.close(ignored);
    connect_timer_.cancel();
    idle_timer_.cancel();
    fetch_.finished_one();
}

}  // namespace

int main(int argc, char** argv) {
    int status = contract_start(argc, argv, "stage 5's fetch in Boost.Asio (the appendix)");
    if (status >= 0) {
        return status;
    }
    {
        asio::io_context io(1);  // one thread will run it: no locking inside
        Fetch fetch(io);
        fetch.start();
        contract_asleep();
        io.run();
    }
    return contract_end();
}
