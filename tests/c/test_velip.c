/*
 * The C test suite of libvelip: every function, including error paths.
 *
 *   test_velip SANDBOX_BINARY FIXTURES_DIR
 *
 * Starts two sandboxes (velip-sandbox with --exit-on-stdin-eof: closing its
 * stdin stops it): a normal one and one that answers every request with a
 * 429 (Retry-After 120). Prints one line per failure and, last, exactly
 * "N passed, N failed". Exit status 0 only when nothing failed.
 *
 * Also: the hostile patterns of a C user (records kept across steps, strings
 * kept across steps, four threads reading one list, requests after free,
 * interrupts from a thread and a signal handler, -fshort-enums), each
 * watched by ASan/UBSan and valgrind in scripts/test-c.
 *
 * C11 + POSIX (fork/exec, pipes, pthreads, sockets).
 */
#define _POSIX_C_SOURCE 200809L

#include <velip.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed;
static int failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                            \
    } while (0)

#define CHECK_STATUS(expr, expected)                                                 \
    do {                                                                             \
        velip_status got_ = (expr);                                                  \
        if (got_ == (expected)) {                                                    \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            printf("FAIL %s:%d: %s gave %d (%s), expected %s; last error: %s\n",     \
                   __FILE__, __LINE__, #expr, (int)got_, velip_status_str(got_),     \
                   #expected, last_message());                                       \
        }                                                                            \
    } while (0)

#define CHECK_STR(actual, expected)                                                  \
    do {                                                                             \
        const char *a_ = (actual);                                                   \
        const char *e_ = (expected);                                                 \
        if (a_ != NULL && strcmp(a_, e_) == 0) {                                     \
            passed++;                                                                \
        } else {                                                                     \
            failed++;                                                                \
            printf("FAIL %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__,          \
                   __LINE__, #actual, a_ ? a_ : "(null)", e_);                       \
        }                                                                            \
    } while (0)

static const char *last_message(void) {
    static char buf[2048];
    size_t needed = 0;
    if (velip_last_error_message(buf, sizeof buf, &needed) != VELIP_OK) {
        return "(message too long)";
    }
    return buf;
}

/* ------------------------------------------------------------ sandbox */

typedef struct {
    pid_t pid;
    int stdin_fd;
    char url[512];
    char token[512];
    char masked_token[512];
} sandbox;

static int sandbox_start(sandbox *sb, const char *binary, char *const extra_args[]) {
    int in_pipe[2];
    int out_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0) {
        return -1;
    }
    /* The parent's ends must not leak into a later child, or closing stdin
     * would not stop this sandbox. */
    fcntl(in_pipe[1], F_SETFD, FD_CLOEXEC);
    fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        char *argv[32];
        int n = 0;
        argv[n++] = (char *)binary;
        argv[n++] = "--calls";
        argv[n++] = "3000";
        argv[n++] = "--exit-on-stdin-eof";
        for (int i = 0; extra_args != NULL && extra_args[i] != NULL && n < 30; i++) {
            argv[n++] = extra_args[i];
        }
        argv[n] = NULL;
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        close(in_pipe[0]);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(out_pipe[1]);
        execv(binary, argv);
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    sb->pid = pid;
    sb->stdin_fd = in_pipe[1];
    sb->url[0] = sb->token[0] = sb->masked_token[0] = '\0';
    FILE *out = fdopen(out_pipe[0], "r");
    if (out == NULL) {
        return -1;
    }
    char line[512];
    while (fgets(line, sizeof line, out) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "VELIP_SANDBOX_URL=", 18) == 0) {
            snprintf(sb->url, sizeof sb->url, "%s", line + 18);
        } else if (strncmp(line, "VELIP_SANDBOX_TOKEN=", 20) == 0) {
            snprintf(sb->token, sizeof sb->token, "%s", line + 20);
        } else if (strncmp(line, "VELIP_SANDBOX_MASKED_TOKEN=", 27) == 0) {
            snprintf(sb->masked_token, sizeof sb->masked_token, "%s", line + 27);
        } else if (strstr(line, "calls ready") != NULL) {
            break;
        }
    }
    fclose(out);
    return sb->url[0] != '\0' && sb->token[0] != '\0' ? 0 : -1;
}

static void sandbox_stop(sandbox *sb) {
    if (sb->pid > 0) {
        close(sb->stdin_fd);
        int status = 0;
        waitpid(sb->pid, &status, 0);
        sb->pid = 0;
    }
}

/* ------------------------------------------------------------ helpers */

static char *read_file(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap + 1);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    if (buf != NULL) {
        buf[n] = '\0'; /* also usable as a string */
    }
    *len = n;
    return buf;
}

static velip_client *make_client(const char *url, const char *token) {
    velip_client_config *cfg = NULL;
    velip_client *client = NULL;
    if (velip_client_config_new(&cfg) != VELIP_OK) {
        return NULL;
    }
    velip_client_config_set_base_url(cfg, url);
    velip_client_config_set_token(cfg, token);
    velip_client_config_set_timeout_ms(cfg, 20000);
    velip_client_config_set_max_retries(cfg, 0);
    velip_client_new(cfg, &client);
    velip_client_config_free(cfg);
    return client;
}

/* ------------------------------------------------------------ tests */

static void test_version_and_status(void) {
    CHECK_STR(velip_version(), VELIP_VERSION_STRING);
    CHECK(VELIP_VERSION_MAJOR == 0 && VELIP_VERSION_MINOR >= 0 && VELIP_VERSION_PATCH >= 0);
    CHECK_STR(velip_status_str(VELIP_OK), "ok");
    CHECK_STR(velip_status_str(VELIP_RATE_LIMITED), "rate limited");
    CHECK_STR(velip_status_str(VELIP_PANIC), "internal error (panic)");
    CHECK_STR(velip_status_str(7777), "unknown status");
    const velip_status all[] = {
        VELIP_OK, VELIP_NULL_PARAMETER, VELIP_INVALID_UTF8, VELIP_INVALID_ARGUMENT,
        VELIP_BUFFER_TOO_SMALL, VELIP_INVALID_PHONE_NUMBER, VELIP_INVALID_DECIMAL,
        VELIP_VALIDATION, VELIP_CONFIG, VELIP_AUTHENTICATION, VELIP_RATE_LIMITED,
        VELIP_FORBIDDEN, VELIP_API_ERROR, VELIP_SERVER_ERROR, VELIP_NOT_FOUND,
        VELIP_TRANSPORT, VELIP_DECODE, VELIP_PAGING, VELIP_INTERRUPTED, VELIP_PANIC,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *t = velip_status_str(all[i]);
        CHECK(t != NULL && strlen(t) > 0 && strcmp(t, "unknown status") != 0);
    }
    CHECK(VELIP_OK == 0);
}

static void test_last_error(void) {
    velip_last_error_clear();
    CHECK_STATUS(velip_last_error_status(), VELIP_OK);
    char buf[64];
    size_t needed = 99;
    CHECK_STATUS(velip_last_error_message(buf, sizeof buf, &needed), VELIP_OK);
    CHECK_STR(buf, "");
    CHECK(needed == 1);
    uint32_t code = 7;
    uint16_t http = 7;
    uint64_t secs = 7;
    bool present = true;
    CHECK_STATUS(velip_last_error_api_code(&code, &present), VELIP_OK);
    CHECK(!present);
    CHECK_STATUS(velip_last_error_http_status(&http, &present), VELIP_OK);
    CHECK(!present);
    CHECK_STATUS(velip_last_error_retry_after(&secs, &present), VELIP_OK);
    CHECK(!present);
    CHECK_STATUS(velip_last_error_api_code(NULL, &present), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_last_error_http_status(&http, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_last_error_retry_after(NULL, NULL), VELIP_NULL_PARAMETER);

    /* Make an error, then read it through a small buffer. */
    CHECK_STATUS(velip_phone_number_parse(NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_last_error_status(), VELIP_NULL_PARAMETER);
    char tiny[4] = "abc";
    CHECK_STATUS(velip_last_error_message(tiny, sizeof tiny, &needed), VELIP_BUFFER_TOO_SMALL);
    CHECK_STR(tiny, "abc"); /* untouched */
    CHECK(needed > 4);
    /* A size query is not an error. */
    size_t asked = 0;
    CHECK_STATUS(velip_last_error_message(NULL, 0, &asked), VELIP_OK);
    CHECK(asked == needed);
    /* A NULL buffer with a non-zero length is a NULL parameter, not a size
     * question; `needed` is still reported and the last error is kept. */
    size_t needed_null = 0;
    CHECK_STATUS(velip_last_error_message(NULL, 10, &needed_null), VELIP_NULL_PARAMETER);
    CHECK(needed_null == needed);
    CHECK_STATUS(velip_last_error_message(NULL, 10, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_last_error_status(), VELIP_NULL_PARAMETER);
    /* The same rule for the other copy-out functions (here it is recorded). */
    CHECK_STATUS(velip_phone_format("11999999999", VELIP_PHONE_E164, NULL, 10, NULL),
                 VELIP_NULL_PARAMETER);
    CHECK(strstr(last_message(), "buf") != NULL);
    CHECK_STATUS(velip_phone_number_parse(NULL, NULL), VELIP_NULL_PARAMETER);
    char *big = malloc(needed);
    CHECK_STATUS(velip_last_error_message(big, needed, NULL), VELIP_OK);
    CHECK(big != NULL && strstr(big, "input") != NULL && strlen(big) + 1 == needed);
    free(big);
    /* Reading the last error never changes it. */
    CHECK_STATUS(velip_last_error_status(), VELIP_NULL_PARAMETER);
    velip_last_error_clear();
    CHECK_STATUS(velip_last_error_status(), VELIP_OK);
}

static void test_free_null(void) {
    velip_record_free(NULL);
    velip_record_list_free(NULL);
    velip_page_free(NULL);
    velip_phone_number_free(NULL);
    velip_filter_free(NULL);
    velip_client_config_free(NULL);
    velip_client_free(NULL);
    velip_call_iter_free(NULL);
    CHECK(1);
}

static void test_phone(void) {
    velip_phone_number *n = NULL;
    CHECK_STATUS(velip_phone_number_parse("+55 (11) 99999-9999", &n), VELIP_OK);
    CHECK(n != NULL);
    char buf[32];
    size_t needed = 0;
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_INTERNATIONAL, buf, sizeof buf, &needed), VELIP_OK);
    CHECK_STR(buf, "5511999999999");
    CHECK(needed == 14);
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_TRUNK_PREFIXED, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "011999999999");
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_DDD, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "11999999999");
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "+5511999999999");
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_NATIONAL, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "(11) 99999-9999");
    CHECK_STATUS(velip_phone_number_format(n, 5, buf, sizeof buf, NULL), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_phone_number_format(n, VELIP_PHONE_E164, buf, 5, &needed), VELIP_BUFFER_TOO_SMALL);
    CHECK(needed == 15);
    CHECK_STATUS(velip_phone_number_format(NULL, VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_NULL_PARAMETER);
    uint8_t ddd = 0;
    bool mobile = false;
    CHECK_STATUS(velip_phone_number_info(n, &ddd, &mobile), VELIP_OK);
    CHECK(ddd == 11 && mobile);
    CHECK_STATUS(velip_phone_number_info(n, NULL, &mobile), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_phone_number_info(NULL, &ddd, &mobile), VELIP_NULL_PARAMETER);
    velip_phone_number_free(n);

    n = NULL;
    CHECK_STATUS(velip_phone_number_parse("(21) 3333-4444", &n), VELIP_OK);
    CHECK_STATUS(velip_phone_number_info(n, &ddd, &mobile), VELIP_OK);
    CHECK(ddd == 21 && !mobile);
    velip_phone_number_free(n);

    velip_phone_number *untouched = (velip_phone_number *)&ddd;
    CHECK_STATUS(velip_phone_number_parse("(20) 99999-9999", &untouched), VELIP_INVALID_PHONE_NUMBER);
    CHECK(untouched == (velip_phone_number *)&ddd); /* out written only on success */
    CHECK(strstr(last_message(), "DDD 20") != NULL);
    CHECK_STATUS(velip_phone_number_parse("", &n), VELIP_INVALID_PHONE_NUMBER);
    CHECK_STATUS(velip_phone_number_parse("\xff\xfe", &n), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_phone_number_parse(NULL, &n), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_phone_number_parse("11999999999", NULL), VELIP_NULL_PARAMETER);

    CHECK_STATUS(velip_phone_format("011 99999-9999", VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "+5511999999999");
    CHECK_STATUS(velip_phone_format("11 9999-9999", VELIP_PHONE_DDD, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "11999999999"); /* the platform's leading 9 */
    CHECK_STATUS(velip_phone_format("abc", VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_INVALID_PHONE_NUMBER);
    CHECK_STATUS(velip_phone_format("\xc3\x28", VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_phone_format(NULL, VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_phone_format("11999999999", 99, buf, sizeof buf, NULL), VELIP_INVALID_ARGUMENT);
}

static void test_money(void) {
    char buf[32];
    size_t needed = 0;
    CHECK_STATUS(velip_brl_decimal_parse("0,050", buf, sizeof buf, &needed), VELIP_OK);
    CHECK_STR(buf, "0.050");
    CHECK(needed == 6);
    CHECK_STATUS(velip_brl_decimal_parse("1.234,56", buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "1234.56");
    CHECK_STATUS(velip_brl_decimal_parse("R$ 1,00", buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "1.00");
    CHECK_STATUS(velip_brl_decimal_parse("-3,5", buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "-3.5");
    CHECK_STATUS(velip_brl_decimal_parse("abc", buf, sizeof buf, NULL), VELIP_INVALID_DECIMAL);
    CHECK(strstr(last_message(), "abc") != NULL);
    CHECK_STATUS(velip_brl_decimal_parse("1,5", buf, 2, &needed), VELIP_BUFFER_TOO_SMALL);
    CHECK(needed == 4);
    CHECK_STATUS(velip_brl_decimal_parse("\xff", buf, sizeof buf, NULL), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_brl_decimal_parse(NULL, buf, sizeof buf, NULL), VELIP_NULL_PARAMETER);
}

/* Record accessors on the documented fixture. */
static void check_documented_record(const velip_record *r) {
    const char *s = NULL;
    uint64_t n = 0;
    bool present = false;
    size_t count = 0;
    CHECK_STATUS(velip_record_call_id(r, &s), VELIP_OK);
    CHECK(s != NULL && strlen(s) > 0);
    CHECK_STATUS(velip_record_status(r, &s), VELIP_OK);
    CHECK(s != NULL);
    CHECK_STATUS(velip_record_rate(r, &s), VELIP_OK);
    CHECK_STR(s, "0.050");
    CHECK_STATUS(velip_record_value(r, &s), VELIP_OK);
    CHECK_STR(s, "0.050");
    CHECK_STATUS(velip_record_dtmf_count(r, &count), VELIP_OK);
    CHECK(count == 3);
    for (size_t i = 0; i < count; i++) {
        CHECK_STATUS(velip_record_dtmf_at(r, i, &s), VELIP_OK);
        CHECK(s != NULL);
    }
    CHECK_STATUS(velip_record_dtmf_at(r, count, &s), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_record_campaign_id(r, &n, &present), VELIP_OK);
    CHECK(present && n > 0);
    CHECK_STATUS(velip_record_duration_seconds(r, &n, &present), VELIP_OK);
    CHECK(present);
    CHECK_STATUS(velip_record_recording_seconds(r, &n, &present), VELIP_OK);
    CHECK_STATUS(velip_record_date(r, &s), VELIP_OK);
    CHECK(s != NULL && strlen(s) == 10);
    CHECK_STATUS(velip_record_dial_time(r, &s), VELIP_OK);
    CHECK(s == NULL || strlen(s) == 8);
    CHECK_STATUS(velip_record_answer_time(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_hangup_time(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_amd(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_campaign_ref(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_correlation_id(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_origin(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_route(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_recording_url(r, &s), VELIP_OK);
    CHECK_STATUS(velip_record_destination(r, &s), VELIP_OK);
    CHECK(s != NULL);
    velip_destination_kind kind = VELIP_DESTINATION_NONE;
    CHECK_STATUS(velip_record_destination_kind(r, &kind), VELIP_OK);
    const velip_phone_number *phone = NULL;
    CHECK_STATUS(velip_record_destination_phone(r, &phone), VELIP_OK);
    if (kind == VELIP_DESTINATION_PHONE) {
        char buf[32];
        CHECK(phone != NULL);
        CHECK_STATUS(velip_phone_number_format(phone, VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_OK);
        CHECK_STR(buf, s);
    } else {
        CHECK(phone == NULL);
    }
    CHECK_STATUS(velip_record_extra_count(r, &count), VELIP_OK);
    for (size_t i = 0; i < count; i++) {
        const char *k = NULL;
        const char *v = NULL;
        const char *again = NULL;
        CHECK_STATUS(velip_record_extra_at(r, i, &k, &v), VELIP_OK);
        CHECK_STATUS(velip_record_extra_get(r, k, &again), VELIP_OK);
        CHECK(again == v);
    }
    CHECK_STATUS(velip_record_extra_at(r, count, &s, &s), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_record_extra_get(r, "no_such_key", &s), VELIP_OK);
    CHECK(s == NULL);
    CHECK_STATUS(velip_record_extra_get(r, "\xff", &s), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_record_extra_get(r, NULL, &s), VELIP_NULL_PARAMETER);

    size_t needed = 0;
    /* A size query succeeds and leaves the last error alone. */
    CHECK_STATUS(velip_phone_number_parse(NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_to_json(r, NULL, 0, &needed), VELIP_OK);
    CHECK_STATUS(velip_last_error_status(), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_to_json(r, NULL, 0, NULL), VELIP_NULL_PARAMETER);
    size_t short_needed = 0;
    char one[1];
    CHECK_STATUS(velip_record_to_json(r, one, sizeof one, &short_needed), VELIP_BUFFER_TOO_SMALL);
    CHECK(short_needed == needed);
    /* `needed` is written on failure too: 0 when there is no text. */
    size_t failed_needed = 99;
    CHECK_STATUS(velip_record_to_json(NULL, one, sizeof one, &failed_needed), VELIP_NULL_PARAMETER);
    CHECK(failed_needed == 0);
    char *json = malloc(needed);
    CHECK_STATUS(velip_record_to_json(r, json, needed, NULL), VELIP_OK);
    CHECK(json != NULL && json[0] == '{' && strstr(json, "\"value\":\"0.050\"") != NULL);
    free(json);

    velip_record *copy = NULL;
    CHECK_STATUS(velip_record_clone(r, &copy), VELIP_OK);
    CHECK_STATUS(velip_record_value(copy, &s), VELIP_OK);
    CHECK_STR(s, "0.050");
    velip_record_free(copy);

    /* NULLs on every accessor shape. */
    CHECK_STATUS(velip_record_call_id(NULL, &s), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_call_id(r, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_value(NULL, &s), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_value(r, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_campaign_id(NULL, &n, &present), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_campaign_id(r, NULL, &present), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_campaign_id(r, &n, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_dtmf_count(NULL, &count), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_dtmf_at(r, 0, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_destination_kind(NULL, &kind), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_destination_phone(r, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_extra_count(r, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_clone(NULL, &copy), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_to_json(NULL, NULL, 0, NULL), VELIP_NULL_PARAMETER);
}

/* Every fixture of tests/fixtures/index.tsv: decodes to what the index
 * says, and fails with VELIP_DECODE once corrupted. */
static void test_fixtures(const char *dir) {
    size_t index_len = 0;
    char *index = read_file(dir, "index.tsv", &index_len);
    CHECK(index != NULL);
    if (index == NULL) {
        return;
    }
    int fixtures = 0;
    char *save = NULL;
    for (char *line = strtok_r(index, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "file\t", 5) == 0 || line[0] == '\0') {
            continue;
        }
        char *cols[4] = {line, "", "", ""};
        for (int c = 1; c < 4; c++) {
            char *tab = strchr(cols[c - 1], '\t');
            if (tab == NULL) {
                break;
            }
            *tab = '\0';
            cols[c] = tab + 1;
        }
        const char *file = cols[0];
        const char *http = cols[1];
        const char *headers = cols[2];
        size_t len = 0;
        char *body = read_file(dir, file, &len);
        CHECK(body != NULL);
        if (body == NULL) {
            continue;
        }
        fixtures++;
        velip_page *page = NULL;
        bool webhook = strncmp(file, "webhook_", 8) == 0;
        if (webhook) {
            const char *ct = strstr(http, "application/json") ? "application/json"
                                                               : "application/x-www-form-urlencoded";
            CHECK_STATUS(velip_parse_webhook((const uint8_t *)body, len, ct, &page), VELIP_OK);
            const velip_record_list *list = NULL;
            size_t n = 0;
            CHECK_STATUS(velip_page_records(page, &list), VELIP_OK);
            CHECK_STATUS(velip_record_list_len(list, &n), VELIP_OK);
            CHECK(n == 1);
            velip_page_free(page);
            page = NULL;
            /* Sniffed without a content type. */
            CHECK_STATUS(velip_parse_webhook((const uint8_t *)body, len, NULL, &page), VELIP_OK);
            velip_page_free(page);
            page = NULL;
            /* A body cut short is a decode failure; a field that cannot be
               read is kept as a problem on its record, never fatal. */
            if (strcmp(ct, "application/json") == 0) {
                CHECK_STATUS(velip_parse_webhook((const uint8_t *)body, len / 2, ct, &page), VELIP_DECODE);
                CHECK(page == NULL);
            } else {
                char *bad = malloc(len + 32);
                memcpy(bad, body, len);
                memcpy(bad + len, "&date=2026-13-01", 16);
                CHECK_STATUS(velip_parse_webhook((const uint8_t *)bad, len + 16, ct, &page), VELIP_OK);
                const char *date = "x";
                const velip_record *r = NULL;
                CHECK_STATUS(velip_page_records(page, &list), VELIP_OK);
                CHECK_STATUS(velip_record_list_get(list, 0, &r), VELIP_OK);
                CHECK_STATUS(velip_record_date(r, &date), VELIP_OK);
                CHECK(date == NULL);
                size_t problems = 0;
                const char *field = NULL;
                const char *raw = NULL;
                const char *rule = NULL;
                CHECK_STATUS(velip_record_problem_count(r, &problems), VELIP_OK);
                CHECK(problems == 1);
                CHECK_STATUS(velip_record_problem_at(r, 0, &field, &raw, &rule), VELIP_OK);
                CHECK_STR(field, "date");
                CHECK_STR(raw, "\"2026-13-01\"");
                CHECK(strstr(rule, "YYYY-MM-DD") != NULL);
                CHECK_STATUS(velip_record_problem_at(r, 1, &field, &raw, &rule), VELIP_INVALID_ARGUMENT);
                velip_page_free(page);
                page = NULL;
                free(bad);
            }
        } else {
            int status = atoi(http);
            const char *retry = NULL;
            char retry_buf[32];
            const char *ra = strstr(headers, "Retry-After: ");
            if (ra != NULL) {
                snprintf(retry_buf, sizeof retry_buf, "%s", ra + 13);
                retry = retry_buf;
            }
            velip_status expected = status == 200   ? VELIP_OK
                                    : status == 401 ? VELIP_AUTHENTICATION
                                    : status == 403 ? VELIP_FORBIDDEN
                                    : status == 429 ? VELIP_RATE_LIMITED
                                                    : VELIP_API_ERROR;
            velip_last_error_clear();
            CHECK_STATUS(velip_parse_response((uint16_t)status, retry, NULL, (const uint8_t *)body, len, &page),
                         expected);
            if (expected == VELIP_OK) {
                const velip_record_list *list = NULL;
                size_t n = 0;
                CHECK_STATUS(velip_page_records(page, &list), VELIP_OK);
                CHECK_STATUS(velip_record_list_len(list, &n), VELIP_OK);
                bool more = false;
                bool capped = false;
                bool masked = false;
                const char *cursor = NULL;
                const char *warning = NULL;
                CHECK_STATUS(velip_page_pagination(page, &more, &cursor, &capped), VELIP_OK);
                CHECK_STATUS(velip_page_notices(page, &masked, &warning), VELIP_OK);
                CHECK(more == (cursor != NULL));
                if (strcmp(file, "list_documented.json") == 0) {
                    CHECK(n == 1 && more);
                    CHECK_STR(cursor, "9876544");
                    const velip_record *r = NULL;
                    CHECK_STATUS(velip_record_list_get(list, 0, &r), VELIP_OK);
                    check_documented_record(r);
                    CHECK_STATUS(velip_record_list_get(list, 1, &r), VELIP_INVALID_ARGUMENT);
                } else if (strcmp(file, "list_all_strings.json") == 0) {
                    CHECK(n == 3 && !more);
                    size_t expected_dtmf[3] = {1, 5, 0};
                    for (size_t i = 0; i < 3 && i < n; i++) {
                        const velip_record *r = NULL;
                        size_t count = 99;
                        CHECK_STATUS(velip_record_list_get(list, i, &r), VELIP_OK);
                        CHECK_STATUS(velip_record_dtmf_count(r, &count), VELIP_OK);
                        CHECK(count == expected_dtmf[i]);
                    }
                    /* Some value is absent somewhere: absent is not 0. */
                    int absent = 0;
                    for (size_t i = 0; i < n; i++) {
                        const velip_record *r = NULL;
                        uint64_t v = 1;
                        bool present = true;
                        velip_record_list_get(list, i, &r);
                        velip_record_recording_seconds(r, &v, &present);
                        absent += !present;
                        velip_record_duration_seconds(r, &v, &present);
                        absent += !present;
                    }
                    CHECK(absent > 0);
                } else if (strcmp(file, "list_capped_masked.json") == 0) {
                    CHECK(n == 1 && masked && capped && warning != NULL);
                    const velip_record *r = NULL;
                    velip_destination_kind kind = VELIP_DESTINATION_NONE;
                    const velip_phone_number *phone = (const velip_phone_number *)1;
                    CHECK_STATUS(velip_record_list_get(list, 0, &r), VELIP_OK);
                    CHECK_STATUS(velip_record_destination_kind(r, &kind), VELIP_OK);
                    CHECK(kind == VELIP_DESTINATION_MASKED);
                    CHECK_STATUS(velip_record_destination_phone(r, &phone), VELIP_OK);
                    CHECK(phone == NULL);
                } else if (strcmp(file, "empty.json") == 0) {
                    CHECK(n == 0 && !more && cursor == NULL);
                }
                velip_page_free(page);
                page = NULL;
            } else {
                CHECK(page == NULL);
                uint16_t h = 0;
                uint32_t code = 0;
                uint64_t secs = 0;
                bool present = false;
                CHECK_STATUS(velip_last_error_http_status(&h, &present), VELIP_OK);
                CHECK(present && h == status);
                CHECK_STATUS(velip_last_error_api_code(&code, &present), VELIP_OK);
                CHECK(present && code > 0);
                CHECK_STATUS(velip_last_error_retry_after(&secs, &present), VELIP_OK);
                if (retry != NULL) {
                    CHECK(present && secs == (uint64_t)atoll(retry));
                } else {
                    CHECK(!present);
                }
                CHECK(strlen(last_message()) > 0);
            }
            /* The same body cut in half: a decode failure on HTTP 200; an
               error answer keeps the meaning of its HTTP status. */
            CHECK_STATUS(velip_parse_response((uint16_t)status, retry, NULL, (const uint8_t *)body, len / 2, &page),
                         status == 200 ? VELIP_DECODE : expected);
            CHECK(page == NULL);
            if (status == 200) {
                CHECK(strstr(last_message(), "cannot decode") != NULL);
            }
        }
        free(body);
    }
    free(index);
    CHECK(fixtures == 11);

    /* Bodies that are not JSON are classified by HTTP status first, as the
       client does: a proxy's 429 page keeps its Retry-After; a 500 with a
       JSON error body keeps its API code. */
    {
        velip_page *p = NULL;
        const char *html = "<html><body>Too Many Requests</body></html>";
        uint64_t secs = 0;
        uint32_t code = 0;
        bool present = false;
        CHECK_STATUS(velip_parse_response(429, "5", "text/html", (const uint8_t *)html, strlen(html), &p),
                     VELIP_RATE_LIMITED);
        CHECK_STATUS(velip_last_error_retry_after(&secs, &present), VELIP_OK);
        CHECK(present && secs == 5);
        CHECK_STATUS(velip_parse_response(401, NULL, "text/html", (const uint8_t *)html, strlen(html), &p),
                     VELIP_AUTHENTICATION);
        CHECK_STATUS(velip_parse_response(502, NULL, NULL, (const uint8_t *)html, strlen(html), &p),
                     VELIP_SERVER_ERROR);
        const char *err500 = "{\"return\":{\"status\":\"DB down\",\"status_code\":\"500\",\"cd_id\":\"0\"}}";
        CHECK_STATUS(velip_parse_response(500, NULL, NULL, (const uint8_t *)err500, strlen(err500), &p),
                     VELIP_SERVER_ERROR);
        CHECK_STATUS(velip_last_error_api_code(&code, &present), VELIP_OK);
        CHECK(present && code == 500);
        CHECK(p == NULL);
    }

    /* NULLs and odd inputs. */
    velip_page *page = NULL;
    CHECK_STATUS(velip_parse_response(200, NULL, NULL, NULL, 0, &page), VELIP_DECODE);
    CHECK_STATUS(velip_parse_response(200, NULL, NULL, NULL, 5, &page), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_parse_response(200, NULL, NULL, (const uint8_t *)"{}", 2, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_parse_response(429, "\xff", NULL, (const uint8_t *)"{}", 2, &page), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_parse_webhook((const uint8_t *)"{}", 2, "\xff", &page), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_parse_webhook(NULL, 3, NULL, &page), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_page_records(NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_page_pagination(NULL, NULL, NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_page_notices(NULL, NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_list_len(NULL, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_record_list_get(NULL, 0, NULL), VELIP_NULL_PARAMETER);
}

static void test_filter(void) {
    velip_filter *f = NULL;
    CHECK_STATUS(velip_filter_new(&f), VELIP_OK);
    CHECK_STATUS(velip_filter_new(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_campaign_id(f, 555), VELIP_OK);
    CHECK_STATUS(velip_filter_set_date_start(f, "2026-05-01"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_date_end(f, "2026-05-31"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_page_size(f, 5000), VELIP_OK);
    CHECK_STATUS(velip_filter_set_only_dtmf(f, true), VELIP_OK);
    CHECK_STATUS(velip_filter_set_number_format(f, VELIP_NUMBER_FORMAT_DDD), VELIP_OK);
    CHECK_STATUS(velip_filter_set_origin(f, "c-test"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_cursor(f, "9876544"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_OK);
    char buf[512];
    size_t needed = 0;
    CHECK_STATUS(velip_filter_to_form(f, buf, sizeof buf, &needed), VELIP_OK);
    CHECK(strstr(buf, "cp_id=555") != NULL && strstr(buf, "date_start=2026-05-01") != NULL);
    CHECK(strstr(buf, "maxreg=5000") != NULL && strstr(buf, "onlydtmf=1") != NULL);
    CHECK(strstr(buf, "numtype=DDD") != NULL && strstr(buf, "origin=c-test") != NULL);
    CHECK(strstr(buf, "last_id=9876544") != NULL);
    CHECK_STATUS(velip_filter_to_form(f, buf, 3, &needed), VELIP_BUFFER_TOO_SMALL);
    CHECK(needed == strlen("cp_id=555") + 1 || needed > 10);

    /* Webhook settings need a URL first. */
    CHECK_STATUS(velip_filter_set_webhook_method(f, VELIP_WEBHOOK_POST), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_filter_set_webhook(f, "https://example.com/hook"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_webhook_method(f, VELIP_WEBHOOK_GET), VELIP_OK);
    CHECK_STATUS(velip_filter_set_webhook_method(f, 9), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_filter_set_webhook_format(f, VELIP_WEBHOOK_JSON), VELIP_OK);
    CHECK_STATUS(velip_filter_set_webhook_format(f, 9), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_filter_add_webhook_header(f, "X-Key", "abc"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_webhook_basic_auth(f, "hook", "s3cret-hook-pw"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_OK);
    CHECK_STATUS(velip_filter_to_form(f, buf, sizeof buf, NULL), VELIP_OK);
    CHECK(strstr(buf, "rurl=https") != NULL && strstr(buf, "rurl_user=hook") != NULL);
    CHECK(strstr(buf, "s3cret-hook-pw") == NULL); /* redacted */

    /* Bad dates and other invalid values: every problem reported. */
    CHECK_STATUS(velip_filter_set_date_start(f, "2026-13-01"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_page_size(f, 0), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_VALIDATION);
    CHECK(strstr(last_message(), "date_start") != NULL && strstr(last_message(), "maxreg") != NULL);
    CHECK_STATUS(velip_filter_to_form(f, buf, sizeof buf, NULL), VELIP_VALIDATION);
    CHECK_STATUS(velip_filter_set_date_start(f, "yesterday"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_VALIDATION);
    CHECK_STATUS(velip_filter_set_number_format(f, 3), VELIP_INVALID_ARGUMENT);
    velip_filter_free(f);

    /* Conflicting selections. */
    CHECK_STATUS(velip_filter_new(&f), VELIP_OK);
    CHECK_STATUS(velip_filter_set_call_id(f, "42_123456"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_OK);
    CHECK_STATUS(velip_filter_set_correlation_id(f, "order-1"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_VALIDATION);
    velip_filter_free(f);
    CHECK_STATUS(velip_filter_new(&f), VELIP_OK);
    CHECK_STATUS(velip_filter_set_empty_correlation_id(f), VELIP_OK);
    CHECK_STATUS(velip_filter_set_campaign_ref(f, "pesquisa-nps"), VELIP_OK);
    CHECK_STATUS(velip_filter_set_page_size_server_max(f), VELIP_OK);
    CHECK_STATUS(velip_filter_to_form(f, buf, sizeof buf, NULL), VELIP_OK);
    CHECK(strstr(buf, "ctid=null") != NULL && strstr(buf, "cpid=pesquisa-nps") != NULL);
    CHECK_STATUS(velip_filter_set_call_id(f, "not an id"), VELIP_OK);
    CHECK_STATUS(velip_filter_validate(f), VELIP_VALIDATION);

    /* NULLs and bad UTF-8 on every setter. */
    CHECK_STATUS(velip_filter_set_call_id(NULL, "1"), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_call_id(f, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_call_id(f, "\xff"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_filter_set_correlation_id(f, "\xc3\x28"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_filter_set_campaign_ref(f, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_date_start(f, "\xff"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_filter_set_date_end(f, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_cursor(f, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_origin(f, "\xff"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_filter_set_webhook(f, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_add_webhook_header(f, "X", NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_webhook_basic_auth(f, NULL, "p"), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_campaign_id(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_page_size(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_page_size_server_max(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_only_dtmf(NULL, true), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_empty_correlation_id(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_number_format(NULL, 0), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_webhook_method(NULL, 0), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_set_webhook_format(NULL, 0), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_validate(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_filter_to_form(NULL, buf, sizeof buf, NULL), VELIP_NULL_PARAMETER);
    velip_filter_free(f);
}

static void test_config(void) {
    velip_client_config *cfg = NULL;
    velip_client *client = NULL;
    CHECK_STATUS(velip_client_config_new(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, "http://127.0.0.1:9"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_token(cfg, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_token_in_body(cfg, true), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_connect_timeout_ms(cfg, 2000), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_timeout_ms(cfg, 5000), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_max_retries(cfg, 0), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_max_retry_wait_ms(cfg, 1000), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_user_agent_suffix(cfg, "c-tests/1"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    CHECK(client != NULL);
    velip_client_free(client);
    client = NULL;

    /* A token and Basic credentials on one configuration: refused (as the
     * Python binding does), with a message naming both setters and no
     * secret. The status text appears once in the message, not twice. */
    CHECK_STATUS(velip_client_config_set_basic_auth(cfg, "sandbox", "basic-secret-pw"), VELIP_OK);
    velip_client *both = (velip_client *)1;
    CHECK_STATUS(velip_client_new(cfg, &both), VELIP_CONFIG);
    CHECK(both == (velip_client *)1); /* untouched */
    {
        const char *m = last_message();
        const char *kind = velip_status_str(VELIP_CONFIG);
        const char *first = strstr(m, kind);
        CHECK(first == m); /* starts with "invalid client configuration" */
        CHECK(first != NULL && strstr(first + 1, kind) == NULL); /* only once */
        CHECK(strstr(m, "credentials: both a token and HTTP Basic credentials") != NULL);
        CHECK(strstr(m, "basic-secret-pw") == NULL);
        CHECK(strstr(m, "SBXFULL000sandbox0full0numbers") == NULL);
    }
    velip_client_config_free(cfg);
    cfg = NULL;
    /* No credentials at all: refused too. */
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, "http://127.0.0.1:9"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_CONFIG);
    CHECK(client == NULL);
    CHECK(strstr(last_message(), "credentials") != NULL);
    /* Basic credentials alone are fine, and setting them again replaces them. */
    CHECK_STATUS(velip_client_config_set_basic_auth(cfg, "first", "pw-one"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_basic_auth(cfg, "sandbox", "sandbox-password"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    CHECK(client != NULL);
    velip_client_free(client);
    client = NULL;
    velip_client_config_free(cfg);
    cfg = NULL;

    /* Connection refused: a transport error. */
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, "http://127.0.0.1:9"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_max_retries(cfg, 0), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_token(cfg, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_token(cfg, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    velip_record *rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, "42_1", &rec), VELIP_TRANSPORT);
    CHECK(rec == NULL);
    velip_client_free(client);
    client = NULL;

    /* Invalid settings are reported by velip_client_new. */
    CHECK_STATUS(velip_client_config_set_ca_file(cfg, "/nonexistent/ca.pem"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_CONFIG);
    CHECK(client == NULL);
    velip_client_config_free(cfg);
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    /* Credentials set, so the bad URL / proxy is what gets reported. */
    CHECK_STATUS(velip_client_config_set_token(cfg, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, "not a url"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_CONFIG);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, "http://127.0.0.1:9"), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_proxy(cfg, "::not a proxy::"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_CONFIG);
    CHECK(client == NULL);
    /* A secret never shows in messages. */
    CHECK_STATUS(velip_client_config_set_token(cfg, "has space secret-token-value-xyz"), VELIP_OK);
    velip_client_new(cfg, &client);
    CHECK(strstr(last_message(), "secret-token-value") == NULL);
    velip_client_free(client);
    client = NULL;

    /* Option rules are the client builder's: the same answers as Rust and
       Python, each naming the option. */
    {
        velip_client_config *c2 = NULL;
        CHECK_STATUS(velip_client_config_new(&c2), VELIP_OK);
        CHECK_STATUS(velip_client_config_set_token(c2, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
        CHECK_STATUS(velip_client_config_set_timeout_ms(c2, 0), VELIP_OK);
        CHECK_STATUS(velip_client_new(c2, &client), VELIP_CONFIG);
        CHECK(strstr(last_message(), "timeout") != NULL);
        CHECK_STATUS(velip_client_config_set_timeout_ms(c2, 5000), VELIP_OK);
        CHECK_STATUS(velip_client_config_set_max_retries(c2, UINT32_MAX), VELIP_OK);
        CHECK_STATUS(velip_client_new(c2, &client), VELIP_CONFIG);
        CHECK(strstr(last_message(), "max_retries") != NULL);
        CHECK_STATUS(velip_client_config_set_max_retries(c2, 0), VELIP_OK);
        size_t big = 16u << 20;
        char *huge = malloc(big + 1);
        CHECK(huge != NULL);
        if (huge != NULL) {
            memset(huge, 'x', big);
            huge[big] = '\0';
            CHECK_STATUS(velip_client_config_set_token(c2, huge), VELIP_OK);
            CHECK_STATUS(velip_client_new(c2, &client), VELIP_CONFIG);
            CHECK(strstr(last_message(), "token") != NULL);
            free(huge);
        }
        CHECK_STATUS(velip_client_config_set_token(c2, "SBXFULL000sandbox0full0numbers"), VELIP_OK);
        CHECK_STATUS(velip_client_config_set_basic_auth(c2, "sandbox", "sandbox-password"), VELIP_OK);
        CHECK_STATUS(velip_client_new(c2, &client), VELIP_CONFIG);
        CHECK(strstr(last_message(), "credentials") != NULL);
        CHECK(client == NULL);
        velip_client_config_free(c2);
        /* From the environment. */
        CHECK_STATUS(velip_client_config_new_from_env(&c2), VELIP_OK);
        CHECK_STATUS(velip_client_config_new_from_env(NULL), VELIP_NULL_PARAMETER);
        velip_client_config_free(c2);
    }

    /* NULLs and bad UTF-8. */
    CHECK_STATUS(velip_client_config_set_base_url(NULL, "x"), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_base_url(cfg, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_token(cfg, "\xff"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_client_config_set_basic_auth(cfg, "u", NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_proxy(cfg, "\xff"), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_client_config_set_ca_file(cfg, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_user_agent_suffix(cfg, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_token_in_body(NULL, true), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_connect_timeout_ms(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_timeout_ms(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_max_retries(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_config_set_max_retry_wait_ms(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_new(NULL, &client), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_new(cfg, NULL), VELIP_NULL_PARAMETER);
    velip_client_config_free(cfg);
}

typedef struct {
    const velip_client *client;
    const char *call_id;
    int ok;
} thread_arg;

static void *get_call_thread(void *p) {
    thread_arg *a = p;
    for (int i = 0; i < 5; i++) {
        velip_record *r = NULL;
        if (velip_client_get_call(a->client, a->call_id, &r) == VELIP_OK) {
            a->ok++;
        }
        velip_record_free(r);
    }
    return NULL;
}

static void test_client(const sandbox *sb) {
    velip_client *client = make_client(sb->url, sb->token);
    CHECK(client != NULL);
    if (client == NULL) {
        return;
    }
    /* One page, to learn ids, dates and correlation ids. */
    velip_filter *f = NULL;
    velip_page *page = NULL;
    velip_filter_new(&f);
    velip_filter_set_page_size(f, 5);
    velip_filter_set_empty_correlation_id(f);
    velip_filter_free(f);
    velip_filter_new(&f);
    velip_filter_set_date_start(f, "2020-01-01");
    velip_filter_set_date_end(f, "2030-12-31");
    velip_filter_set_page_size(f, 5);
    CHECK_STATUS(velip_client_list_page(client, f, &page), VELIP_OK);
    const velip_record_list *list = NULL;
    size_t n = 0;
    CHECK_STATUS(velip_page_records(page, &list), VELIP_OK);
    CHECK_STATUS(velip_record_list_len(list, &n), VELIP_OK);
    CHECK(n == 5);
    bool more = false;
    bool capped = true;
    const char *cursor = NULL;
    CHECK_STATUS(velip_page_pagination(page, &more, &cursor, &capped), VELIP_OK);
    CHECK(more && cursor != NULL && !capped);
    const velip_record *first = NULL;
    char call_id[64] = "";
    char date[16] = "";
    char ctid[128] = "";
    if (n > 0 && velip_record_list_get(list, 0, &first) == VELIP_OK) {
        const char *s = NULL;
        velip_record_call_id(first, &s);
        snprintf(call_id, sizeof call_id, "%s", s);
        velip_record_date(first, &s);
        snprintf(date, sizeof date, "%s", s ? s : "");
        velip_record_correlation_id(first, &s);
        snprintf(ctid, sizeof ctid, "%s", s ? s : "");
    }
    velip_page_free(page);
    velip_filter_free(f);
    CHECK_STATUS(velip_client_list_page(client, NULL, &page), VELIP_NULL_PARAMETER);

    /* get call */
    velip_record *rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, call_id, &rec), VELIP_OK);
    if (rec != NULL) {
        const char *s = NULL;
        CHECK_STATUS(velip_record_call_id(rec, &s), VELIP_OK);
        CHECK_STR(s, call_id);
        velip_record_free(rec);
    }
    rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    CHECK(rec == NULL);
    CHECK_STATUS(velip_client_get_call(client, "not-an-id", &rec), VELIP_VALIDATION);
    CHECK_STATUS(velip_client_get_call(client, "\xff", &rec), VELIP_INVALID_UTF8);
    CHECK_STATUS(velip_client_get_call(NULL, call_id, &rec), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_get_call(client, call_id, NULL), VELIP_NULL_PARAMETER);

    /* find by correlation id */
    velip_record_list *found = NULL;
    CHECK(ctid[0] != '\0');
    CHECK_STATUS(velip_client_find_calls(client, ctid, &found), VELIP_OK);
    CHECK_STATUS(velip_record_list_len(found, &n), VELIP_OK);
    CHECK(n >= 1);
    velip_record_list_free(found);
    found = NULL;
    CHECK_STATUS(velip_client_find_calls(client, "no-such-correlation-id", &found), VELIP_OK);
    CHECK_STATUS(velip_record_list_len(found, &n), VELIP_OK);
    CHECK(n == 0);
    velip_record_list_free(found);
    CHECK_STATUS(velip_client_find_calls(client, NULL, &found), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_find_calls(client, "null", &found), VELIP_VALIDATION);

    /* list calls of one day: iterator, stats, resume cursor */
    velip_filter_new(&f);
    velip_filter_set_date_start(f, date);
    velip_filter_set_date_end(f, date);
    velip_filter_set_page_size(f, 7);
    velip_call_iter *it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    velip_record *r = NULL;
    uint64_t seen = 0;
    velip_status st;
    bool dates_ok = true;
    while ((st = velip_call_iter_next(it, &r)) == VELIP_OK && r != NULL) {
        const char *d = NULL;
        velip_record_date(r, &d);
        dates_ok = dates_ok && d != NULL && strcmp(d, date) == 0;
        seen++;
        if (seen == 10) {
            const char *resume = NULL;
            CHECK_STATUS(velip_call_iter_resume_cursor(it, &resume), VELIP_OK);
            CHECK(resume != NULL);
        }
        velip_record_free(r); /* each step's record is the caller's */
    }
    CHECK_STATUS(st, VELIP_OK);
    CHECK(dates_ok && seen > 10);
    uint64_t yielded = 0;
    uint64_t pages = 0;
    uint64_t dups = 99;
    bool masked_numbers = true;
    bool finished = false;
    size_t warnings = 99;
    CHECK_STATUS(velip_call_iter_records_yielded(it, &yielded), VELIP_OK);
    CHECK(yielded == seen);
    CHECK_STATUS(velip_call_iter_pages_fetched(it, &pages), VELIP_OK);
    CHECK(pages == (seen + 6) / 7 || pages == (seen + 6) / 7 + 1);
    CHECK_STATUS(velip_call_iter_duplicates_skipped(it, &dups), VELIP_OK);
    CHECK(dups == 0);
    CHECK_STATUS(velip_call_iter_numbers_masked(it, &masked_numbers), VELIP_OK);
    CHECK(!masked_numbers);
    CHECK_STATUS(velip_call_iter_is_finished(it, &finished), VELIP_OK);
    CHECK(finished);
    CHECK_STATUS(velip_call_iter_warning_count(it, &warnings), VELIP_OK);
    CHECK(warnings == 0);
    const char *resume = (const char *)1;
    CHECK_STATUS(velip_call_iter_resume_cursor(it, &resume), VELIP_OK);
    CHECK(resume == NULL); /* finished */
    CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_OK);
    CHECK(r == NULL); /* stays finished */
    const char *w = NULL;
    CHECK_STATUS(velip_call_iter_warning(it, 0, &w), VELIP_INVALID_ARGUMENT);
    velip_call_iter_free(it);
    it = NULL;
    CHECK_STATUS(velip_call_iter_next(NULL, &r), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_pages_fetched(NULL, &pages), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_records_yielded(it, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_duplicates_skipped(NULL, &dups), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_numbers_masked(NULL, &masked_numbers), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_is_finished(NULL, &finished), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_warning_count(NULL, &warnings), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_set_prefetch_depth(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_resume_cursor(NULL, &w), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_call_iter_warning(NULL, 0, &w), VELIP_NULL_PARAMETER);

    /* an invalid filter is refused before anything is sent */
    velip_filter_set_date_end(f, "2026-02-30");
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_VALIDATION);
    CHECK(it == NULL);
    CHECK_STATUS(velip_client_list_calls(NULL, f, &it), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_list_calls(client, NULL, &it), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_list_calls(client, f, NULL), VELIP_NULL_PARAMETER);

    /* push to webhook (the delivery target need not answer) */
    velip_filter_set_date_end(f, date);
    CHECK_STATUS(velip_client_push_to_webhook(client, f, &page), VELIP_VALIDATION); /* no webhook */
    velip_filter_set_webhook(f, "http://127.0.0.1:9/hook");
    velip_filter_set_webhook_format(f, VELIP_WEBHOOK_JSON);
    page = NULL;
    CHECK_STATUS(velip_client_push_to_webhook(client, f, &page), VELIP_OK);
    CHECK(page != NULL);
    velip_page_free(page);
    CHECK_STATUS(velip_client_push_to_webhook(NULL, f, &page), VELIP_NULL_PARAMETER);
    velip_filter_free(f);

    /* a client is shared across threads */
    pthread_t threads[2];
    thread_arg args[2] = {{client, call_id, 0}, {client, call_id, 0}};
    for (int i = 0; i < 2; i++) {
        pthread_create(&threads[i], NULL, get_call_thread, &args[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
    }
    CHECK(args[0].ok == 5 && args[1].ok == 5);

    /* authentication failure: never retried, then locked out until new
     * credentials are set */
    velip_client *bad = make_client(sb->url, "WRONGTOKEN0000000000000000000x");
    rec = NULL;
    CHECK_STATUS(velip_client_get_call(bad, call_id, &rec), VELIP_AUTHENTICATION);
    CHECK(rec == NULL);
    uint16_t http = 0;
    uint32_t code = 0;
    bool present = false;
    CHECK_STATUS(velip_last_error_http_status(&http, &present), VELIP_OK);
    CHECK(present && http == 401);
    CHECK_STATUS(velip_last_error_api_code(&code, &present), VELIP_OK);
    CHECK(present && code == 102);
    CHECK(strstr(last_message(), "WRONGTOKEN") == NULL);
    CHECK_STATUS(velip_client_get_call(bad, call_id, &rec), VELIP_AUTHENTICATION);
    CHECK_STATUS(velip_client_set_token(bad, sb->token), VELIP_OK);
    CHECK_STATUS(velip_client_get_call(bad, call_id, &rec), VELIP_OK);
    velip_record_free(rec);
    CHECK_STATUS(velip_client_set_token(bad, NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_set_token(NULL, "x"), VELIP_NULL_PARAMETER);
    velip_client_free(bad);

    /* masked numbers through the other token */
    velip_client *masked = make_client(sb->url, sb->masked_token);
    velip_filter_new(&f);
    velip_filter_set_date_start(f, date);
    velip_filter_set_date_end(f, date);
    velip_filter_set_page_size(f, 3);
    it = NULL;
    CHECK_STATUS(velip_client_list_calls(masked, f, &it), VELIP_OK);
    CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_OK);
    velip_destination_kind kind = VELIP_DESTINATION_NONE;
    CHECK_STATUS(velip_record_destination_kind(r, &kind), VELIP_OK);
    CHECK(kind == VELIP_DESTINATION_MASKED);
    CHECK_STATUS(velip_call_iter_numbers_masked(it, &masked_numbers), VELIP_OK);
    CHECK_STATUS(velip_call_iter_pages_fetched(it, &pages), VELIP_OK);
    CHECK_STATUS(velip_call_iter_records_yielded(it, &yielded), VELIP_OK);
    CHECK(masked_numbers && pages == 1 && yielded == 1);
    velip_record_free(r);
    const char *rc = NULL;
    CHECK_STATUS(velip_call_iter_resume_cursor(it, &rc), VELIP_OK);
    velip_call_iter_free(it);
    velip_filter_free(f);
    velip_client_free(masked);
    velip_client_free(client);
}

static void test_rate_limit(const sandbox *limited) {
    velip_client *client = make_client(limited->url, limited->token);
    velip_filter *f = NULL;
    velip_filter_new(&f);
    velip_filter_set_campaign_id(f, 1001);
    velip_call_iter *it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    velip_record *r = (velip_record *)1;
    CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_RATE_LIMITED);
    CHECK(r == (velip_record *)1); /* untouched */
    uint64_t secs = 0;
    uint16_t http = 0;
    bool present = false;
    CHECK_STATUS(velip_last_error_retry_after(&secs, &present), VELIP_OK);
    CHECK(present && secs == 120);
    CHECK_STATUS(velip_last_error_http_status(&http, &present), VELIP_OK);
    CHECK(present && http == 429);
    /* Nothing lost: the same step fails the same way again. */
    CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_RATE_LIMITED);
    uint64_t pages = 9;
    uint64_t yielded = 9;
    CHECK_STATUS(velip_call_iter_pages_fetched(it, &pages), VELIP_OK);
    CHECK_STATUS(velip_call_iter_records_yielded(it, &yielded), VELIP_OK);
    CHECK(pages == 0 && yielded == 0);
    velip_call_iter_free(it);
    velip_record *rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, "1000001", &rec), VELIP_RATE_LIMITED);
    /* The Retry-After is in the ledger, shared with the next client. */
    char json[4096];
    size_t needed = 0;
    CHECK_STATUS(velip_client_quota_json(client, json, sizeof json, &needed), VELIP_OK);
    CHECK(strstr(json, "\"retry_after\"") != NULL && strstr(json, "\"list\"") != NULL);
    velip_filter_free(f);
    velip_client_free(client);
}

/* The ledger from C: a budget, the policy values, the state folder, the
 * report as JSON (without the token), clearing a lock-out. */
static void test_quota(const sandbox *sb) {
    char dir[] = "/tmp/velip-c-ledger-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    velip_client_config *cfg = NULL;
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    velip_client_config_set_base_url(cfg, sb->url);
    velip_client_config_set_token(cfg, sb->token);
    velip_client_config_set_max_retries(cfg, 0);
    CHECK_STATUS(velip_client_config_set_rate_limit_policy(cfg, 7, 0), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_client_config_set_rate_limit_policy(cfg, VELIP_RATE_LIMIT_WAIT, 0), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_state_dir(cfg, dir), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_list_quota(cfg, 200, 3600000), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_daily_lookup_cap(cfg, 5000), VELIP_OK);
    velip_client *client = NULL;
    CHECK_STATUS(velip_client_config_set_max_requests(cfg, 0), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_CONFIG);
    CHECK(client == NULL);
    CHECK_STATUS(velip_client_config_set_max_requests(cfg, 1), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    velip_client_config_free(cfg);
    if (client == NULL) {
        return;
    }
    uint64_t sent = 9;
    CHECK_STATUS(velip_client_requests_sent(client, &sent), VELIP_OK);
    CHECK(sent == 0);
    velip_record *rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_BUDGET);
    CHECK_STR(velip_status_str(VELIP_BUDGET), "request budget spent");
    CHECK_STATUS(velip_client_requests_sent(client, &sent), VELIP_OK);
    CHECK(sent == 1);

    size_t needed = 0;
    CHECK_STATUS(velip_client_quota_json(client, NULL, 0, &needed), VELIP_OK);
    CHECK(needed > 1);
    char *json = malloc(needed);
    CHECK_STATUS(velip_client_quota_json(client, json, needed, &needed), VELIP_OK);
    CHECK(strstr(json, "\"lookups\":{") != NULL);
    CHECK(strstr(json, "\"credentials\":\"token\"") != NULL);
    CHECK(strstr(json, sb->token) == NULL);
    free(json);
    bool was_locked = true;
    CHECK_STATUS(velip_client_reset_lockout(client, &was_locked), VELIP_OK);
    CHECK(!was_locked);
    CHECK_STATUS(velip_client_reset_lockout(client, NULL), VELIP_OK);
    CHECK_STATUS(velip_client_requests_sent(NULL, &sent), VELIP_NULL_PARAMETER);
    velip_client_free(client);

    /* "off": no ledger, the report is null. */
    CHECK_STATUS(velip_client_config_new(&cfg), VELIP_OK);
    velip_client_config_set_base_url(cfg, sb->url);
    velip_client_config_set_token(cfg, sb->token);
    CHECK_STATUS(velip_client_config_set_state_dir(cfg, "off"), VELIP_OK);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    velip_client_config_free(cfg);
    char small[8];
    CHECK_STATUS(velip_client_quota_json(client, small, sizeof small, NULL), VELIP_OK);
    CHECK_STR(small, "null");
    velip_client_free(client);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* ------------------------------------------------------------ counting proxy */

/* A TCP relay in front of a sandbox that counts the HTTP requests going
 * through it ("POST /" at the start of each), so a test sees exactly what
 * the library sends and when. Relays end when either side closes or the
 * proxy stops; proxy_stop joins every thread it started. */
typedef struct {
    int listen_fd;
    int upstream_port;
    char url[64];
    atomic_long posts;
    atomic_int stop;
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_t relays[64];
    int nrelays;
} proxy;

typedef struct {
    proxy *px;
    int client_fd;
} relay_arg;

static int connect_local(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void *relay_main(void *p) {
    relay_arg *ra = p;
    proxy *px = ra->px;
    int down = ra->client_fd;
    free(ra);
    int up = connect_local(px->upstream_port);
    const char pattern[] = "POST /";
    size_t matched = 0;
    char buf[16384];
    while (up >= 0 && !atomic_load(&px->stop)) {
        struct pollfd fds[2] = {{down, POLLIN, 0}, {up, POLLIN, 0}};
        int n = poll(fds, 2, 100);
        if (n < 0) {
            break;
        }
        if (n == 0) {
            continue;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = read(down, buf, sizeof buf);
            if (got <= 0) {
                break;
            }
            for (ssize_t i = 0; i < got; i++) {
                if (buf[i] == pattern[matched]) {
                    if (++matched == sizeof pattern - 1) {
                        atomic_fetch_add(&px->posts, 1);
                        matched = 0;
                    }
                } else {
                    matched = buf[i] == 'P' ? 1 : 0;
                }
            }
            if (write(up, buf, (size_t)got) != got) {
                break;
            }
        }
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = read(up, buf, sizeof buf);
            if (got <= 0 || write(down, buf, (size_t)got) != got) {
                break;
            }
        }
    }
    if (up >= 0) {
        close(up);
    }
    close(down);
    return NULL;
}

static void *acceptor_main(void *p) {
    proxy *px = p;
    while (!atomic_load(&px->stop)) {
        struct pollfd fd = {px->listen_fd, POLLIN, 0};
        if (poll(&fd, 1, 100) <= 0) {
            continue;
        }
        int c = accept(px->listen_fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        relay_arg *ra = malloc(sizeof *ra);
        ra->px = px;
        ra->client_fd = c;
        pthread_mutex_lock(&px->mu);
        if (px->nrelays < 64 && pthread_create(&px->relays[px->nrelays], NULL, relay_main, ra) == 0) {
            px->nrelays++;
        } else {
            close(c);
            free(ra);
        }
        pthread_mutex_unlock(&px->mu);
    }
    return NULL;
}

static int proxy_start(proxy *px, const char *upstream_url) {
    memset(px, 0, sizeof *px);
    const char *colon = strrchr(upstream_url, ':');
    px->upstream_port = colon ? atoi(colon + 1) : 0;
    px->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (px->listen_fd < 0 || bind(px->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(px->listen_fd, 16) != 0 || getsockname(px->listen_fd, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    snprintf(px->url, sizeof px->url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    atomic_init(&px->posts, 0);
    atomic_init(&px->stop, 0);
    pthread_mutex_init(&px->mu, NULL);
    return pthread_create(&px->acceptor, NULL, acceptor_main, px);
}

static void proxy_stop(proxy *px) {
    atomic_store(&px->stop, 1);
    pthread_join(px->acceptor, NULL);
    for (int i = 0; i < px->nrelays; i++) {
        pthread_join(px->relays[i], NULL);
    }
    close(px->listen_fd);
    pthread_mutex_destroy(&px->mu);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* ------------------------------------------------------------ the ABI */

/* Every enumeration is a uint32_t, whatever the compiler's enum rules
 * (this file is also built with -fshort-enums). */
_Static_assert(sizeof(velip_status) == 4, "velip_status is a uint32_t");
_Static_assert(sizeof(velip_destination_kind) == 4, "velip_destination_kind is a uint32_t");
_Static_assert(sizeof(velip_phone_style) == 4, "velip_phone_style is a uint32_t");
_Static_assert(sizeof(velip_number_format) == 4, "velip_number_format is a uint32_t");
_Static_assert(sizeof(velip_webhook_method) == 4, "velip_webhook_method is a uint32_t");
_Static_assert(sizeof(velip_webhook_format) == 4, "velip_webhook_format is a uint32_t");
_Static_assert(sizeof(velip_log_level) == 4, "velip_log_level is a uint32_t");
_Static_assert(VELIP_VERSION_NUMBER ==
                   ((VELIP_VERSION_MAJOR << 16) | (VELIP_VERSION_MINOR << 8) | VELIP_VERSION_PATCH),
               "version number");

static void test_abi(void) {
    char soname[64];
    if (VELIP_VERSION_MAJOR == 0) {
        snprintf(soname, sizeof soname, "libvelip.so.0.%d", VELIP_VERSION_MINOR);
    } else {
        snprintf(soname, sizeof soname, "libvelip.so.%d", VELIP_VERSION_MAJOR);
    }
    CHECK_STR(VELIP_SONAME, soname);
    /* An out-parameter writes its 4 bytes and nothing after them. */
    struct {
        velip_destination_kind kind;
        unsigned char guard[4];
    } out;
    memset(&out, 0xAA, sizeof out);
    velip_page *page = NULL;
    const char *json = "{\"return\":{\"status\":\"OK\",\"status_code\":\"0\"},\"calls\":"
                       "[{\"cd_id\":7,\"cd_status\":\"OK\",\"dest\":\"xxxxx877\"}]}";
    CHECK_STATUS(velip_parse_response(200, NULL, NULL, (const uint8_t *)json, strlen(json), &page), VELIP_OK);
    const velip_record_list *list = NULL;
    const velip_record *r = NULL;
    velip_page_records(page, &list);
    velip_record_list_get(list, 0, &r);
    CHECK_STATUS(velip_record_destination_kind(r, &out.kind), VELIP_OK);
    CHECK(out.kind == VELIP_DESTINATION_MASKED);
    CHECK(out.guard[0] == 0xAA && out.guard[1] == 0xAA && out.guard[2] == 0xAA && out.guard[3] == 0xAA);
    bool final = false;
    CHECK_STATUS(velip_record_is_final(r, &final), VELIP_OK);
    CHECK(final);
    CHECK_STATUS(velip_record_is_final(NULL, &final), VELIP_NULL_PARAMETER);
    velip_page_free(page);
    /* Unknown values are errors, not undefined behaviour. */
    CHECK_STATUS(velip_phone_format("11999999999", 0xFFFFFFFFu, NULL, 0, NULL), VELIP_INVALID_ARGUMENT);
    CHECK_STR(velip_log_level_str(VELIP_LOG_DEBUG), "debug");
    CHECK_STR(velip_log_level_str(77), "unknown");
    /* A number copied out of a record outlives it. */
    velip_phone_number *n = NULL;
    velip_phone_number *copy = NULL;
    char buf[32];
    CHECK_STATUS(velip_phone_number_parse("11999999999", &n), VELIP_OK);
    CHECK_STATUS(velip_phone_number_clone(n, &copy), VELIP_OK);
    velip_phone_number_free(n);
    CHECK_STATUS(velip_phone_number_format(copy, VELIP_PHONE_E164, buf, sizeof buf, NULL), VELIP_OK);
    CHECK_STR(buf, "+5511999999999");
    velip_phone_number_free(copy);
    CHECK_STATUS(velip_phone_number_clone(NULL, &copy), VELIP_NULL_PARAMETER);
    /* `needed` is written on failure: 0 when there is no text. */
    velip_filter *f = NULL;
    velip_filter_new(&f);
    velip_filter_set_date_start(f, "2026-13-01");
    size_t needed = 99;
    CHECK_STATUS(velip_filter_to_form(f, buf, sizeof buf, &needed), VELIP_VALIDATION);
    CHECK(needed == 0);
    needed = 99;
    CHECK_STATUS(velip_phone_format("abc", VELIP_PHONE_E164, buf, sizeof buf, &needed), VELIP_INVALID_PHONE_NUMBER);
    CHECK(needed == 0);
    needed = 99;
    CHECK_STATUS(velip_brl_decimal_parse("x", buf, sizeof buf, &needed), VELIP_INVALID_DECIMAL);
    CHECK(needed == 0);
    /* ...and a size query keeps the real last error. */
    CHECK_STATUS(velip_filter_validate(f), VELIP_VALIDATION);
    CHECK_STATUS(velip_phone_format("11999999999", VELIP_PHONE_E164, NULL, 0, &needed), VELIP_OK);
    CHECK(needed == 15);
    CHECK_STATUS(velip_last_error_status(), VELIP_VALIDATION);
    CHECK(strstr(last_message(), "date_start") != NULL);
    velip_filter_free(f);
}

/* ------------------------------------------------------------ hostile patterns */

static velip_filter *day_filter(const char *date, int64_t page_size) {
    velip_filter *f = NULL;
    velip_filter_new(&f);
    velip_filter_set_date_start(f, date);
    velip_filter_set_date_end(f, date);
    velip_filter_set_page_size(f, page_size);
    return f;
}

/* The first record's date, to select one day. */
static void first_date(velip_client *client, char *date, size_t size) {
    velip_filter *f = NULL;
    velip_page *page = NULL;
    velip_filter_new(&f);
    velip_filter_set_date_start(f, "2020-01-01");
    velip_filter_set_date_end(f, "2030-12-31");
    velip_filter_set_page_size(f, 1);
    date[0] = '\0';
    if (velip_client_list_page(client, f, &page) == VELIP_OK) {
        const velip_record_list *list = NULL;
        const velip_record *r = NULL;
        const char *d = NULL;
        velip_page_records(page, &list);
        if (velip_record_list_get(list, 0, &r) == VELIP_OK && velip_record_date(r, &d) == VELIP_OK && d) {
            snprintf(date, size, "%s", d);
        }
    }
    velip_page_free(page);
    velip_filter_free(f);
}

/* Five records kept from five steps are five different records; a string
 * read before later steps stays valid (ASan and valgrind watch); all of
 * them outlive the iterator and the client. */
static void test_records_are_owned(const sandbox *sb) {
    velip_client *client = make_client(sb->url, sb->token);
    char date[16];
    first_date(client, date, sizeof date);
    velip_filter *f = day_filter(date, 2); /* five steps cross three pages */
    velip_call_iter *it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    velip_record *kept[5] = {NULL};
    char ids[5][64];
    const char *first_id = NULL;
    const char *first_status = NULL;
    for (int i = 0; i < 5; i++) {
        CHECK_STATUS(velip_call_iter_next(it, &kept[i]), VELIP_OK);
        const char *id = NULL;
        CHECK(kept[i] != NULL && velip_record_call_id(kept[i], &id) == VELIP_OK);
        snprintf(ids[i], sizeof ids[i], "%s", id ? id : "");
        if (i == 0) {
            first_id = id; /* kept across four more steps */
            velip_record_status(kept[0], &first_status);
        }
    }
    velip_call_iter_free(it);
    velip_filter_free(f);
    velip_client_free(client);
    for (int i = 0; i < 5; i++) {
        const char *id = NULL;
        CHECK_STATUS(velip_record_call_id(kept[i], &id), VELIP_OK);
        CHECK_STR(id, ids[i]);
        for (int j = 0; j < i; j++) {
            CHECK(strcmp(ids[i], ids[j]) != 0);
            CHECK(kept[i] != kept[j]);
        }
    }
    CHECK_STR(first_id, ids[0]);
    CHECK(first_status == NULL || strlen(first_status) > 0);
    for (int i = 0; i < 5; i++) {
        velip_record_free(kept[i]);
    }
}

typedef struct {
    const velip_record_list *list;
    pthread_barrier_t *start;
    unsigned long checksum;
    int errors;
} reader_arg;

static unsigned long mix(unsigned long h, const char *s) {
    for (; s != NULL && *s != '\0'; s++) {
        h = h * 131u + (unsigned char)*s;
    }
    return h * 31u + 7u;
}

static void *read_list(void *p) {
    reader_arg *a = p;
    typedef velip_status (*text_fn)(const velip_record *, const char **);
    const text_fn texts[] = {
        velip_record_call_id, velip_record_status, velip_record_amd, velip_record_campaign_ref,
        velip_record_correlation_id, velip_record_origin, velip_record_destination, velip_record_date,
        velip_record_dial_time, velip_record_answer_time, velip_record_hangup_time, velip_record_route,
        velip_record_rate, velip_record_value, velip_record_recording_url,
    };
    size_t n = 0;
    velip_record_list_len(a->list, &n);
    pthread_barrier_wait(a->start);
    for (size_t i = 0; i < n; i++) {
        const velip_record *r = NULL;
        a->errors += velip_record_list_get(a->list, i, &r) != VELIP_OK;
        for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
            const char *s = NULL;
            a->errors += texts[t](r, &s) != VELIP_OK;
            a->checksum = mix(a->checksum, s);
        }
        size_t count = 0;
        velip_record_dtmf_count(r, &count);
        for (size_t d = 0; d < count; d++) {
            const char *s = NULL;
            a->errors += velip_record_dtmf_at(r, d, &s) != VELIP_OK;
            a->checksum = mix(a->checksum, s);
        }
        velip_record_extra_count(r, &count);
        for (size_t e = 0; e < count; e++) {
            const char *k = NULL;
            const char *v = NULL;
            a->errors += velip_record_extra_at(r, e, &k, &v) != VELIP_OK;
            a->checksum = mix(mix(a->checksum, k), v);
        }
    }
    return NULL;
}

/* Four threads read one list (never read before) at once: every getter on
 * a const handle is safe to share. */
static void test_concurrent_readers(const sandbox *sb) {
    velip_client *client = make_client(sb->url, sb->token);
    velip_filter *f = NULL;
    velip_page *page = NULL;
    velip_filter_new(&f);
    velip_filter_set_date_start(f, "2020-01-01");
    velip_filter_set_date_end(f, "2030-12-31");
    velip_filter_set_page_size(f, 200);
    CHECK_STATUS(velip_client_list_page(client, f, &page), VELIP_OK);
    const velip_record_list *list = NULL;
    velip_page_records(page, &list);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 4);
    pthread_t threads[4];
    reader_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){list, &start, 0, 0};
        pthread_create(&threads[i], NULL, read_list, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
    }
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 4; i++) {
        CHECK(args[i].errors == 0);
        CHECK(args[i].checksum == args[0].checksum && args[i].checksum != 0);
    }
    velip_page_free(page);
    velip_filter_free(f);
    velip_client_free(client);
}

/* Freeing an iterator stops its helper threads first: the sandbox sees no
 * request after velip_call_iter_free returns. Prefetch depth bounds how
 * far ahead a walk asks. */
static void test_free_stops_the_walk(const sandbox *sb) {
    proxy px;
    CHECK(proxy_start(&px, sb->url) == 0);
    velip_client *client = make_client(px.url, sb->token);
    char date[16];
    first_date(client, date, sizeof date);
    velip_filter *f = day_filter(date, 5);
    for (size_t depth = 0; depth <= 3; depth++) {
        velip_call_iter *it = NULL;
        CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
        CHECK_STATUS(velip_call_iter_set_prefetch_depth(it, depth), VELIP_OK);
        long before = atomic_load(&px.posts);
        for (int i = 0; i < 3; i++) {
            velip_record *r = NULL;
            CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_OK);
            velip_record_free(r);
        }
        if (depth > 0) {
            sleep_ms(200); /* let the helpers run ahead */
        }
        velip_call_iter_free(it);
        long at_free = atomic_load(&px.posts) - before;
        size_t ahead = depth > 2 ? 2 : depth;
        CHECK(at_free >= 1 && at_free <= (long)(1 + ahead));
        if (depth == 0) {
            CHECK(at_free == 1); /* three records of one page: one request */
        }
        sleep_ms(300);
        CHECK(atomic_load(&px.posts) - before == at_free); /* nothing after free */
    }
    velip_filter_free(f);
    velip_client_free(client);
    proxy_stop(&px);
}

static velip_client *interruptible_client;

static void on_alarm(int sig) {
    (void)sig;
    velip_client_interrupt(interruptible_client); /* async-signal-safe */
}

typedef struct {
    const velip_client *client;
    long after_ms;
} interrupter_arg;

static void *interrupt_later(void *p) {
    interrupter_arg *a = p;
    sleep_ms(a->after_ms);
    velip_client_interrupt(a->client);
    return NULL;
}

/* A call blocked in a long Retry-After wait returns VELIP_INTERRUPTED soon
 * after velip_client_interrupt (from another thread or a signal handler),
 * or after its deadline. */
static void test_interrupt(const sandbox *sb, const sandbox *limited) {
    velip_client_config *cfg = NULL;
    velip_client_config_new(&cfg);
    velip_client_config_set_base_url(cfg, limited->url);
    velip_client_config_set_token(cfg, limited->token);
    velip_client_config_set_max_retries(cfg, 3);
    velip_client_config_set_max_retry_wait_ms(cfg, 3600u * 1000u); /* Retry-After 120 s is waited */
    /* No shared ledger: this test is about the wait itself, and each part
     * must meet the 429 again rather than the lock-out the last one left. */
    CHECK_STATUS(velip_client_config_set_state_dir(cfg, "off"), VELIP_OK);
    velip_client *client = NULL;
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    velip_filter *f = NULL;
    velip_filter_new(&f);
    velip_filter_set_campaign_id(f, 1001);

    /* From another thread, during velip_client_list_page. */
    pthread_t t;
    interrupter_arg arg = {client, 300};
    pthread_create(&t, NULL, interrupt_later, &arg);
    velip_page *page = NULL;
    double t0 = now_s();
    CHECK_STATUS(velip_client_list_page(client, f, &page), VELIP_INTERRUPTED);
    double took = now_s() - t0;
    pthread_join(t, NULL);
    CHECK(took >= 0.25 && took < 5.0);
    CHECK(page == NULL);
    CHECK(strstr(last_message(), "velip_client_interrupt") != NULL);
    bool interrupted = false;
    CHECK_STATUS(velip_client_is_interrupted(client, &interrupted), VELIP_OK);
    CHECK(interrupted);
    /* It stays interrupted: the next call stops at once. */
    velip_record *rec = NULL;
    t0 = now_s();
    CHECK_STATUS(velip_client_get_call(client, "1000001", &rec), VELIP_INTERRUPTED);
    CHECK(now_s() - t0 < 1.0);
    CHECK_STATUS(velip_client_clear_interrupt(client), VELIP_OK);
    CHECK_STATUS(velip_client_is_interrupted(client, &interrupted), VELIP_OK);
    CHECK(!interrupted);

    /* From a signal handler, during a walk waiting for its prefetched page
     * (the helper thread sits in the Retry-After wait). */
    velip_call_iter *it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    interruptible_client = client;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    velip_record *r = (velip_record *)1;
    t0 = now_s();
    CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_INTERRUPTED);
    took = now_s() - t0;
    CHECK(took >= 0.5 && took < 5.0);
    CHECK(r == (velip_record *)1);
    signal(SIGALRM, SIG_DFL);
    /* Freeing it does not wait out the Retry-After. */
    t0 = now_s();
    velip_call_iter_free(it);
    CHECK(now_s() - t0 < 3.0);
    CHECK_STATUS(velip_client_clear_interrupt(client), VELIP_OK);
    velip_client_free(client);

    /* A per-call deadline. */
    CHECK_STATUS(velip_client_config_set_deadline_ms(cfg, 400), VELIP_OK);
    CHECK_STATUS(velip_client_config_set_deadline_ms(NULL, 1), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_new(cfg, &client), VELIP_OK);
    t0 = now_s();
    CHECK_STATUS(velip_client_list_page(client, f, &page), VELIP_INTERRUPTED);
    took = now_s() - t0;
    CHECK(took >= 0.35 && took < 5.0);
    CHECK(strstr(last_message(), "deadline of 400 ms") != NULL);
    /* Each call gets the whole deadline again. */
    t0 = now_s();
    CHECK_STATUS(velip_client_get_call(client, "1000001", &rec), VELIP_INTERRUPTED);
    CHECK(now_s() - t0 >= 0.35);
    velip_client_free(client);
    velip_client_config_free(cfg);
    velip_filter_free(f);

    /* On a healthy service, an interrupted client sends nothing; cleared,
     * it works again. */
    client = make_client(sb->url, sb->token);
    velip_client_interrupt(client);
    velip_client_interrupt(NULL); /* ignored */
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_INTERRUPTED);
    velip_client_clear_interrupt(client);
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    CHECK_STATUS(velip_client_clear_interrupt(NULL), VELIP_NULL_PARAMETER);
    CHECK_STATUS(velip_client_is_interrupted(client, NULL), VELIP_NULL_PARAMETER);
    velip_client_free(client);
}

typedef struct {
    pthread_mutex_t mu;
    int messages;
    int debug;
    int leaked;
    char last[512];
} log_sink;

static void on_log(void *userdata, velip_log_level level, const char *message) {
    log_sink *s = userdata;
    pthread_mutex_lock(&s->mu);
    s->messages++;
    s->debug += level == VELIP_LOG_DEBUG;
    s->leaked += strstr(message, "SBX") != NULL || strstr(message, "WRONGTOKEN") != NULL;
    snprintf(s->last, sizeof s->last, "%s", message);
    pthread_mutex_unlock(&s->mu);
}

/* Log messages reach the callback, with secrets masked; NULL turns it
 * off. */
static void test_log_callback(const sandbox *sb) {
    log_sink sink;
    memset(&sink, 0, sizeof sink);
    pthread_mutex_init(&sink.mu, NULL);
    CHECK_STATUS(velip_set_log_callback(VELIP_LOG_DEBUG, on_log, &sink), VELIP_OK);
    velip_client *client = make_client(sb->url, sb->token);
    velip_record *rec = NULL;
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    velip_client *bad = make_client(sb->url, "WRONGTOKEN0000000000000000000x");
    CHECK_STATUS(velip_client_get_call(bad, "1", &rec), VELIP_AUTHENTICATION);
    velip_client_free(bad);
    pthread_mutex_lock(&sink.mu);
    CHECK(sink.messages >= 2 && sink.debug >= 1);
    CHECK(sink.leaked == 0);
    CHECK(strstr(sink.last, "authentication") != NULL);
    int seen = sink.messages;
    pthread_mutex_unlock(&sink.mu);
    /* Warn and above only: a successful request logs nothing. */
    CHECK_STATUS(velip_set_log_callback(VELIP_LOG_WARN, on_log, &sink), VELIP_OK);
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    CHECK(sink.messages == seen);
    CHECK_STATUS(velip_set_log_callback(VELIP_LOG_DEBUG, NULL, NULL), VELIP_OK);
    CHECK_STATUS(velip_client_get_call(client, "1", &rec), VELIP_NOT_FOUND);
    CHECK(sink.messages == seen);
    CHECK_STATUS(velip_set_log_callback(6, on_log, &sink), VELIP_INVALID_ARGUMENT);
    CHECK_STATUS(velip_set_log_callback(VELIP_LOG_OFF, on_log, &sink), VELIP_OK);
    velip_client_free(client);
    pthread_mutex_destroy(&sink.mu);
}

/* ------------------------------------------------------------ Arrow stream */

/* The index of the schema's child called `name`, or -1. */
static int child_index(const struct ArrowSchema *schema, const char *name) {
    for (int64_t i = 0; i < schema->n_children; i++) {
        if (schema->children[i] != NULL && schema->children[i]->name != NULL &&
            strcmp(schema->children[i]->name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

typedef struct {
    char ids[4096][24];
    size_t count;
    int64_t batches;
} id_tally;

/* Adds the call ids of one batch (a utf8 column: int32 offsets, then the
 * bytes), walking the C structs as the Arrow specification lays them out. */
static void tally_batch(id_tally *t, const struct ArrowArray *batch, int call_id) {
    t->batches++;
    CHECK(batch->n_children > call_id && batch->children != NULL);
    if (batch->n_children <= call_id) {
        return;
    }
    const struct ArrowArray *col = batch->children[call_id];
    CHECK(col->length == batch->length && col->null_count == 0 && col->n_buffers == 3);
    const int32_t *offsets = (const int32_t *)col->buffers[1];
    const char *bytes = (const char *)col->buffers[2];
    for (int64_t i = 0; i < col->length && t->count < 4096; i++) {
        int64_t j = col->offset + i;
        int32_t len = offsets[j + 1] - offsets[j];
        CHECK(len > 0 && len < 24);
        if (len <= 0 || len >= 24) {
            continue;
        }
        memcpy(t->ids[t->count], bytes + offsets[j], (size_t)len);
        t->ids[t->count][len] = '\0';
        t->count++;
    }
}

/* Reads every batch left of a stream into `t`; returns get_next's first
 * non-zero code (0 at the end) and copies get_last_error into `why`. */
static int drain_stream(struct ArrowArrayStream *stream, id_tally *t, int call_id, char *why, size_t size) {
    for (;;) {
        struct ArrowArray batch;
        memset(&batch, 0, sizeof batch);
        int rc = stream->get_next(stream, &batch);
        if (rc != 0) {
            const char *e = stream->get_last_error(stream);
            snprintf(why, size, "%s", e != NULL ? e : "(no message)");
            return rc;
        }
        if (batch.release == NULL) {
            return 0; /* the end */
        }
        tally_batch(t, &batch, call_id);
        batch.release(&batch);
        CHECK(batch.release == NULL); /* the release callback marks it released */
    }
}

/* velip_call_iter_arrow_stream: the schema (column names, Arrow formats),
 * every batch read by walking the C structs, the same calls in the same
 * order as velip_call_iter_next, a failed page in the middle (get_next
 * gives EIO and the message; the walk then continues from the page that
 * failed, through the iterator: nothing lost, nothing twice), a stream
 * that outlives its iterator, NULL arguments. `sb` answers its third
 * request with a 502 and the client does not retry. valgrind and ASan
 * watch every release. */
static void test_arrow_stream(const sandbox *sb) {
    velip_client *client = make_client(sb->url, sb->token); /* request 1: */
    char date[16];
    first_date(client, date, sizeof date);
    CHECK(date[0] != '\0');
    velip_filter *f = day_filter(date, 20);

    CHECK_STATUS(velip_call_iter_arrow_stream(NULL, NULL), VELIP_NULL_PARAMETER);
    velip_call_iter *it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    CHECK_STATUS(velip_call_iter_arrow_stream(it, NULL), VELIP_NULL_PARAMETER);
    velip_call_iter_set_prefetch_depth(it, 0);

    /* The first three records through the iterator (request 2, page 1),
     * the rest as a stream: the page's 17 left come first. */
    static id_tally got;
    memset(&got, 0, sizeof got);
    for (int i = 0; i < 3; i++) {
        velip_record *r = NULL;
        const char *id = NULL;
        CHECK_STATUS(velip_call_iter_next(it, &r), VELIP_OK);
        if (r != NULL && velip_record_call_id(r, &id) == VELIP_OK && id != NULL) {
            snprintf(got.ids[got.count++], sizeof got.ids[0], "%s", id);
        }
        velip_record_free(r);
    }
    struct ArrowArrayStream stream;
    memset(&stream, 0, sizeof stream);
    CHECK_STATUS(velip_call_iter_arrow_stream(it, &stream), VELIP_OK);
    CHECK(stream.release != NULL && stream.get_schema != NULL && stream.get_next != NULL);

    struct ArrowSchema schema;
    memset(&schema, 0, sizeof schema);
    CHECK(stream.get_schema(&stream, &schema) == 0);
    CHECK_STR(schema.format, "+s");
    int call_id = child_index(&schema, "call_id");
    int value = child_index(&schema, "value");
    int day = child_index(&schema, "date");
    int dialed_at = child_index(&schema, "dialed_at");
    int status = child_index(&schema, "status");
    int problems = child_index(&schema, "problems");
    CHECK(call_id == 0 && value > 0 && day > 0 && dialed_at > 0 && status > 0 && problems > 0);
    if (call_id == 0 && value > 0 && day > 0 && dialed_at > 0 && status > 0 && problems > 0) {
        CHECK_STR(schema.children[call_id]->format, "u");
        CHECK((schema.children[call_id]->flags & ARROW_FLAG_NULLABLE) == 0);
        CHECK_STR(schema.children[value]->format, "d:18,3");
        CHECK_STR(schema.children[day]->format, "tdD");
        CHECK_STR(schema.children[dialed_at]->format, "tss:America/Sao_Paulo");
        CHECK(schema.children[status]->dictionary != NULL);
        CHECK_STR(schema.children[problems]->format, "+l");
    }
    schema.release(&schema);
    CHECK(schema.release == NULL);

    /* Page 1's rest, then page 2 (request 3) fails with the 502. */
    char why[1024] = "";
    int rc = drain_stream(&stream, &got, call_id < 0 ? 0 : call_id, why, sizeof why);
    CHECK(rc == EIO);
    CHECK(strstr(why, "velip status") != NULL);
    CHECK(got.count == 20 && got.batches == 1);
    /* The error is sticky: never a normal end after it. */
    char again[1024] = "";
    CHECK(drain_stream(&stream, &got, call_id < 0 ? 0 : call_id, again, sizeof again) == EIO);
    CHECK(strstr(again, "velip status") != NULL && got.count == 20);
    /* The consumer thread's last error has the detail. */
    uint16_t http_status = 0;
    bool present = false;
    CHECK_STATUS(velip_last_error_http_status(&http_status, &present), VELIP_OK);
    CHECK(present && http_status == 502);
    stream.release(&stream);
    CHECK(stream.release == NULL);

    /* The walk continues at the page that failed, through the iterator. */
    for (;;) {
        velip_record *r = NULL;
        const char *id = NULL;
        velip_status st = velip_call_iter_next(it, &r);
        CHECK(st == VELIP_OK);
        if (st != VELIP_OK || r == NULL) {
            break;
        }
        if (velip_record_call_id(r, &id) == VELIP_OK && id != NULL && got.count < 4096) {
            snprintf(got.ids[got.count++], sizeof got.ids[0], "%s", id);
        }
        velip_record_free(r);
    }
    uint64_t yielded = 0;
    velip_call_iter_records_yielded(it, &yielded);
    CHECK(yielded == got.count);
    velip_call_iter_free(it);

    /* The same selection in one stream that outlives its iterator (the
     * default prefetch depth: helper threads run while it is read). */
    static id_tally all;
    memset(&all, 0, sizeof all);
    it = NULL;
    CHECK_STATUS(velip_client_list_calls(client, f, &it), VELIP_OK);
    CHECK_STATUS(velip_call_iter_arrow_stream(it, &stream), VELIP_OK);
    velip_call_iter_free(it);
    rc = drain_stream(&stream, &all, call_id < 0 ? 0 : call_id, why, sizeof why);
    CHECK(rc == 0);
    if (rc != 0) {
        printf("  stream error: %s\n", why);
    }
    stream.release(&stream);
    CHECK(all.count > 40 && all.count == got.count);
    int64_t full = (int64_t)((all.count + 19) / 20);
    CHECK(all.batches == full || all.batches == full + 1); /* maybe a last empty page */
    size_t same = 0;
    for (size_t i = 0; i < all.count && i < got.count; i++) {
        same += strcmp(all.ids[i], got.ids[i]) == 0;
    }
    CHECK(same == all.count);
    size_t repeated = 0;
    for (size_t i = 0; i < got.count; i++) {
        for (size_t j = 0; j < i; j++) {
            repeated += strcmp(got.ids[i], got.ids[j]) == 0;
        }
    }
    CHECK(repeated == 0);

    velip_filter_free(f);
    velip_client_free(client);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SANDBOX_BINARY FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    test_version_and_status();
    test_last_error();
    test_free_null();
    test_phone();
    test_money();
    test_fixtures(argv[2]);
    test_filter();
    test_config();
    test_abi();

    sandbox sb = {0};
    sandbox limited = {0};
    char *limited_args[] = {"--fault", "1-100000=429:120", NULL};
    bool started = sandbox_start(&sb, argv[1], NULL) == 0;
    CHECK(started);
    if (started) {
        test_client(&sb);
        test_records_are_owned(&sb);
        test_concurrent_readers(&sb);
        test_free_stops_the_walk(&sb);
        test_log_callback(&sb);
        test_quota(&sb);
    }
    bool started_limited = sandbox_start(&limited, argv[1], limited_args) == 0;
    CHECK(started_limited);
    if (started_limited) {
        test_rate_limit(&limited);
    }
    if (started && started_limited) {
        test_interrupt(&sb, &limited);
    }
    sandbox faulty = {0};
    char *faulty_args[] = {"--fault", "3=502", NULL};
    bool started_faulty = sandbox_start(&faulty, argv[1], faulty_args) == 0;
    CHECK(started_faulty);
    if (started_faulty) {
        test_arrow_stream(&faulty);
    }
    sandbox_stop(&sb);
    sandbox_stop(&limited);
    sandbox_stop(&faulty);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
