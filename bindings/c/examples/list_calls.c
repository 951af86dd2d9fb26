/*
 * list_calls: export every call of a date range as CSV on stdout.
 *
 *   list_calls START END            (dates YYYY-MM-DD, inclusive)
 *
 * Environment: VELIP_TOKEN (required), VELIP_BASE_URL (default: the
 * production service). Build:
 *
 *   cc -std=c11 list_calls.c $(pkg-config --cflags --libs velip) -o list_calls
 */
#include <velip.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ctrl-C stops the walk within ~100 ms (velip_client_interrupt is
 * async-signal-safe); the walk then ends with VELIP_INTERRUPTED and the
 * cursor to resume from is printed. */
static velip_client *interruptible;

static void on_sigint(int sig) {
    (void)sig;
    velip_client_interrupt(interruptible);
}

/* The last error message is complete on its own (it already starts with
 * the kind of error, e.g. "invalid client configuration: ..."), so it is
 * printed alone; velip_status_str() is only the fallback. */
static void print_error(const char *what, velip_status status) {
    char message[1024];
    if (velip_last_error_message(message, sizeof message, NULL) != VELIP_OK || message[0] == '\0') {
        snprintf(message, sizeof message, "%s", velip_status_str(status));
    }
    fprintf(stderr, "list_calls: %s: %s (status %d)\n", what, message, (int)status);
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or newline. */
static void csv_field(const char *text, int last) {
    if (text == NULL) {
        text = "";
    }
    if (strpbrk(text, ",\"\r\n") != NULL) {
        putchar('"');
        for (const char *p = text; *p != '\0'; p++) {
            if (*p == '"') {
                putchar('"');
            }
            putchar(*p);
        }
        putchar('"');
    } else {
        fputs(text, stdout);
    }
    putchar(last ? '\n' : ',');
}

static void csv_number(const velip_record *r,
                       velip_status (*get)(const velip_record *, uint64_t *, bool *)) {
    uint64_t value = 0;
    bool present = false;
    if (get(r, &value, &present) == VELIP_OK && present) {
        printf("%llu", (unsigned long long)value);
    }
    putchar(',');
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s START END   (YYYY-MM-DD; VELIP_TOKEN in the environment)\n", argv[0]);
        return 2;
    }
    const char *token = getenv("VELIP_TOKEN");
    const char *base_url = getenv("VELIP_BASE_URL");
    if (token == NULL) {
        fprintf(stderr, "list_calls: set VELIP_TOKEN\n");
        return 2;
    }

    int rc = 1;
    velip_client_config *config = NULL;
    velip_client *client = NULL;
    velip_filter *filter = NULL;
    velip_call_iter *iter = NULL;
    velip_status st;

    if ((st = velip_client_config_new(&config)) != VELIP_OK ||
        (base_url != NULL && (st = velip_client_config_set_base_url(config, base_url)) != VELIP_OK) ||
        (st = velip_client_config_set_token(config, token)) != VELIP_OK ||
        (st = velip_client_new(config, &client)) != VELIP_OK) {
        print_error("client", st);
        goto done;
    }
    interruptible = client;
    signal(SIGINT, on_sigint);
    if ((st = velip_filter_new(&filter)) != VELIP_OK ||
        (st = velip_filter_set_date_start(filter, argv[1])) != VELIP_OK ||
        (st = velip_filter_set_date_end(filter, argv[2])) != VELIP_OK ||
        (st = velip_filter_set_page_size_server_max(filter)) != VELIP_OK ||
        (st = velip_client_list_calls(client, filter, &iter)) != VELIP_OK) {
        print_error("filter", st);
        goto done;
    }

    puts("call_id,date,dial_time,status,destination,campaign_id,duration_s,value_brl,correlation_id,dtmf");
    velip_record *r = NULL;
    while ((st = velip_call_iter_next(iter, &r)) == VELIP_OK && r != NULL) {
        const char *s = NULL;
        velip_record_call_id(r, &s);
        csv_field(s, 0);
        velip_record_date(r, &s);
        csv_field(s, 0);
        velip_record_dial_time(r, &s);
        csv_field(s, 0);
        velip_record_status(r, &s);
        csv_field(s, 0);
        velip_record_destination(r, &s);
        csv_field(s, 0);
        csv_number(r, velip_record_campaign_id);
        csv_number(r, velip_record_duration_seconds);
        velip_record_value(r, &s);
        csv_field(s, 0);
        velip_record_correlation_id(r, &s);
        csv_field(s, 0);
        /* DTMF answers joined with '|' (the count varies per record). */
        char dtmf[256] = "";
        size_t count = 0;
        velip_record_dtmf_count(r, &count);
        for (size_t i = 0; i < count; i++) {
            const char *d = NULL;
            if (velip_record_dtmf_at(r, i, &d) == VELIP_OK) {
                size_t used = strlen(dtmf);
                snprintf(dtmf + used, sizeof dtmf - used, "%s%s", i ? "|" : "", d);
            }
        }
        csv_field(dtmf, 1);
        velip_record_free(r); /* each record is ours */
    }
    if (st != VELIP_OK) {
        const char *cursor = NULL;
        print_error("listing", st);
        if (velip_call_iter_resume_cursor(iter, &cursor) == VELIP_OK && cursor != NULL) {
            fprintf(stderr, "list_calls: resume later from cursor %s\n", cursor);
        }
        goto done;
    }
    uint64_t records = 0;
    uint64_t pages = 0;
    bool masked = false;
    if (velip_call_iter_records_yielded(iter, &records) == VELIP_OK &&
        velip_call_iter_pages_fetched(iter, &pages) == VELIP_OK &&
        velip_call_iter_numbers_masked(iter, &masked) == VELIP_OK) {
        fprintf(stderr, "list_calls: %llu calls in %llu pages%s\n", (unsigned long long)records,
                (unsigned long long)pages, masked ? " (numbers masked)" : "");
    }
    rc = 0;

done:
    velip_call_iter_free(iter);
    velip_filter_free(filter);
    velip_client_free(client);
    velip_client_config_free(config);
    return rc;
}
