// The C++17 wrapper (velip.hpp) against a running sandbox:
//
//   test_velip_cpp URL TOKEN
//
// Prints one line per failure and, last, "N passed, N failed". Built with
// -Wall -Wextra -Wpedantic -Werror, and under ASan/UBSan and valgrind by
// scripts/test-c.
#include <velip.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

int passed = 0;
int failed = 0;

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            passed++;                                                            \
        } else {                                                                 \
            failed++;                                                            \
            std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
        }                                                                        \
    } while (0)

// Runs `f`, expecting a velip::Error of `kind`; returns it (or a dummy).
template <typename F>
velip::Error expect_error(velip::ErrorKind kind, F &&f, int line) {
    try {
        f();
    } catch (const velip::Error &e) {
        if (e.kind() != kind) {
            failed++;
            std::printf("FAIL line %d: error of kind %d, expected %d: %s\n", line, static_cast<int>(e.kind()),
                        static_cast<int>(kind), e.what());
        } else {
            passed++;
        }
        return e;
    }
    failed++;
    std::printf("FAIL line %d: no error\n", line);
    return velip::Error(VELIP_OK, "", std::nullopt, std::nullopt, std::nullopt);
}
#define EXPECT_ERROR(kind, expr) expect_error(kind, [&] { (void)(expr); }, __LINE__)

// The ownership rules, checked by the compiler.
static_assert(!std::is_copy_constructible_v<velip::Record>, "records copy only with clone()");
static_assert(std::is_move_constructible_v<velip::Record>, "records move");
static_assert(!std::is_copy_constructible_v<velip::CallIter>, "a walk is not copied");
static_assert(!std::is_copy_constructible_v<velip::Filter>, "filters move");
static_assert(std::is_same_v<decltype(velip::Filter().page_size(1)), velip::Filter>,
              "a setter on a temporary returns the filter by value");
static_assert(std::is_same_v<decltype(std::declval<velip::Filter &>().page_size(1)), velip::Filter &>,
              "a setter on a variable returns a reference");
static_assert(std::is_same_v<decltype(velip::ClientConfig().token("t")), velip::ClientConfig>,
              "so does ClientConfig");
static_assert(std::is_same_v<decltype(std::declval<velip::Record &>().call_id()), std::string>,
              "texts are owned strings");

void test_offline() {
    CHECK(velip::version() == VELIP_VERSION_STRING);
    CHECK(velip::phone_format("011 99999-9999", velip::PhoneStyle::National) == "(11) 99999-9999");
    CHECK(velip::brl_decimal("1.234,56") == "1234.56");
    velip::PhoneNumber n("(21) 3333-4444");
    CHECK(n.ddd() == 21 && !n.is_mobile());
    velip::PhoneNumber copy = n.clone();
    CHECK(copy.e164() == "+552133334444");
    auto e = EXPECT_ERROR(velip::ErrorKind::InvalidPhoneNumber, velip::PhoneNumber("abc"));
    CHECK(std::strlen(e.what()) > 0);

    // A page decoded from text; its records outlive it.
    std::vector<velip::Record> kept;
    {
        auto page = velip::Page::parse_response(
            200, R"({"return":{"status":"OK","status_code":"0","pagination":{"has_more":true,"next_id":9}},)"
                 R"("calls":[{"cd_id":"42_10","cd_status":"OK","dest":"5511999999999","rate":"0,050",)"
                 R"("value":"0,150","resp_1":"1","resp_2":"","date":"2026-02-30","cdc_extra1":"x"}]})");
        CHECK(page.size() == 1 && page.has_more() && page.next_cursor() == "9");
        kept = page.records();
    }
    const velip::Record &r = kept.at(0);
    CHECK(r.call_id() == "42_10");
    CHECK(r.status() == "OK" && r.is_final());
    CHECK(r.value() == "0.150" && r.rate() == "0.050");
    CHECK(r.destination_kind() == velip::DestinationKind::Phone);
    CHECK(r.destination_phone() && r.destination_phone()->e164() == "+5511999999999");
    CHECK((r.dtmf() == std::vector<std::string>{"1", ""}));
    CHECK(!r.date());
    auto problems = r.problems();
    CHECK(problems.size() == 1 && problems.at(0).field == "date");
    CHECK(r.extra("cdc_extra1") == "x" && !r.extra("nope"));
    CHECK(r.extra().size() == 1);
    CHECK(r.to_json().find("\"call_id\"") != std::string::npos);
    CHECK(!r.duration_seconds() && !r.campaign_id() && !r.recording_seconds());
    velip::Record twin = r.clone();
    CHECK(twin.call_id() == r.call_id() && twin.get() != r.get());

    // Every error carries its kind, status, API code and HTTP status.
    auto rate = EXPECT_ERROR(velip::ErrorKind::RateLimited,
                             velip::Page::parse_response(429, "<html>slow down</html>", "7", "text/html"));
    CHECK(rate.status() == VELIP_RATE_LIMITED && rate.http_status() == 429);
    CHECK(rate.retry_after_seconds() == 7u);
    auto auth = EXPECT_ERROR(
        velip::ErrorKind::Authentication,
        velip::Page::parse_response(401, R"({"return":{"status":"sid not found","status_code":"102"}})"));
    CHECK(auth.api_code() == 102u);
    CHECK(std::string(auth.status_text()) == "authentication failed");

    // Filters: chained on temporaries or variables, validated as a whole.
    auto f = velip::Filter().date_range("2026-05-01", "2026-05-31").page_size(500).only_dtmf();
    f.origin("cpp").number_format(velip::NumberFormat::Ddd);
    CHECK(f.to_form().find("maxreg=500") != std::string::npos);
    CHECK(f.to_form().find("numtype=DDD") != std::string::npos);
    auto hooked = velip::Filter()
                      .campaign_id(5)
                      .webhook("https://example.com/h")
                      .webhook_method(velip::WebhookMethod::Get)
                      .webhook_format(velip::WebhookFormat::Form)
                      .webhook_header("X-Key", "k")
                      .webhook_basic_auth("u", "secret-pw");
    CHECK(hooked.to_form().find("secret-pw") == std::string::npos);
    auto bad = velip::Filter().date_start("2026-13-01").page_size(0);
    auto v = EXPECT_ERROR(velip::ErrorKind::Validation, bad.validate());
    CHECK(std::string(v.what()).find("date_start") != std::string::npos);

    // Every client option; bad ones are reported by the client.
    auto config = velip::ClientConfig()
                      .base_url("http://127.0.0.1:9")
                      .token("SBXFULL000sandbox0full0numbers")
                      .token_in_body(false)
                      .strict(false)
                      .connect_timeout(std::chrono::seconds(2))
                      .timeout(std::chrono::seconds(5))
                      .max_retries(0)
                      .max_retry_wait(std::chrono::seconds(1))
                      .user_agent_suffix("cpp-tests")
                      .deadline(std::chrono::seconds(30))
                      .rate_limit_policy(velip::RateLimitPolicy::Wait, std::chrono::seconds(60))
                      .max_requests(1000)
                      .state_dir("off")
                      .list_quota(200, std::chrono::hours(1))
                      .daily_lookup_cap(5000);
    velip::Client offline(config);
    EXPECT_ERROR(velip::ErrorKind::Transport, offline.get_call("42_1"));
    // A connection that could not be made was never a request.
    CHECK(offline.requests_sent() == 0 && offline.quota_json() == "null" && !offline.reset_lockout());
    EXPECT_ERROR(velip::ErrorKind::Config, velip::Client(velip::ClientConfig().token("t0k3n-t0k3n").max_requests(0)));
    EXPECT_ERROR(velip::ErrorKind::Config,
                 velip::Client(velip::ClientConfig().token("t0k3n-t0k3n").timeout(std::chrono::milliseconds(0))));
    EXPECT_ERROR(velip::ErrorKind::Config,
                 velip::Client(velip::ClientConfig().token("t0k3n-t0k3n").basic_auth("u", "p")));
    EXPECT_ERROR(velip::ErrorKind::Config, velip::Client(velip::ClientConfig().token("t0k3n-t0k3n").proxy("::")));
    EXPECT_ERROR(velip::ErrorKind::Config,
                 velip::Client(velip::ClientConfig().token("t0k3n-t0k3n").ca_file("/nonexistent.pem")));
    (void)velip::ClientConfig::from_env();
}

void test_online(const std::string &url, const std::string &token) {
    std::mutex mu;
    std::vector<std::string> logged;
    velip::set_log_handler(velip::LogLevel::Debug, [&](velip::LogLevel, std::string_view m) {
        std::lock_guard<std::mutex> lock(mu);
        logged.emplace_back(m);
    });
    velip::Client client(velip::ClientConfig().base_url(url).token(token).max_retries(0));

    // Records kept from a walk stay valid after it and after the client.
    std::vector<velip::Record> kept;
    std::set<std::string> ids;
    std::string day;
    {
        auto first = client.list_page(velip::Filter().date_range("2020-01-01", "2030-12-31").page_size(1));
        day = first.at(0).date().value_or("");
        auto walk = client.list_calls(velip::Filter().date_range(day, day).page_size(3)).prefetch_depth(1);
        for (velip::Record &r : walk) {
            ids.insert(r.call_id());
            if (kept.size() < 5) {
                kept.push_back(std::move(r));
            }
        }
        CHECK(walk.is_finished() && walk.records_yielded() == ids.size());
        CHECK(walk.pages_fetched() >= (ids.size() + 2) / 3);
        CHECK(walk.duplicates_skipped() == 0 && !walk.numbers_masked() && walk.warnings().empty());
        CHECK(!walk.resume_cursor());
    }
    CHECK(kept.size() == 5 && ids.size() > 5);

    // The same day as an Arrow C stream: as many rows, one batch per page.
    {
        auto walk = client.list_calls(velip::Filter().date_range(day, day).page_size(3));
        ArrowArrayStream stream = walk.arrow_stream();
        ArrowSchema schema{};
        CHECK(stream.get_schema(&stream, &schema) == 0);
        CHECK(std::string(schema.format) == "+s" && schema.n_children > 20);
        CHECK(std::string(schema.children[0]->name) == "call_id");
        schema.release(&schema);
        int64_t rows = 0;
        for (;;) {
            ArrowArray batch{};
            if (stream.get_next(&stream, &batch) != 0 || batch.release == nullptr) {
                break;
            }
            rows += batch.length;
            batch.release(&batch);
        }
        stream.release(&stream);
        CHECK(rows == static_cast<int64_t>(ids.size()) && walk.records_yielded() == ids.size());
    }
    std::set<std::string> kept_ids;
    for (const auto &r : kept) {
        kept_ids.insert(r.call_id());
        CHECK(r.date() == day);
    }
    CHECK(kept_ids.size() == 5);

    auto one = client.get_call(kept.at(0).call_id());
    CHECK(one.call_id() == kept.at(0).call_id());
    EXPECT_ERROR(velip::ErrorKind::NotFound, client.get_call("1"));
    if (auto ctid = one.correlation_id()) {
        CHECK(!client.find_calls(*ctid).empty());
    }

    // Four threads read one record (never read before) at once.
    velip::Record shared = client.get_call(kept.at(1).call_id());
    std::vector<std::string> seen(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 4; i++) {
        threads.emplace_back([&, i] {
            seen[i] = shared.call_id() + shared.status().value_or("-") + shared.date().value_or("-") +
                      shared.destination().value_or("-") + shared.value().value_or("-");
        });
    }
    for (auto &t : threads) {
        t.join();
    }
    CHECK(!seen[0].empty() && seen[0] == seen[1] && seen[1] == seen[2] && seen[2] == seen[3]);

    // Authentication failures: kind, API code, HTTP status; no secret in the text.
    velip::Client wrong(url, "WRONGTOKEN0000000000000000000x");
    auto e = EXPECT_ERROR(velip::ErrorKind::Authentication, wrong.get_call("1"));
    CHECK(e.api_code() == 102u && e.http_status() == 401);
    CHECK(std::string(e.what()).find("WRONGTOKEN") == std::string::npos);
    wrong.set_token(token);
    EXPECT_ERROR(velip::ErrorKind::NotFound, wrong.get_call("1"));

    // Interrupt: sticky until cleared.
    client.interrupt();
    CHECK(client.is_interrupted());
    EXPECT_ERROR(velip::ErrorKind::Interrupted, client.get_call("1"));
    client.clear_interrupt();
    CHECK(!client.is_interrupted());
    EXPECT_ERROR(velip::ErrorKind::NotFound, client.get_call("1"));

    velip::set_log_handler(velip::LogLevel::Off, nullptr);
    std::lock_guard<std::mutex> lock(mu);
    CHECK(!logged.empty());
    bool leaked = false;
    for (const auto &m : logged) {
        leaked = leaked || m.find(token) != std::string::npos;
    }
    CHECK(!leaked);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s URL TOKEN\n", argv[0]);
        return 2;
    }
    try {
        test_offline();
        test_online(argv[1], argv[2]);
    } catch (const velip::Error &e) {
        failed++;
        std::printf("FAIL: uncaught velip::Error: %s\n", e.what());
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
