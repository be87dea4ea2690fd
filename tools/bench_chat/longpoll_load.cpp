// longpoll-load: N long-poll clients against one chat server, and the time
// one message takes to reach them all (lesson 8, "What a parked client
// costs"). bench_chat.py runs it against each chat server side by side.
//
//     longpoll-load --port P [--clients N] [--close D] [--rounds R] [--pid PID]
//                   [--time-limit SECONDS]
//
// Each round: read the message count K (GET /chat/stats), open N
// connections each sending GET /chat/get/K, wait until the server reports
// N parked, then POST one message and measure from just before the POST's
// bytes are sent until the last of the N has its complete answer. Every
// client must get exactly one answer: 200, id K, the text posted. With
// --close D, the first round closes D parked clients first (as a closed
// browser tab does) and checks the server's parked count drops by D (and,
// with --pid, its open fds by at least D). With
// --pid, the server's VmRSS and Threads are read from /proc/PID/status
// before the first round's clients connect and once they are parked:
// bytes per parked client. The last line is "result {JSON}".
//
// The clients run on raw non-blocking sockets and epoll, not on the kit's
// own loop: the tool measures the kit's server too, and must not share
// its bugs or its costs. Everything is bounded: N, the rounds, and a time
// limit for the whole run. Linux only (epoll, /proc).
#include "kit/net.hpp"
#include "kit/unique_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using nlohmann::json;

struct Options {
    int port = 0;
    int clients = 100;
    int close = 0;
    int rounds = 1;
    pid_t pid = 0;
    std::chrono::seconds time_limit{120};
};

// A failure that ends the run: the server broke the contract, or the run
// went past its time limit.
struct RunError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The run's one deadline: every wait below checks it.
class Deadline {
public:
    explicit Deadline(std::chrono::seconds limit) : end_(Clock::now() + limit), limit_(limit) {}
    [[nodiscard]] Clock::duration left() const {
        return std::max(end_ - Clock::now(), Clock::duration{0});
    }
    void check(const std::string& waiting_for) const {
        if (Clock::now() >= end_) {
            throw RunError("time limit (" + std::to_string(limit_.count()) +
                           " s) reached while waiting for " + waiting_for);
        }
    }

private:
    Clock::time_point end_;
    std::chrono::seconds limit_;
};

// errno's text; strerror() is not thread-safe, the category's message is.
std::string os_error(int error) {
    return std::generic_category().message(error);
}

double milliseconds(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// One HTTP/1.1 response read from a keep-alive connection: complete once
// its Content-Length bytes of body are in (204 has no body). Bytes past
// the end are a second answer the server should never have sent.
struct Response {
    std::string bytes;
    int status = 0;
    std::size_t length = 0;  // head + body, once the head is in

    // True when one whole response is in `bytes`; throws on a malformed head.
    bool complete() {
        if (length == 0) {
            const std::size_t head_end = bytes.find("\r\n\r\n");
            if (head_end == std::string::npos) {
                return false;
            }
            parse_head(std::string_view(bytes).substr(0, head_end + 2), head_end + 4);
        }
        return bytes.size() >= length;
    }
    [[nodiscard]] std::string_view body() const {
        const std::size_t start = bytes.find("\r\n\r\n") + 4;
        return std::string_view(bytes).substr(start, length - start);
    }

private:
    void parse_head(std::string_view head, std::size_t head_size) {
        if (head.size() < 12 || head.substr(0, 9) != "HTTP/1.1 " ||
            std::from_chars(head.data() + 9, head.data() + 12, status).ec != std::errc{}) {
            throw RunError("malformed status line: " + std::string(head.substr(0, 40)));
        }
        std::size_t body_size = 0;
        bool has_length = false;
        for (std::size_t at = head.find("\r\n") + 2; at < head.size();) {
            const std::size_t end = head.find("\r\n", at);
            std::string name(head.substr(at, head.find(':', at) - at));
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (name == "content-length") {
                std::string_view value =
                    head.substr(at + name.size() + 1, end - at - name.size() - 1);
                value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
                has_length =
                    std::from_chars(value.data(), value.data() + value.size(), body_size).ec ==
                    std::errc{};
            }
            at = end + 2;
        }
        if (!has_length && status != 204) {
            throw RunError("a " + std::to_string(status) + " answer without Content-Length");
        }
        length = head_size + body_size;
    }
};

sockaddr_in server_address(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A control request (stats, the POST) on its own blocking connection,
// which the server closes after the answer (Connection: close).
Response control_request(int port, const std::string& method, const std::string& path,
                         const std::string& body, const Deadline& deadline) {
    deadline.check(method + " " + path);
    kit::UniqueFd fd = kit::open_tcp_socket(kit::Blocking::yes);
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline.left());
    const timeval limit{static_cast<time_t>(left.count() / 1'000'000),
                        static_cast<suseconds_t>(left.count() % 1'000'000)};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    const sockaddr_in address = server_address(port);
    if (!fd ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        throw RunError(method + " " + path + ": cannot connect: " + os_error(errno));
    }
    std::string request = method + " " + path +
                          " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nConnection: close\r\n";
    if (!body.empty()) {
        request +=
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n";
    }
    request += "\r\n" + body;
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        throw RunError(method + " " + path + ": send failed: " + os_error(errno));
    }
    Response response;
    char buffer[4096];
    while (!response.complete()) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
        if (n <= 0) {
            throw RunError(method + " " + path + ": no complete answer (" +
                           (n == 0 ? "closed" : os_error(errno)) + ")");
        }
        response.bytes.append(buffer, static_cast<std::size_t>(n));
    }
    return response;
}

struct Stats {
    long messages = 0;
    long parked = 0;
};

Stats chat_stats(int port, const Deadline& deadline) {
    const Response response = control_request(port, "GET", "/chat/stats", "", deadline);
    if (response.status != 200) {
        throw RunError("GET /chat/stats answered " + std::to_string(response.status));
    }
    const json stats = json::parse(response.body());
    return {stats.at("messages").get<long>(), stats.at("parked").get<long>()};
}

// Polls /chat/stats until `parked` is `expected`: the server has parked
// (or dropped) every client. Returns how long that took.
Clock::duration wait_for_parked(int port, long expected, const Deadline& deadline) {
    const auto start = Clock::now();
    for (;;) {
        deadline.check("the server to report " + std::to_string(expected) + " parked clients");
        if (chat_stats(port, deadline).parked == expected) {
            return Clock::now() - start;
        }
        std::this_thread::sleep_for(5ms);
    }
}

// A field of /proc/PID/status in its own unit ("VmRSS" in kB, "Threads").
std::optional<long> proc_status(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string name;
    long value = 0;
    while (in >> name) {
        if (name == field + ":" && in >> value) {
            return value;
        }
        in.ignore(1 << 16, '\n');
    }
    return std::nullopt;
}

// How many fds the process has open now (entries of /proc/PID/fd).
long open_fds(pid_t pid) {
    std::error_code error;
    const std::filesystem::directory_iterator fds("/proc/" + std::to_string(pid) + "/fd", error);
    if (error) {
        throw RunError("cannot read /proc/" + std::to_string(pid) + "/fd: " + error.message());
    }
    return std::distance(std::filesystem::begin(fds), std::filesystem::end(fds));
}

// Waits until the server holds at most `most` fds: the dropped clients'
// sockets are really closed, not only forgotten by the chat.
void wait_for_fds(pid_t pid, long most, const Deadline& deadline) {
    for (;;) {
        deadline.check("the server to close the dropped clients' fds (at most " +
                       std::to_string(most) + " open)");
        if (open_fds(pid) <= most) {
            return;
        }
        std::this_thread::sleep_for(5ms);
    }
}

// One parked client: connects, sends its GET, waits for one answer.
struct Client {
    enum class State { connecting, waiting, answered, closed };
    kit::UniqueFd fd;
    State state = State::connecting;
    Response response;
    Clock::time_point answered_at;
};

// The N clients of one round, on one epoll instance.
class Round {
public:
    Round(const Options& options, long index, const Deadline& deadline)
        : options_(options),
          deadline_(deadline),
          epoll_(::epoll_create1(EPOLL_CLOEXEC)),
          request_("GET /chat/get/" + std::to_string(index) +
                   " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(options.port) + "\r\n\r\n") {
        if (!epoll_) {
            throw RunError(std::string("epoll_create1: ") + os_error(errno));
        }
        clients_.resize(static_cast<std::size_t>(options.clients));
    }

    // Opens every client and sends its request, at most `in_flight`
    // connects at a time: the server's listen backlog is finite, and a
    // dropped SYN would cost a second's retransmission.
    void connect_all() {
        constexpr std::size_t in_flight = 256;
        std::size_t opened = 0;
        while (sent_ < clients_.size()) {
            while (opened < clients_.size() && opened - sent_ < in_flight) {
                open(opened++);
            }
            step("every client to connect and send its request");
        }
    }

    // Closes the first `count` clients the ordinary way (FIN), as a browser
    // tab that goes away does.
    void close_first(int count) {
        for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
            clients_[i].fd.reset();
            clients_[i].state = Client::State::closed;
        }
    }

    // Sends the POST and reads until every open client has its answer.
    // Returns the fan-out time: from just before the POST's bytes leave
    // until the last complete answer.
    Clock::duration post_and_collect(const std::string& text) {
        kit::UniqueFd post = kit::open_tcp_socket(kit::Blocking::yes);
        const sockaddr_in address = server_address(options_.port);
        if (!post || ::connect(post.get(), reinterpret_cast<const sockaddr*>(&address),
                               sizeof address) != 0) {
            throw RunError(std::string("POST: cannot connect: ") + os_error(errno));
        }
        const std::string body = json{{"message", text}}.dump();
        const std::string request =
            "POST /chat/post HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(options_.port) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body;
        const auto start = Clock::now();
        if (::send(post.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
            throw RunError(std::string("POST: send failed: ") + os_error(errno));
        }
        const std::size_t open_clients =
            clients_.size() - static_cast<std::size_t>(std::count_if(
                                  clients_.begin(), clients_.end(), [](const Client& c) {
                                      return c.state == Client::State::closed;
                                  }));
        while (answered_ < open_clients) {
            step("every parked client's answer");
        }
        Clock::time_point last = start;
        for (const Client& client : clients_) {
            if (client.state == Client::State::answered) {
                last = std::max(last, client.answered_at);
            }
        }
        // A second answer on any connection would arrive right behind the
        // first: give it a moment to show up.
        const auto grace_end = Clock::now() + 100ms;
        while (Clock::now() < grace_end) {
            step("a second answer", 20ms);
        }
        return last - start;
    }

    // Checks each open client got exactly one answer: 200, id, text.
    // Returns the problems found (empty: all good).
    [[nodiscard]] std::vector<std::string> check_answers(long id, const std::string& text) const {
        std::vector<std::string> problems;
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            const Client& client = clients_[i];
            if (client.state == Client::State::closed) {
                continue;
            }
            const std::string who = "client " + std::to_string(i) + ": ";
            if (client.response.status != 200) {
                problems.push_back(who + "status " + std::to_string(client.response.status));
                continue;
            }
            if (client.response.bytes.size() != client.response.length) {
                problems.push_back(who + "more than one answer");
            }
            const json answer = json::parse(client.response.body(), nullptr, false);
            if (answer.is_discarded() || !answer.is_object() || answer.value("id", -1L) != id ||
                answer.value("message", std::string()) != text) {
                problems.push_back(who + "wrong answer " + std::string(client.response.body()));
            }
        }
        return problems;
    }

    // Resets every connection (SO_LINGER 0): no TIME_WAIT left on the
    // client side, so round after round of 10,000 connections does not run
    // out of local ports (28,232 here).
    void reset_all() {
        for (Client& client : clients_) {
            if (client.fd) {
                const linger reset_now{1, 0};
                ::setsockopt(client.fd.get(), SOL_SOCKET, SO_LINGER, &reset_now, sizeof reset_now);
                client.fd.reset();
            }
        }
    }

private:
    void open(std::size_t i) {
        Client& client = clients_[i];
        client.fd = kit::open_tcp_socket(kit::Blocking::no);
        if (!client.fd) {
            throw RunError(std::string("socket: ") + os_error(errno) +
                           " (ulimit -n is too small for this many clients?)");
        }
        const sockaddr_in address = server_address(options_.port);
        if (::connect(client.fd.get(), reinterpret_cast<const sockaddr*>(&address),
                      sizeof address) != 0 &&
            errno != EINPROGRESS) {
            throw RunError(std::string("connect: ") + os_error(errno));
        }
        epoll_event event{};
        event.events = EPOLLOUT;
        event.data.u64 = i;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, client.fd.get(), &event) != 0) {
            throw RunError(std::string("epoll_ctl: ") + os_error(errno));
        }
    }

    // One epoll_wait and the events it returns.
    void step(const std::string& waiting_for, Clock::duration at_most = 100ms) {
        deadline_.check(waiting_for);
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::min(at_most, deadline_.left()));
        epoll_event events[1024];
        const int n = ::epoll_wait(epoll_.get(), events, 1024, static_cast<int>(wait.count()));
        if (n < 0 && errno != EINTR) {
            throw RunError(std::string("epoll_wait: ") + os_error(errno));
        }
        for (int e = 0; e < n; ++e) {
            const std::size_t i = events[e].data.u64;
            if (clients_[i].state == Client::State::connecting) {
                on_connected(i);
            } else {
                on_readable(i);
            }
        }
    }

    void on_connected(std::size_t i) {
        Client& client = clients_[i];
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(client.fd.get(), SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0) {
            throw RunError("client " + std::to_string(i) + ": connect: " + os_error(error));
        }
        // A fresh socket's send buffer takes the whole request at once.
        if (::send(client.fd.get(), request_.data(), request_.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request_.size())) {
            throw RunError("client " + std::to_string(i) + ": send: " + os_error(errno));
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = i;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, client.fd.get(), &event);
        client.state = Client::State::waiting;
        ++sent_;
    }

    void on_readable(std::size_t i) {
        Client& client = clients_[i];
        char buffer[4096];
        const ssize_t n = ::recv(client.fd.get(), buffer, sizeof buffer, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }
        if (n <= 0) {
            if (client.state == Client::State::answered) {
                // The server closed an idle keep-alive connection: allowed.
                ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, client.fd.get(), nullptr);
                return;
            }
            throw RunError("client " + std::to_string(i) + ": connection " +
                           (n == 0 ? "closed" : os_error(errno)) + " before its answer");
        }
        client.response.bytes.append(buffer, static_cast<std::size_t>(n));
        if (client.state == Client::State::waiting && client.response.complete()) {
            client.state = Client::State::answered;
            client.answered_at = Clock::now();
            ++answered_;
            if (client.response.status == 204) {
                throw RunError("client " + std::to_string(i) +
                               " was released by the poll timeout before the post: "
                               "start the server with a longer --poll-timeout");
            }
        }
    }

    const Options& options_;
    const Deadline& deadline_;
    kit::UniqueFd epoll_;
    std::string request_;
    std::vector<Client> clients_;
    std::size_t sent_ = 0;
    std::size_t answered_ = 0;
};

int parse_int(const char* text, int low, int high, const char* flag) {
    int value = 0;
    const std::string_view s(text);
    if (std::from_chars(s.data(), s.data() + s.size(), value).ptr != s.data() + s.size() ||
        s.empty() || value < low || value > high) {
        throw std::invalid_argument(std::string(flag) + ": '" + text + "' is not a number in [" +
                                    std::to_string(low) + ", " + std::to_string(high) + "]");
    }
    return value;
}

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            throw std::invalid_argument(flag + " needs a value");
        }
        const char* value = argv[i + 1];
        if (flag == "--port") {
            options.port = parse_int(value, 1, 65535, "--port");
        } else if (flag == "--clients") {
            options.clients = parse_int(value, 1, 100'000, "--clients");
        } else if (flag == "--close") {
            options.close = parse_int(value, 0, 100'000, "--close");
        } else if (flag == "--rounds") {
            options.rounds = parse_int(value, 1, 100, "--rounds");
        } else if (flag == "--pid") {
            options.pid = parse_int(value, 1, 1 << 30, "--pid");
        } else if (flag == "--time-limit") {
            options.time_limit = std::chrono::seconds(parse_int(value, 1, 3600, "--time-limit"));
        } else {
            throw std::invalid_argument("unknown option " + flag);
        }
    }
    if (options.port == 0) {
        throw std::invalid_argument("--port is required");
    }
    if (options.close >= options.clients) {
        throw std::invalid_argument("--close must be smaller than --clients");
    }
    return options;
}

json run(const Options& options) {
    const Deadline deadline(options.time_limit);
    json result{{"clients", options.clients}, {"rounds", options.rounds}};
    std::vector<double> fanout_ms;
    std::mt19937_64 random{std::random_device{}()};
    for (int round = 0; round < options.rounds; ++round) {
        const Stats before = chat_stats(options.port, deadline);
        if (before.parked != 0) {
            throw RunError("the server has " + std::to_string(before.parked) +
                           " parked clients before the round (a second load on it?)");
        }
        const bool first = round == 0;
        if (first && options.pid != 0) {
            result["rss_before_kib"] = proc_status(options.pid, "VmRSS").value_or(-1);
        }
        Round clients(options, before.messages, deadline);
        clients.connect_all();
        result["park_ms"] = milliseconds(wait_for_parked(options.port, options.clients, deadline));
        if (first && options.pid != 0) {
            const long rss = proc_status(options.pid, "VmRSS").value_or(-1);
            result["rss_parked_kib"] = rss;
            result["threads"] = proc_status(options.pid, "Threads").value_or(-1);
            result["bytes_per_parked"] =
                static_cast<double>(rss - result["rss_before_kib"].get<long>()) * 1024.0 /
                options.clients;
        }
        int open_clients = options.clients;
        if (first && options.close > 0) {
            const long fds_parked = options.pid != 0 ? open_fds(options.pid) : 0;
            clients.close_first(options.close);
            open_clients -= options.close;
            result["dropped"] = options.close;
            result["drop_ms"] = milliseconds(wait_for_parked(options.port, open_clients, deadline));
            if (options.pid != 0) {
                // At most: a control connection open at the first count may
                // have closed since, never the other way round.
                wait_for_fds(options.pid, fds_parked - options.close, deadline);
                result["fds_parked"] = fds_parked;
                result["fds_after_drop"] = open_fds(options.pid);
            }
        }
        const std::string text = "fan-out " + std::to_string(round) + " " +
                                 std::to_string(random() % 1'000'000'000) + " ünïcödé";
        const Clock::duration fanout = clients.post_and_collect(text);
        const std::vector<std::string> problems = clients.check_answers(before.messages, text);
        for (std::size_t p = 0; p < std::min<std::size_t>(problems.size(), 10); ++p) {
            std::printf("  %s\n", problems[p].c_str());
        }
        if (!problems.empty()) {
            throw RunError(std::to_string(problems.size()) + " of " + std::to_string(open_clients) +
                           " clients got a wrong answer");
        }
        clients.reset_all();
        fanout_ms.push_back(milliseconds(fanout));
        std::printf("round %d: %d clients answered exactly once, fan-out %.2f ms\n", round + 1,
                    open_clients, fanout_ms.back());
        std::fflush(stdout);
    }
    result["fanout_ms"] = fanout_ms;
    std::sort(fanout_ms.begin(), fanout_ms.end());
    const std::size_t middle = fanout_ms.size() / 2;
    result["fanout_median_ms"] = fanout_ms.size() % 2 == 1
                                     ? fanout_ms[middle]
                                     : (fanout_ms[middle - 1] + fanout_ms[middle]) / 2;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    try {
        options = parse_options(argc, argv);
    } catch (const std::invalid_argument& error) {
        std::fprintf(stderr,
                     "longpoll-load: %s\nusage: longpoll-load --port P [--clients N] [--close D] "
                     "[--rounds R] [--pid PID] [--time-limit SECONDS]\n",
                     error.what());
        return 2;
    }
    try {
        const json result = run(options);
        if (result.contains("dropped")) {
            std::printf("%d clients closed while parked: the server dropped them in %.1f ms\n",
                        options.close, result["drop_ms"].get<double>());
            if (result.contains("fds_parked")) {
                std::printf("server fds: %ld with all parked, %ld after the drop\n",
                            result["fds_parked"].get<long>(), result["fds_after_drop"].get<long>());
            }
        }
        if (result.contains("bytes_per_parked")) {
            std::printf(
                "server: %ld kB before, %ld kB with %d parked (%.0f bytes each), %ld threads\n",
                result["rss_before_kib"].get<long>(), result["rss_parked_kib"].get<long>(),
                options.clients, result["bytes_per_parked"].get<double>(),
                result["threads"].get<long>());
        }
        std::printf("result %s\n", result.dump().c_str());
        return 0;
    } catch (const RunError& error) {
        std::printf("FAIL %s\n", error.what());
    } catch (const json::exception& error) {
        std::printf("FAIL the server's JSON: %s\n", error.what());
    }
    return 1;
}
