// velip.hpp: C++17 RAII wrappers over the libvelip C API (header only).
//
// Every handle is owned by a std::unique_ptr with the matching velip_X_free;
// a status other than VELIP_OK throws velip::Error carrying the status, the
// thread's last error message as what() (not prefixed with
// velip_status_str(), which the message already contains when useful), and
// the HTTP status / Retry-After when known.
#pragma once

#include <velip.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace velip {

class Error : public std::runtime_error {
public:
    Error(velip_status status, std::string message, std::optional<uint16_t> http_status,
          std::optional<uint64_t> retry_after)
        : std::runtime_error(std::move(message)), status_(status), http_status_(http_status),
          retry_after_(retry_after) {}
    velip_status status() const noexcept { return status_; }
    std::optional<uint16_t> http_status() const noexcept { return http_status_; }
    std::optional<uint64_t> retry_after_seconds() const noexcept { return retry_after_; }

private:
    velip_status status_;
    std::optional<uint16_t> http_status_;
    std::optional<uint64_t> retry_after_;
};

namespace detail {

inline void check(velip_status status) {
    if (status == VELIP_OK) {
        return;
    }
    size_t needed = 0;
    velip_last_error_message(nullptr, 0, &needed);
    std::string message(needed, '\0');
    // The message is complete on its own (it already names the kind of
    // error); velip_status_str() is only the fallback.
    if (velip_last_error_message(message.data(), message.size(), nullptr) == VELIP_OK &&
        needed > 1) {
        message.resize(needed - 1);
    } else {
        message = velip_status_str(status);
    }
    uint16_t http = 0;
    uint64_t secs = 0;
    bool has_http = false;
    bool has_retry = false;
    velip_last_error_http_status(&http, &has_http);
    velip_last_error_retry_after(&secs, &has_retry);
    throw Error(status, std::move(message),
                has_http ? std::optional<uint16_t>(http) : std::nullopt,
                has_retry ? std::optional<uint64_t>(secs) : std::nullopt);
}

template <typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

inline std::optional<std::string> opt(const char *s) {
    return s ? std::optional<std::string>(s) : std::nullopt;
}

}  // namespace detail

/// A borrowed record (valid as long as its owner).
class RecordView {
public:
    explicit RecordView(const velip_record *r) : r_(r) {}
    std::string call_id() const { return *text(velip_record_call_id); }
    std::optional<std::string> status() const { return text(velip_record_status); }
    std::optional<std::string> date() const { return text(velip_record_date); }
    std::optional<std::string> destination() const { return text(velip_record_destination); }
    std::optional<std::string> value() const { return text(velip_record_value); }
    std::optional<uint64_t> duration_seconds() const { return number(velip_record_duration_seconds); }
    std::vector<std::string> dtmf() const {
        size_t n = 0;
        detail::check(velip_record_dtmf_count(r_, &n));
        std::vector<std::string> out;
        for (size_t i = 0; i < n; i++) {
            const char *d = nullptr;
            detail::check(velip_record_dtmf_at(r_, i, &d));
            out.emplace_back(d);
        }
        return out;
    }
    const velip_record *get() const noexcept { return r_; }

private:
    using TextFn = velip_status (*)(const velip_record *, const char **);
    using NumberFn = velip_status (*)(const velip_record *, uint64_t *, bool *);
    std::optional<std::string> text(TextFn f) const {
        const char *s = nullptr;
        detail::check(f(r_, &s));
        return detail::opt(s);
    }
    std::optional<uint64_t> number(NumberFn f) const {
        uint64_t v = 0;
        bool present = false;
        detail::check(f(r_, &v, &present));
        return present ? std::optional<uint64_t>(v) : std::nullopt;
    }
    const velip_record *r_;
};

class Filter {
public:
    Filter() {
        velip_filter *f = nullptr;
        detail::check(velip_filter_new(&f));
        f_.reset(f);
    }
    Filter &date_range(const std::string &start, const std::string &end) {
        detail::check(velip_filter_set_date_start(f_.get(), start.c_str()));
        detail::check(velip_filter_set_date_end(f_.get(), end.c_str()));
        return *this;
    }
    Filter &campaign_id(int64_t id) {
        detail::check(velip_filter_set_campaign_id(f_.get(), id));
        return *this;
    }
    Filter &page_size(int64_t n) {
        detail::check(velip_filter_set_page_size(f_.get(), n));
        return *this;
    }
    Filter &only_dtmf(bool yes = true) {
        detail::check(velip_filter_set_only_dtmf(f_.get(), yes));
        return *this;
    }
    const velip_filter *get() const noexcept { return f_.get(); }

private:
    detail::Owned<velip_filter, velip_filter_free> f_;
};

/// A walk over calls; `next()` gives the next record or nullopt at the end.
class CallIter {
public:
    explicit CallIter(velip_call_iter *it) : it_(it) {}
    std::optional<RecordView> next() {
        const velip_record *r = nullptr;
        detail::check(velip_call_iter_next(it_.get(), &r));
        return r ? std::optional<RecordView>(RecordView(r)) : std::nullopt;
    }
    velip_iter_stats stats() const {
        velip_iter_stats s{};
        detail::check(velip_call_iter_stats(it_.get(), &s));
        return s;
    }
    std::optional<std::string> resume_cursor() const {
        const char *c = nullptr;
        detail::check(velip_call_iter_resume_cursor(it_.get(), &c));
        return detail::opt(c);
    }

private:
    detail::Owned<velip_call_iter, velip_call_iter_free> it_;
};

/// A client; may be shared across threads.
class Client {
public:
    Client(const std::string &base_url, const std::string &token) {
        velip_client_config *raw = nullptr;
        detail::check(velip_client_config_new(&raw));
        detail::Owned<velip_client_config, velip_client_config_free> config(raw);
        detail::check(velip_client_config_set_base_url(raw, base_url.c_str()));
        detail::check(velip_client_config_set_token(raw, token.c_str()));
        velip_client *c = nullptr;
        detail::check(velip_client_new(raw, &c));
        c_.reset(c);
    }
    CallIter list_calls(const Filter &filter) const {
        velip_call_iter *it = nullptr;
        detail::check(velip_client_list_calls(c_.get(), filter.get(), &it));
        return CallIter(it);
    }
    /// One call, copied out (the record is owned by the returned pointer).
    detail::Owned<velip_record, velip_record_free> get_call(const std::string &call_id) const {
        velip_record *r = nullptr;
        detail::check(velip_client_get_call(c_.get(), call_id.c_str(), &r));
        return detail::Owned<velip_record, velip_record_free>(r);
    }

private:
    detail::Owned<velip_client, velip_client_free> c_;
};

inline std::string phone_format(const std::string &input, velip_phone_style style) {
    char buf[32];
    detail::check(velip_phone_format(input.c_str(), style, buf, sizeof buf, nullptr));
    return buf;
}

inline std::string version() { return velip_version(); }

}  // namespace velip
