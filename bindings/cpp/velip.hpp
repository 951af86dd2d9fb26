// velip.hpp: the C++17 wrapper of libvelip (header only; installed next to
// velip.h by scripts/install-c).
//
// - Every object owns its C handle (std::unique_ptr with the matching
//   velip_X_free): Client, ClientConfig, Filter, CallIter, Page, Record,
//   PhoneNumber. They move; Record and PhoneNumber also copy explicitly
//   (clone()). Nothing hands out a view into another object: every text is
//   returned as a std::string, every record as an owning Record, so nothing
//   dangles when the object it came from goes away.
// - Builders (ClientConfig, Filter) are chained on lvalues (returning a
//   reference) or on temporaries (returning the builder by value, moved):
//   `auto f = velip::Filter().date_range(a, b).page_size(500);` is fine;
//   `auto &f = velip::Filter().date_range(a, b);` does not compile.
// - A status other than VELIP_OK throws velip::Error with the status, its
//   kind, the thread's last error message as what() (complete on its own),
//   and the API code, HTTP status and Retry-After when known.
// - Threads: a Client may be shared across threads (its methods are const);
//   Records and Pages may be read from several threads at once.
//
//   c++ -std=c++17 app.cpp $(pkg-config --cflags --libs velip)
#pragma once

#include <velip.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace velip {

/// What went wrong, one per status (velip_status values).
enum class ErrorKind {
    NullParameter,
    InvalidUtf8,
    InvalidArgument,
    BufferTooSmall,
    InvalidPhoneNumber,
    InvalidDecimal,
    Validation,
    Config,
    Authentication,
    RateLimited,
    Forbidden,
    Api,
    Server,
    NotFound,
    Budget,
    Transport,
    Decode,
    Paging,
    Interrupted,
    Panic,
    Unknown,
};

/// The kind of a status.
inline ErrorKind kind_of(velip_status status) noexcept {
    switch (status) {
    case VELIP_NULL_PARAMETER: return ErrorKind::NullParameter;
    case VELIP_INVALID_UTF8: return ErrorKind::InvalidUtf8;
    case VELIP_INVALID_ARGUMENT: return ErrorKind::InvalidArgument;
    case VELIP_BUFFER_TOO_SMALL: return ErrorKind::BufferTooSmall;
    case VELIP_INVALID_PHONE_NUMBER: return ErrorKind::InvalidPhoneNumber;
    case VELIP_INVALID_DECIMAL: return ErrorKind::InvalidDecimal;
    case VELIP_VALIDATION: return ErrorKind::Validation;
    case VELIP_CONFIG: return ErrorKind::Config;
    case VELIP_AUTHENTICATION: return ErrorKind::Authentication;
    case VELIP_RATE_LIMITED: return ErrorKind::RateLimited;
    case VELIP_FORBIDDEN: return ErrorKind::Forbidden;
    case VELIP_API_ERROR: return ErrorKind::Api;
    case VELIP_SERVER_ERROR: return ErrorKind::Server;
    case VELIP_NOT_FOUND: return ErrorKind::NotFound;
    case VELIP_BUDGET: return ErrorKind::Budget;
    case VELIP_TRANSPORT: return ErrorKind::Transport;
    case VELIP_DECODE: return ErrorKind::Decode;
    case VELIP_PAGING: return ErrorKind::Paging;
    case VELIP_INTERRUPTED: return ErrorKind::Interrupted;
    case VELIP_PANIC: return ErrorKind::Panic;
    default: return ErrorKind::Unknown;
    }
}

/// A failed call: status, kind, message (what()), and what the service
/// said (API code, HTTP status, Retry-After) when it answered.
class Error : public std::runtime_error {
public:
    Error(velip_status status, std::string message, std::optional<uint32_t> api_code,
          std::optional<uint16_t> http_status, std::optional<uint64_t> retry_after)
        : std::runtime_error(std::move(message)), status_(status), api_code_(api_code),
          http_status_(http_status), retry_after_(retry_after) {}
    velip_status status() const noexcept { return status_; }
    ErrorKind kind() const noexcept { return kind_of(status_); }
    /// The static text of the status, e.g. "rate limited".
    const char *status_text() const noexcept { return velip_status_str(status_); }
    /// The service's `status_code` (e.g. 102, 429), when it sent one.
    std::optional<uint32_t> api_code() const noexcept { return api_code_; }
    std::optional<uint16_t> http_status() const noexcept { return http_status_; }
    /// `Retry-After`, whole seconds (rate limits).
    std::optional<uint64_t> retry_after_seconds() const noexcept { return retry_after_; }

private:
    velip_status status_;
    std::optional<uint32_t> api_code_;
    std::optional<uint16_t> http_status_;
    std::optional<uint64_t> retry_after_;
};

namespace detail {

template <typename T>
std::optional<T> present(T value, bool is_present) {
    return is_present ? std::optional<T>(value) : std::nullopt;
}

/// Throws velip::Error for a status other than VELIP_OK.
inline void check(velip_status status) {
    if (status == VELIP_OK) {
        return;
    }
    std::string message;
    size_t needed = 0;
    if (velip_last_error_message(nullptr, 0, &needed) == VELIP_OK && needed > 1) {
        message.resize(needed);
        if (velip_last_error_message(message.data(), message.size(), nullptr) == VELIP_OK) {
            message.resize(needed - 1);
        } else {
            message.clear();
        }
    }
    if (message.empty()) {
        message = velip_status_str(status);
    }
    uint32_t code = 0;
    uint16_t http = 0;
    uint64_t secs = 0;
    bool has_code = false;
    bool has_http = false;
    bool has_retry = false;
    velip_last_error_api_code(&code, &has_code);
    velip_last_error_http_status(&http, &has_http);
    velip_last_error_retry_after(&secs, &has_retry);
    throw Error(status, std::move(message), present(code, has_code), present(http, has_http),
                present(secs, has_retry));
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

/// Text from a (buf, len, needed) function: asks the size, then copies.
template <typename F>
std::string copy_text(F &&f) {
    size_t needed = 0;
    check(f(nullptr, 0, &needed));
    std::string s(needed, '\0');
    check(f(s.data(), s.size(), &needed));
    s.resize(needed > 0 ? needed - 1 : 0);
    return s;
}

inline std::string str(std::string_view v) { return std::string(v); }

}  // namespace detail

/// How to write a phone number (velip_phone_style).
enum class PhoneStyle : uint32_t {
    International = VELIP_PHONE_INTERNATIONAL,  ///< 5511999999999
    TrunkPrefixed = VELIP_PHONE_TRUNK_PREFIXED,  ///< 011999999999
    Ddd = VELIP_PHONE_DDD,                       ///< 11999999999
    E164 = VELIP_PHONE_E164,                     ///< +5511999999999
    National = VELIP_PHONE_NATIONAL,             ///< (11) 99999-9999
};

/// How the service writes `dest` (velip_number_format).
enum class NumberFormat : uint32_t {
    International = VELIP_NUMBER_FORMAT_INTERNATIONAL,
    TrunkPrefixed = VELIP_NUMBER_FORMAT_TRUNK_PREFIXED,
    Ddd = VELIP_NUMBER_FORMAT_DDD,
};

/// The webhook delivery method (velip_webhook_method).
/// velip_rate_limit_policy: fail at once (the default) or wait for the quota.
enum class RateLimitPolicy : uint32_t { Fail = VELIP_RATE_LIMIT_FAIL, Wait = VELIP_RATE_LIMIT_WAIT };

enum class WebhookMethod : uint32_t { Post = VELIP_WEBHOOK_POST, Get = VELIP_WEBHOOK_GET };

/// The webhook body format (velip_webhook_format).
enum class WebhookFormat : uint32_t { Json = VELIP_WEBHOOK_JSON, Form = VELIP_WEBHOOK_FORM };

/// What a record's destination is (velip_destination_kind).
enum class DestinationKind : uint32_t {
    None = VELIP_DESTINATION_NONE,
    Phone = VELIP_DESTINATION_PHONE,
    Masked = VELIP_DESTINATION_MASKED,
    Raw = VELIP_DESTINATION_RAW,
};

/// A log level (velip_log_level).
enum class LogLevel : uint32_t {
    Off = VELIP_LOG_OFF,
    Error = VELIP_LOG_ERROR,
    Warn = VELIP_LOG_WARN,
    Info = VELIP_LOG_INFO,
    Debug = VELIP_LOG_DEBUG,
    Trace = VELIP_LOG_TRACE,
};

/// A valid Brazilian phone number (owning; copies with clone()).
class PhoneNumber {
public:
    /// Parses any common writing ("+55 (11) 99999-9999", "11999999999").
    explicit PhoneNumber(const std::string &text) {
        velip_phone_number *n = nullptr;
        detail::check(velip_phone_number_parse(text.c_str(), &n));
        n_.reset(n);
    }
    /// A copy of a number owned elsewhere (e.g. by a record).
    static PhoneNumber copy_of(const velip_phone_number *number) {
        velip_phone_number *n = nullptr;
        detail::check(velip_phone_number_clone(number, &n));
        return PhoneNumber(n);
    }
    PhoneNumber clone() const { return copy_of(n_.get()); }
    std::string format(PhoneStyle style) const {
        return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
            return velip_phone_number_format(n_.get(), static_cast<uint32_t>(style), buf, len, needed);
        });
    }
    std::string e164() const { return format(PhoneStyle::E164); }
    /// The area code (DDD), e.g. 11.
    uint8_t ddd() const {
        uint8_t ddd = 0;
        bool mobile = false;
        detail::check(velip_phone_number_info(n_.get(), &ddd, &mobile));
        return ddd;
    }
    bool is_mobile() const {
        uint8_t ddd = 0;
        bool mobile = false;
        detail::check(velip_phone_number_info(n_.get(), &ddd, &mobile));
        return mobile;
    }
    const velip_phone_number *get() const noexcept { return n_.get(); }

private:
    explicit PhoneNumber(velip_phone_number *n) : n_(n) {}
    detail::Owned<velip_phone_number, velip_phone_number_free> n_;
};

/// A field of a record that could not be read (the field is then absent).
struct Problem {
    std::string field;  ///< wire key, e.g. "date"
    std::string raw;    ///< the value as received (JSON text)
    std::string rule;   ///< what it broke
};

/// One call record, owned: valid as long as this object, whatever happens
/// to the walk, page or client it came from. Moves; copies with clone().
class Record {
public:
    /// Takes ownership of a record the caller owns (from
    /// velip_call_iter_next, velip_client_get_call, velip_record_clone).
    explicit Record(velip_record *owned) : r_(owned) {}
    /// A copy of a record owned elsewhere (a list's or page's).
    static Record copy_of(const velip_record *record) {
        velip_record *r = nullptr;
        detail::check(velip_record_clone(record, &r));
        return Record(r);
    }
    Record clone() const { return copy_of(r_.get()); }

    /// `cd_id`, e.g. "42_123456".
    std::string call_id() const { return text(velip_record_call_id).value_or(""); }
    /// `cd_status`: OK, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL or other text.
    std::optional<std::string> status() const { return text(velip_record_status); }
    /// `cd_amdasw`: MA, HM, ND or other text.
    std::optional<std::string> amd() const { return text(velip_record_amd); }
    /// `cp_id`.
    std::optional<uint64_t> campaign_id() const { return number(velip_record_campaign_id); }
    /// `cpid`.
    std::optional<std::string> campaign_ref() const { return text(velip_record_campaign_ref); }
    /// `ctid`.
    std::optional<std::string> correlation_id() const { return text(velip_record_correlation_id); }
    std::optional<std::string> origin() const { return text(velip_record_origin); }
    /// `dest`: E.164 for valid numbers, masked or raw text verbatim.
    std::optional<std::string> destination() const { return text(velip_record_destination); }
    DestinationKind destination_kind() const {
        velip_destination_kind k = VELIP_DESTINATION_NONE;
        detail::check(velip_record_destination_kind(r_.get(), &k));
        return static_cast<DestinationKind>(k);
    }
    /// The destination as a phone number (a copy), when it is one.
    std::optional<PhoneNumber> destination_phone() const {
        const velip_phone_number *n = nullptr;
        detail::check(velip_record_destination_phone(r_.get(), &n));
        return n ? std::optional<PhoneNumber>(PhoneNumber::copy_of(n)) : std::nullopt;
    }
    /// `date`, YYYY-MM-DD (America/Sao_Paulo).
    std::optional<std::string> date() const { return text(velip_record_date); }
    /// `time_dial`, HH:MM:SS.
    std::optional<std::string> dial_time() const { return text(velip_record_dial_time); }
    /// `time_start`, HH:MM:SS.
    std::optional<std::string> answer_time() const { return text(velip_record_answer_time); }
    /// `time_end`, HH:MM:SS.
    std::optional<std::string> hangup_time() const { return text(velip_record_hangup_time); }
    /// `dur`, seconds.
    std::optional<uint64_t> duration_seconds() const { return number(velip_record_duration_seconds); }
    /// `resp_1` ... `resp_N` ("" for a prompt without an answer).
    std::vector<std::string> dtmf() const {
        size_t n = 0;
        detail::check(velip_record_dtmf_count(r_.get(), &n));
        std::vector<std::string> out;
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            const char *d = nullptr;
            detail::check(velip_record_dtmf_at(r_.get(), i, &d));
            out.emplace_back(d);
        }
        return out;
    }
    std::optional<std::string> route() const { return text(velip_record_route); }
    /// `rate`, exact decimal text ("0.050").
    std::optional<std::string> rate() const { return text(velip_record_rate); }
    /// `value`, BRL, exact decimal text ("0.050").
    std::optional<std::string> value() const { return text(velip_record_value); }
    /// `cdr_url`.
    std::optional<std::string> recording_url() const { return text(velip_record_recording_url); }
    /// `cdr_sec`, seconds.
    std::optional<uint64_t> recording_seconds() const { return number(velip_record_recording_seconds); }
    /// `cdc_extra*` and unknown keys, sorted by key (values as given, or JSON text).
    std::vector<std::pair<std::string, std::string>> extra() const {
        size_t n = 0;
        detail::check(velip_record_extra_count(r_.get(), &n));
        std::vector<std::pair<std::string, std::string>> out;
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            const char *k = nullptr;
            const char *v = nullptr;
            detail::check(velip_record_extra_at(r_.get(), i, &k, &v));
            out.emplace_back(k, v);
        }
        return out;
    }
    std::optional<std::string> extra(const std::string &key) const {
        const char *v = nullptr;
        detail::check(velip_record_extra_get(r_.get(), key.c_str(), &v));
        return detail::opt(v);
    }
    std::vector<Problem> problems() const {
        size_t n = 0;
        detail::check(velip_record_problem_count(r_.get(), &n));
        std::vector<Problem> out;
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            const char *f = nullptr;
            const char *raw = nullptr;
            const char *rule = nullptr;
            detail::check(velip_record_problem_at(r_.get(), i, &f, &raw, &rule));
            out.push_back(Problem{f, raw, rule});
        }
        return out;
    }
    /// Whether the call is over (it has a final status).
    bool is_final() const {
        bool yes = false;
        detail::check(velip_record_is_final(r_.get(), &yes));
        return yes;
    }
    /// The record as one line of normalized JSON.
    std::string to_json() const {
        return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
            return velip_record_to_json(r_.get(), buf, len, needed);
        });
    }
    const velip_record *get() const noexcept { return r_.get(); }

private:
    using TextFn = velip_status (*)(const velip_record *, const char **);
    using NumberFn = velip_status (*)(const velip_record *, uint64_t *, bool *);
    std::optional<std::string> text(TextFn f) const {
        const char *s = nullptr;
        detail::check(f(r_.get(), &s));
        return detail::opt(s);
    }
    std::optional<uint64_t> number(NumberFn f) const {
        uint64_t v = 0;
        bool is_present = false;
        detail::check(f(r_.get(), &v, &is_present));
        return detail::present(v, is_present);
    }
    detail::Owned<velip_record, velip_record_free> r_;
};

/// A request filter: chain setters on a temporary (`Filter().date_range(a, b)`)
/// or on a variable. Validated as a whole when used (velip::Error of kind
/// Validation naming every problem).
class Filter {
public:
    Filter() {
        velip_filter *f = nullptr;
        detail::check(velip_filter_new(&f));
        f_.reset(f);
    }

#define VELIP_HPP_SETTER(NAME, PARAMS, ARGS, CALL)                                \
    Filter &NAME PARAMS & {                                                       \
        detail::check(CALL);                                                      \
        return *this;                                                             \
    }                                                                             \
    Filter NAME PARAMS && { return std::move(NAME ARGS); }

    /// One call by id (`cd_id`).
    VELIP_HPP_SETTER(call_id, (const std::string &id), (id), velip_filter_set_call_id(f_.get(), id.c_str()))
    /// Calls with this correlation id (`ctid`).
    VELIP_HPP_SETTER(correlation_id, (const std::string &id), (id),
                     velip_filter_set_correlation_id(f_.get(), id.c_str()))
    /// Calls without a correlation id (`ctid=null`).
    VELIP_HPP_SETTER(empty_correlation_id, (), (), velip_filter_set_empty_correlation_id(f_.get()))
    /// All calls of a campaign (`cp_id`).
    VELIP_HPP_SETTER(campaign_id, (int64_t id), (id), velip_filter_set_campaign_id(f_.get(), id))
    /// The latest campaign with this customer-side ref (`cpid`).
    VELIP_HPP_SETTER(campaign_ref, (const std::string &ref), (ref),
                     velip_filter_set_campaign_ref(f_.get(), ref.c_str()))
    /// First day, inclusive (`date_start`, YYYY-MM-DD).
    VELIP_HPP_SETTER(date_start, (const std::string &day), (day),
                     velip_filter_set_date_start(f_.get(), day.c_str()))
    /// Last day, inclusive (`date_end`, YYYY-MM-DD).
    VELIP_HPP_SETTER(date_end, (const std::string &day), (day), velip_filter_set_date_end(f_.get(), day.c_str()))
    /// Records per page (`maxreg`, 1..5000).
    VELIP_HPP_SETTER(page_size, (int64_t n), (n), velip_filter_set_page_size(f_.get(), n))
    /// The server's maximum page size (5000).
    VELIP_HPP_SETTER(page_size_server_max, (), (), velip_filter_set_page_size_server_max(f_.get()))
    /// Resume after this cursor (`last_id`).
    VELIP_HPP_SETTER(cursor, (const std::string &c), (c), velip_filter_set_cursor(f_.get(), c.c_str()))
    /// Only calls with a DTMF answer (`onlydtmf=1`).
    VELIP_HPP_SETTER(only_dtmf, (bool yes = true), (yes), velip_filter_set_only_dtmf(f_.get(), yes))
    /// How the service writes `dest` (`numtype`).
    VELIP_HPP_SETTER(number_format, (NumberFormat nf), (nf),
                     velip_filter_set_number_format(f_.get(), static_cast<uint32_t>(nf)))
    /// The origin marker echoed back (`origin`).
    VELIP_HPP_SETTER(origin, (const std::string &o), (o), velip_filter_set_origin(f_.get(), o.c_str()))
    /// Deliver to this webhook (`rurl`); set before the other webhook options.
    VELIP_HPP_SETTER(webhook, (const std::string &url), (url), velip_filter_set_webhook(f_.get(), url.c_str()))
    VELIP_HPP_SETTER(webhook_method, (WebhookMethod m), (m),
                     velip_filter_set_webhook_method(f_.get(), static_cast<uint32_t>(m)))
    VELIP_HPP_SETTER(webhook_format, (WebhookFormat fmt), (fmt),
                     velip_filter_set_webhook_format(f_.get(), static_cast<uint32_t>(fmt)))
    VELIP_HPP_SETTER(webhook_header, (const std::string &name, const std::string &value), (name, value),
                     velip_filter_add_webhook_header(f_.get(), name.c_str(), value.c_str()))
    VELIP_HPP_SETTER(webhook_basic_auth, (const std::string &user, const std::string &password),
                     (user, password),
                     velip_filter_set_webhook_basic_auth(f_.get(), user.c_str(), password.c_str()))
#undef VELIP_HPP_SETTER

    /// Both days, inclusive.
    Filter &date_range(const std::string &start, const std::string &end) & {
        return date_start(start).date_end(end);
    }
    Filter date_range(const std::string &start, const std::string &end) && {
        return std::move(date_range(start, end));
    }

    /// Throws velip::Error (kind Validation) listing every problem.
    void validate() const { detail::check(velip_filter_validate(f_.get())); }
    /// The request as sent, form-encoded, secrets replaced by ***.
    std::string to_form() const {
        return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
            return velip_filter_to_form(f_.get(), buf, len, needed);
        });
    }
    const velip_filter *get() const noexcept { return f_.get(); }

private:
    detail::Owned<velip_filter, velip_filter_free> f_;
};

/// Client settings: every option of velip_client_config_*, chained like Filter.
class ClientConfig {
public:
    /// The defaults (production base URL, no credentials).
    ClientConfig() {
        velip_client_config *c = nullptr;
        detail::check(velip_client_config_new(&c));
        c_.reset(c);
    }
    /// The defaults, then VELIP_TOKEN / VELIP_USER + VELIP_PASSWORD / VELIP_BASE_URL.
    static ClientConfig from_env() {
        velip_client_config *c = nullptr;
        detail::check(velip_client_config_new_from_env(&c));
        return ClientConfig(c);
    }

#define VELIP_HPP_OPTION(NAME, PARAMS, ARGS, CALL)                                \
    ClientConfig &NAME PARAMS & {                                                 \
        detail::check(CALL);                                                      \
        return *this;                                                             \
    }                                                                             \
    ClientConfig NAME PARAMS && { return std::move(NAME ARGS); }

    VELIP_HPP_OPTION(base_url, (const std::string &url), (url),
                     velip_client_config_set_base_url(c_.get(), url.c_str()))
    VELIP_HPP_OPTION(token, (const std::string &t), (t), velip_client_config_set_token(c_.get(), t.c_str()))
    VELIP_HPP_OPTION(token_in_body, (bool yes = true), (yes), velip_client_config_set_token_in_body(c_.get(), yes))
    VELIP_HPP_OPTION(basic_auth, (const std::string &user, const std::string &password), (user, password),
                     velip_client_config_set_basic_auth(c_.get(), user.c_str(), password.c_str()))
    VELIP_HPP_OPTION(strict, (bool yes = true), (yes), velip_client_config_set_strict(c_.get(), yes))
    VELIP_HPP_OPTION(connect_timeout, (std::chrono::milliseconds d), (d),
                     velip_client_config_set_connect_timeout_ms(c_.get(), ms(d)))
    VELIP_HPP_OPTION(timeout, (std::chrono::milliseconds d), (d),
                     velip_client_config_set_timeout_ms(c_.get(), ms(d)))
    VELIP_HPP_OPTION(max_retries, (uint32_t n), (n), velip_client_config_set_max_retries(c_.get(), n))
    VELIP_HPP_OPTION(max_retry_wait, (std::chrono::milliseconds d), (d),
                     velip_client_config_set_max_retry_wait_ms(c_.get(), ms(d)))
    VELIP_HPP_OPTION(proxy, (const std::string &url), (url), velip_client_config_set_proxy(c_.get(), url.c_str()))
    VELIP_HPP_OPTION(ca_file, (const std::string &path), (path),
                     velip_client_config_set_ca_file(c_.get(), path.c_str()))
    VELIP_HPP_OPTION(user_agent_suffix, (const std::string &s), (s),
                     velip_client_config_set_user_agent_suffix(c_.get(), s.c_str()))
    /// The longest one call may take (0: none); then it throws kind Interrupted.
    VELIP_HPP_OPTION(deadline, (std::chrono::milliseconds d), (d),
                     velip_client_config_set_deadline_ms(c_.get(), ms(d)))
    /// Fail at once or wait (at most max_wait; 0: the default 3700 s) when
    /// the quota ledger knows a request would be refused.
    VELIP_HPP_OPTION(rate_limit_policy,
                     (RateLimitPolicy p, std::chrono::milliseconds max_wait = std::chrono::milliseconds(0)),
                     (p, max_wait),
                     velip_client_config_set_rate_limit_policy(c_.get(), static_cast<uint32_t>(p), ms(max_wait)))
    /// A request budget (retries included); then kind Budget, nothing sent.
    VELIP_HPP_OPTION(max_requests, (uint64_t n), (n), velip_client_config_set_max_requests(c_.get(), n))
    /// The ledger's folder, or "off".
    VELIP_HPP_OPTION(state_dir, (const std::string &dir), (dir),
                     velip_client_config_set_state_dir(c_.get(), dir.c_str()))
    VELIP_HPP_OPTION(list_quota, (uint32_t requests, std::chrono::milliseconds window), (requests, window),
                     velip_client_config_set_list_quota(c_.get(), requests, ms(window)))
    VELIP_HPP_OPTION(daily_lookup_cap, (uint32_t cap), (cap), velip_client_config_set_daily_lookup_cap(c_.get(), cap))
#undef VELIP_HPP_OPTION

    const velip_client_config *get() const noexcept { return c_.get(); }

private:
    explicit ClientConfig(velip_client_config *c) : c_(c) {}
    static uint64_t ms(std::chrono::milliseconds d) {
        return d.count() < 0 ? 0 : static_cast<uint64_t>(d.count());
    }
    detail::Owned<velip_client_config, velip_client_config_free> c_;
};

/// One answer page or webhook delivery: records, pagination, notices.
class Page {
public:
    explicit Page(velip_page *owned) : p_(owned) {}
    /// Decodes a saved answer (HTTP status 0 when unknown).
    static Page parse_response(uint16_t http_status, std::string_view body,
                               const char *retry_after = nullptr, const char *content_type = nullptr) {
        velip_page *p = nullptr;
        detail::check(velip_parse_response(http_status, retry_after, content_type,
                                           reinterpret_cast<const uint8_t *>(body.data()), body.size(), &p));
        return Page(p);
    }
    /// Decodes a webhook delivery by its Content-Type (nullptr: sniffed).
    static Page parse_webhook(std::string_view body, const char *content_type = nullptr) {
        velip_page *p = nullptr;
        detail::check(velip_parse_webhook(reinterpret_cast<const uint8_t *>(body.data()), body.size(),
                                          content_type, &p));
        return Page(p);
    }
    size_t size() const {
        size_t n = 0;
        detail::check(velip_record_list_len(list(), &n));
        return n;
    }
    /// The record at `index`, copied (it outlives the page).
    Record at(size_t index) const {
        const velip_record *r = nullptr;
        detail::check(velip_record_list_get(list(), index, &r));
        return Record::copy_of(r);
    }
    /// Every record, copied.
    std::vector<Record> records() const {
        std::vector<Record> out;
        size_t n = size();
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            out.push_back(at(i));
        }
        return out;
    }
    bool has_more() const { return pagination().has_more; }
    std::optional<std::string> next_cursor() const { return pagination().next_cursor; }
    bool page_size_capped() const { return pagination().capped; }
    bool numbers_masked() const {
        bool masked = false;
        const char *w = nullptr;
        detail::check(velip_page_notices(p_.get(), &masked, &w));
        return masked;
    }
    std::optional<std::string> warning() const {
        bool masked = false;
        const char *w = nullptr;
        detail::check(velip_page_notices(p_.get(), &masked, &w));
        return detail::opt(w);
    }
    const velip_page *get() const noexcept { return p_.get(); }

private:
    struct Pagination {
        bool has_more;
        std::optional<std::string> next_cursor;
        bool capped;
    };
    Pagination pagination() const {
        bool more = false;
        bool capped = false;
        const char *c = nullptr;
        detail::check(velip_page_pagination(p_.get(), &more, &c, &capped));
        return Pagination{more, detail::opt(c), capped};
    }
    const velip_record_list *list() const {
        const velip_record_list *l = nullptr;
        detail::check(velip_page_records(p_.get(), &l));
        return l;
    }
    detail::Owned<velip_page, velip_page_free> p_;
};

/// A walk over every call a filter selects. `next()` gives the next record
/// (owned) or nullopt at the end; or iterate: `for (velip::Record &r : walk)`.
/// Throws on an error; calling next() again retries from the same place.
class CallIter {
public:
    explicit CallIter(velip_call_iter *owned) : it_(owned) {}

    std::optional<Record> next() {
        velip_record *r = nullptr;
        detail::check(velip_call_iter_next(it_.get(), &r));
        return r ? std::optional<Record>(Record(r)) : std::nullopt;
    }
    /// Pages fetched ahead of the one consumed: 0, 1 or 2 (the default).
    CallIter &prefetch_depth(size_t pages) & {
        detail::check(velip_call_iter_set_prefetch_depth(it_.get(), pages));
        return *this;
    }
    CallIter prefetch_depth(size_t pages) && { return std::move(prefetch_depth(pages)); }

    uint64_t pages_fetched() const { return get<uint64_t>(velip_call_iter_pages_fetched); }
    uint64_t records_yielded() const { return get<uint64_t>(velip_call_iter_records_yielded); }
    uint64_t duplicates_skipped() const { return get<uint64_t>(velip_call_iter_duplicates_skipped); }
    bool numbers_masked() const { return get<bool>(velip_call_iter_numbers_masked); }
    bool is_finished() const { return get<bool>(velip_call_iter_is_finished); }
    std::vector<std::string> warnings() const {
        size_t n = get<size_t>(velip_call_iter_warning_count);
        std::vector<std::string> out;
        for (size_t i = 0; i < n; i++) {
            const char *w = nullptr;
            detail::check(velip_call_iter_warning(it_.get(), i, &w));
            out.emplace_back(w);
        }
        return out;
    }
    /// Where a new walk would continue (Filter::cursor).
    std::optional<std::string> resume_cursor() const {
        const char *c = nullptr;
        detail::check(velip_call_iter_resume_cursor(it_.get(), &c));
        return detail::opt(c);
    }

    /// The rest of the walk as an Arrow C stream (velip_call_iter_arrow_stream):
    /// one batch per page, in velip's Arrow schema. The stream is yours:
    /// hand it to a consumer that takes it (Arrow C++'s
    /// arrow::ImportRecordBatchReader(&s), nanoarrow, DuckDB) or call
    /// s.release(&s). It may outlive this walk; it steps the same walk, so
    /// after a stream error next() continues from the page that failed.
    ArrowArrayStream arrow_stream() {
        ArrowArrayStream s{};
        detail::check(velip_call_iter_arrow_stream(it_.get(), &s));
        return s;
    }

    /// An input iterator over the walk's records.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Record;
        using difference_type = std::ptrdiff_t;
        using pointer = Record *;
        using reference = Record &;
        iterator() = default;
        explicit iterator(CallIter *walk) : walk_(walk) { ++*this; }
        Record &operator*() { return *current_; }
        Record *operator->() { return &*current_; }
        iterator &operator++() {
            current_ = walk_->next();
            if (!current_) {
                walk_ = nullptr;
            }
            return *this;
        }
        bool operator==(const iterator &o) const { return walk_ == o.walk_; }
        bool operator!=(const iterator &o) const { return walk_ != o.walk_; }

    private:
        CallIter *walk_ = nullptr;
        std::optional<Record> current_;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

    const velip_call_iter *get() const noexcept { return it_.get(); }

private:
    template <typename T>
    T get(velip_status (*f)(const velip_call_iter *, T *)) const {
        T v{};
        detail::check(f(it_.get(), &v));
        return v;
    }
    detail::Owned<velip_call_iter, velip_call_iter_free> it_;
};

/// A client: one connection pool, retries, the authentication lock-out.
/// May be shared across threads (every method is const).
class Client {
public:
    explicit Client(const ClientConfig &config) {
        velip_client *c = nullptr;
        detail::check(velip_client_new(config.get(), &c));
        c_.reset(c);
    }
    Client(const std::string &base_url, const std::string &token)
        : Client(ClientConfig().base_url(base_url).token(token)) {}

    /// One call by id; kind NotFound when there is none.
    Record get_call(const std::string &call_id) const {
        velip_record *r = nullptr;
        detail::check(velip_client_get_call(c_.get(), call_id.c_str(), &r));
        return Record(r);
    }
    /// Every call with this correlation id.
    std::vector<Record> find_calls(const std::string &correlation_id) const {
        velip_record_list *raw = nullptr;
        detail::check(velip_client_find_calls(c_.get(), correlation_id.c_str(), &raw));
        detail::Owned<velip_record_list, velip_record_list_free> list(raw);
        size_t n = 0;
        detail::check(velip_record_list_len(raw, &n));
        std::vector<Record> out;
        out.reserve(n);
        for (size_t i = 0; i < n; i++) {
            const velip_record *r = nullptr;
            detail::check(velip_record_list_get(raw, i, &r));
            out.push_back(Record::copy_of(r));
        }
        return out;
    }
    /// Walks every call the filter selects (the filter is copied).
    CallIter list_calls(const Filter &filter) const {
        velip_call_iter *it = nullptr;
        detail::check(velip_client_list_calls(c_.get(), filter.get(), &it));
        return CallIter(it);
    }
    /// One page (the filter's cursor says which).
    Page list_page(const Filter &filter) const {
        velip_page *p = nullptr;
        detail::check(velip_client_list_page(c_.get(), filter.get(), &p));
        return Page(p);
    }
    /// Asks the service to deliver the selection to the filter's webhook.
    Page push_to_webhook(const Filter &filter) const {
        velip_page *p = nullptr;
        detail::check(velip_client_push_to_webhook(c_.get(), filter.get(), &p));
        return Page(p);
    }
    /// Replaces the credentials with a token (clears the lock-out).
    void set_token(const std::string &token) const {
        detail::check(velip_client_set_token(c_.get(), token.c_str()));
    }
    /// Stops every running and later call (kind Interrupted) until
    /// clear_interrupt(). Async-signal-safe.
    void interrupt() const noexcept { velip_client_interrupt(c_.get()); }
    void clear_interrupt() const { detail::check(velip_client_clear_interrupt(c_.get())); }
    bool is_interrupted() const {
        bool yes = false;
        detail::check(velip_client_is_interrupted(c_.get(), &yes));
        return yes;
    }
    /// Requests sent so far (retries included).
    uint64_t requests_sent() const {
        uint64_t n = 0;
        detail::check(velip_client_requests_sent(c_.get(), &n));
        return n;
    }
    /// The quota ledger's report as JSON ("null" with the ledger off).
    std::string quota_json() const {
        return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
            return velip_client_quota_json(c_.get(), buf, len, needed);
        });
    }
    /// Clears the authentication lock-out; whether there was one.
    bool reset_lockout() const {
        bool was = false;
        detail::check(velip_client_reset_lockout(c_.get(), &was));
        return was;
    }
    const velip_client *get() const noexcept { return c_.get(); }

private:
    detail::Owned<velip_client, velip_client_free> c_;
};

/// Formats a phone number written any common way.
inline std::string phone_format(const std::string &input, PhoneStyle style) {
    return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
        return velip_phone_format(input.c_str(), static_cast<uint32_t>(style), buf, len, needed);
    });
}

/// A Brazilian or dot-written amount as exact decimal text ("0,050" -> "0.050").
inline std::string brl_decimal(const std::string &input) {
    return detail::copy_text([&](char *buf, size_t len, size_t *needed) {
        return velip_brl_decimal_parse(input.c_str(), buf, len, needed);
    });
}

/// The library's version ("0.1.0"); compare with VELIP_VERSION_STRING.
inline std::string version() { return velip_version(); }

/// A log handler: called on any of the library's threads, possibly at once.
using LogHandler = std::function<void(LogLevel, std::string_view)>;

namespace detail {
inline std::unique_ptr<LogHandler> &log_handler() {
    static std::unique_ptr<LogHandler> handler;
    return handler;
}
inline void log_trampoline(void *userdata, velip_log_level level, const char *message) {
    try {
        (*static_cast<LogHandler *>(userdata))(static_cast<LogLevel>(level), message);
    } catch (...) {
        // A log handler must not throw into the library.
    }
}
}  // namespace detail

/// Sends the library's log messages up to `level` to `handler` (an empty
/// handler or LogLevel::Off turns logging off). Call it from one thread at
/// a time; when it returns, the previous handler is no longer running.
inline void set_log_handler(LogLevel level, LogHandler handler) {
    auto &current = detail::log_handler();
    if (!handler || level == LogLevel::Off) {
        detail::check(velip_set_log_callback(VELIP_LOG_OFF, nullptr, nullptr));
        current.reset();
        return;
    }
    auto next = std::make_unique<LogHandler>(std::move(handler));
    detail::check(velip_set_log_callback(static_cast<uint32_t>(level), detail::log_trampoline, next.get()));
    current = std::move(next);  // the old one no longer runs: free it
}

}  // namespace velip
